from utils import softmax_cross_entropy, data_loader_mnist, predict_label, DataSplit
from tqdm import tqdm
from copy import deepcopy
import argparse
import json
import time
import numpy as np

# Homework 3, problem 3.1: a two-layer perceptron in numpy.
# Write your code only inside the TODO blocks, and import nothing beyond the imports above.
# Train and check the network with
#
#     python neural_networks.py --minibatch_size 5 --check_gradient --check_magnitude


# 1. A fully connected (linear) layer
class linear_layer:
    """forward(X) = X W + b for a batch X of shape N-by-input_D.

    Parameters, drawn from a normal distribution with mean 0 and standard deviation 0.1 (np.random.normal):
    - self.params['W']: input_D-by-output_D
    - self.params['b']: 1-by-output_D
    Gradients of the loss with respect to them, zeros of the same shapes to begin with:
    - self.gradient['W'], self.gradient['b']
    """

    def __init__(self, input_D, output_D):
        self.params = dict()
        self.gradient = dict()

        ###############################################################################################
        # TODO: draw self.params['W'] and self.params['b'] with np.random.normal (mean 0, std 0.1),
        # then set self.gradient['W'] and self.gradient['b'] to zeros
        ###############################################################################################
        self.params['W'] = np.random.normal(0, 0.1, (input_D, output_D))
        self.params['b'] = np.random.normal(0, 0.1, (1, output_D))
        self.gradient['W'] = np.zeros((input_D, output_D))
        self.gradient['b'] = np.zeros((1, output_D))

    def forward(self, X):
        """X: N-by-input_D, one example per row. Returns the N-by-output_D outputs."""
        ################################################################################
        # TODO: the forward pass, with matrix operations rather than loops
        ################################################################################
        forward_output = X @ self.params['W'] + self.params['b']
        return forward_output

    def backward(self, X, grad):
        """X: the forward pass's input (N-by-input_D); grad: dLoss/dOutput (N-by-output_D).

        Stores dLoss/dW and dLoss/db in self.gradient['W'] and self.gradient['b'], and returns
        dLoss/dX (N-by-input_D).
        """
        #################################################################################################
        # TODO: the backward pass
        #################################################################################################
        self.gradient['W'] = X.T @ grad
        self.gradient['b'] = np.sum(grad, axis=0, keepdims=True)
        backward_output = grad @ self.params['W'].T
        return backward_output


# 2. The ReLU activation
class relu:
    """max(0, X) elementwise, for an array of any shape; no parameters.

    self.mask may keep whatever forward computes for backward to use.
    """

    def __init__(self):
        self.mask = None

    def forward(self, X):
        """Returns an array shaped like X."""
        ################################################################################
        # TODO: the forward pass
        ################################################################################
        self.mask = (X > 0).astype(float)
        forward_output = X * self.mask
        return forward_output

    def backward(self, X, grad):
        """X: the forward pass's input; grad: dLoss/dOutput, shaped like X. Returns dLoss/dX."""
        ####################################################################################################
        # TODO: the backward pass
        ####################################################################################################
        backward_output = grad * (X > 0)
        return backward_output


# 3. One step of mini-batch gradient descent
def miniBatchGradientDescent(model, _learning_rate):
    for module_name, module in model.items():

        # only the modules with parameters to learn
        if hasattr(module, 'params'):
            for key, _ in module.params.items():
                # the gradient of the parameter called `key` of this module
                g = module.gradient[key]

                ####################################################################################
                # TODO: update module.params[key] by one step of gradient descent with g
                ####################################################################################
                module.params[key] = module.params[key] - _learning_rate * g

    return model


### The forward pass of the whole model ###
def forward_pass(model, x, y):
    a1 = model['L1'].forward(x)
    h1 = model['nonlinear1'].forward(a1)
    a2 = model['L2'].forward(h1)
    loss = model['loss'].forward(a2, y)

    return a1, h1, a2, loss


# 4. The backward pass of the whole model
def backward_pass(model, x, a1, h1, a2, y):
    grad_a2 = model['loss'].backward(a2, y)
    ######################################################################################
    # TODO: call the backward methods of the remaining modules, last to first, each with its own input.
    # The first call (above) and the last one (below) are given.
    ######################################################################################
    grad_h1 = model['L2'].backward(h1, grad_a2)
    grad_a1 = model['nonlinear1'].backward(a1, grad_h1)
    grad_x = model['L1'].backward(x, grad_a1)


### Accuracy and summed loss of the model on a data split, in batches ###
def compute_accuracy_loss(N_data, DataSet, model, minibatch_size=1000):
    acc = 0.0
    loss = 0.0
    count = 0

    for i in range(int(np.floor(N_data / minibatch_size))):
        x, y = DataSet.get_example(np.arange(i * minibatch_size, (i + 1) * minibatch_size))
        _, _, a2, batch_loss = forward_pass(model, x, y)
        loss += batch_loss
        acc += np.sum(predict_label(a2) == y)
        count += len(y)

    return acc / count, loss


### The gradient on 50 examples should be of the same magnitude as on 5000 ###
def magnitude_checker(DataSet, model):
    x, y = DataSet.get_example(np.arange(50))
    a1, h1, a2, _ = forward_pass(model, x, y)
    backward_pass(model, x, a1, h1, a2, y)
    norm_small = np.sum(np.abs(model['L1'].gradient['W']))

    x, y = DataSet.get_example(np.arange(min(5000, DataSet.N)))
    a1, h1, a2, _ = forward_pass(model, x, y)
    backward_pass(model, x, a1, h1, a2, y)
    norm_large = np.sum(np.abs(model['L1'].gradient['W']))

    print("Magnitude check (L1 norm of the gradient of W in L1): with 50 examples %f and with %d examples %f"
          % (norm_small, min(5000, DataSet.N), norm_large))


# 5. Checking back-propagation against central differences
def gradient_checker(DataSet, model):
    ### the first example ###
    x, y = DataSet.get_example([0])

    ### back-propagation on it ###
    a1, h1, a2, _ = forward_pass(model, x, y)
    backward_pass(model, x, a1, h1, a2, y)

    ### the first entry of W and b in each linear layer ###
    for layer_name in ('L1', 'L2'):
        for param_name in ('W', 'b'):
            if param_name == 'W':
                grad = model[layer_name].gradient[param_name][0][0]
            else:
                grad = model[layer_name].gradient[param_name][0]

            epsilon_value = 1e-3
            epsilon = np.zeros(model[layer_name].params[param_name].shape)
            if len(epsilon.shape) == 2:
                epsilon[0][0] = epsilon_value
            else:
                epsilon[0] = epsilon_value

            model[layer_name].params[param_name] += epsilon
            _, _, _, f_w_add_epsilon = forward_pass(model, x, y)

            ######################################################################################
            # TODO: the loss at w - epsilon, then the central-difference estimate approximate_gradient
            # (see the lecture notes); leave the parameter as it was before the check
            ######################################################################################
            model[layer_name].params[param_name] -= 2 * epsilon
            _, _, _, f_w_subtract_epsilon = forward_pass(model, x, y)
            model[layer_name].params[param_name] += epsilon
            approximate_gradient = (f_w_add_epsilon - f_w_subtract_epsilon) / (2 * epsilon_value)

            print("Gradient of %s in layer %s: from back-propagation %f, from central differences %f"
                  % (param_name, layer_name, grad, approximate_gradient))


def main(main_params):
    ### the random seed: do not change it ###
    np.random.seed(int(main_params['random_seed']))

    ### the data ###
    Xtrain, Ytrain, Xval, Yval, Xtest, Ytest = data_loader_mnist(data_dir=main_params['data_dir'])
    N_train, d = Xtrain.shape
    N_val, _ = Xval.shape
    N_test, _ = Xtest.shape
    print("%d training, %d validation and %d test examples" % (N_train, N_val, N_test))

    trainSet = DataSplit(Xtrain, Ytrain)
    valSet = DataSplit(Xval, Yval)
    testSet = DataSplit(Xtest, Ytest)

    ### the MLP: input -> linear -> relu -> linear -> softmax cross-entropy, for 10 classes ###
    model = dict()
    num_L1 = 128
    num_L2 = 10

    num_epoch = int(main_params['num_epoch'])
    minibatch_size = int(main_params['minibatch_size'])
    check_gradient = main_params['check_gradient']
    check_magnitude = main_params['check_magnitude']
    patience = int(main_params['early_stopping_patience'])

    train_acc_record = []
    train_loss_record = []
    val_acc_record = []
    val_loss_record = []
    best_epoch = 0
    best_model = None

    _learning_rate = float(main_params['learning_rate'])

    model['L1'] = linear_layer(input_D=d, output_D=num_L1)
    model['nonlinear1'] = relu()
    model['L2'] = linear_layer(input_D=num_L1, output_D=num_L2)
    model['loss'] = softmax_cross_entropy()

    if check_magnitude:
        magnitude_checker(trainSet, model)

    if check_gradient:
        gradient_checker(trainSet, model)

    start_time = time.time()

    for t in range(num_epoch):
        print('Epoch %d' % (t + 1))
        idx_order = np.random.permutation(N_train)

        for i in tqdm(range(int(np.floor(N_train / minibatch_size)))):
            x, y = trainSet.get_example(idx_order[i * minibatch_size: (i + 1) * minibatch_size])
            a1, h1, a2, _ = forward_pass(model, x, y)
            backward_pass(model, x, a1, h1, a2, y)
            model = miniBatchGradientDescent(model, _learning_rate)

        train_acc, train_loss = compute_accuracy_loss(N_train, trainSet, model)
        train_acc_record.append(train_acc)
        train_loss_record.append(train_loss)

        val_acc, val_loss = compute_accuracy_loss(N_val, valSet, model)
        val_acc_record.append(val_acc)
        val_loss_record.append(val_loss)

        print('Epoch %d: training loss %f, training accuracy %f, validation accuracy %f'
              % (t + 1, train_loss, train_acc, val_acc))

        ### keep the model of the best validation accuracy; stop early when it stops improving ###
        if val_acc == max(val_acc_record):
            best_model = deepcopy(model)
            best_epoch = t + 1
            patience = int(main_params['early_stopping_patience'])
        else:
            patience -= 1
        if patience == 0:
            break

    end_time = time.time()

    test_acc, test_loss = compute_accuracy_loss(N_test, testSet, best_model)
    print('Test accuracy of the best epoch (%d): %f' % (best_epoch, test_acc))

    json.dump({'train': train_acc_record, 'val': val_acc_record, 'test': test_acc, 'time': end_time - start_time},
              open('MLP_lr' + str(main_params['learning_rate']) + '_b' + str(main_params['minibatch_size']) + '.json',
                   'w'))

    print('Training took %f s' % (end_time - start_time))
    return train_loss_record, val_loss_record


def get_parser():
    ######################################################################################
    # The default arguments; change them on the command line to try other settings
    ######################################################################################
    parser = argparse.ArgumentParser()
    parser.add_argument('--random_seed', default=42)
    parser.add_argument('--data_dir', default='fashion_mnist_data')
    parser.add_argument('--learning_rate', default=0.01)
    parser.add_argument('--num_epoch', default=10)
    parser.add_argument('--minibatch_size', default=5)
    parser.add_argument('--early_stopping_patience', default=3)
    parser.add_argument('--check_gradient', action='store_true', default=False,
                        help='compare back-propagation with central differences')
    parser.add_argument('--check_magnitude', action='store_true', default=False,
                        help='compare the gradient magnitude on 50 and on 5000 examples')
    args = parser.parse_args()
    return vars(args)


if __name__ == '__main__':
    main_params = get_parser()
    main(main_params)
