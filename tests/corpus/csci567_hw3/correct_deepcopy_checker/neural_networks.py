"""Homework 3, problem 3.1: a two-layer perceptron in numpy.

Fill in the parts marked TODO. Do not import anything beyond what this file already imports.
Train and check your network with

    python neural_networks.py --minibatch_size 5 --check_gradient --check_magnitude
"""
import argparse
import copy
import json
import sys
import time

import numpy as np

from utils import DataSplit, data_loader_mnist, predict_label, softmax_cross_entropy


class linear_layer:
    """A fully connected layer: forward(X) = X W + b.

    params['W'] has shape (input_D, output_D) and params['b'] shape (1, output_D), both drawn
    from a normal distribution with mean 0 and standard deviation 0.1 (use np.random.normal).
    gradient['W'] and gradient['b'] hold the gradients of the loss with respect to them; they
    start as zeros of the same shapes.
    """

    def __init__(self, input_D, output_D):
        self.params = dict()
        self.gradient = dict()
        self.params["W"] = np.random.normal(0, 0.1, (input_D, output_D))
        self.params["b"] = np.random.normal(0, 0.1, (1, output_D))
        self.gradient["W"] = np.zeros((input_D, output_D))
        self.gradient["b"] = np.zeros((1, output_D))

    def forward(self, X):
        """X: (N, input_D) -> (N, output_D)."""
        return X @ self.params["W"] + self.params["b"]

    def backward(self, X, grad):
        """grad: dLoss/dOutput, (N, output_D). Store dLoss/dW and dLoss/db; return dLoss/dX (N, input_D)."""
        self.gradient["W"] = X.T @ grad
        self.gradient["b"] = np.sum(grad, axis=0, keepdims=True)
        return grad @ self.params["W"].T


class relu:
    """max(0, X) elementwise, for an array of any shape."""

    def __init__(self):
        self.mask = None

    def forward(self, X):
        self.mask = (X > 0).astype(float)
        return X * self.mask

    def backward(self, X, grad):
        """grad: dLoss/dOutput (same shape as X). Return dLoss/dX."""
        return grad * (X > 0)


def miniBatchGradientDescent(model, _learning_rate):
    """One SGD step on every module of ``model`` that has parameters; return the model.

    Each such module has dicts ``params`` and ``gradient`` with the same keys.
    """
    for module_name, module in model.items():
        if hasattr(module, "params"):
            for key, _ in module.params.items():
                module.params[key] = module.params[key] - _learning_rate * module.gradient[key]
    return model


def forward_pass(model, x, y):
    """Given: the forward pass through L1 -> relu -> L2 -> loss."""
    a1 = model["L1"].forward(x)
    h1 = model["nonlinear1"].forward(a1)
    a2 = model["L2"].forward(h1)
    loss = model["loss"].forward(a2, y)
    return a1, h1, a2, loss


def backward_pass(model, x, a1, h1, a2, y):
    """Call the modules' backward methods from the loss back to the input, each with its own input.

    Afterwards every linear layer's ``gradient`` holds dLoss/dparams for the batch (x, y).
    """
    grad_a2 = model["loss"].backward(a2, y)
    grad_h1 = model["L2"].backward(h1, grad_a2)
    grad_a1 = model["nonlinear1"].backward(a1, grad_h1)
    model["L1"].backward(x, grad_a1)


def gradient_checker(DataSet, model):
    """Compare backpropagation with central differences (epsilon 1e-3) on all examples of ``DataSet``.

    For the first entry ([0, 0]) of each of L1's W, L1's b, L2's W and L2's b, print both numbers and
    return them as {"L1 W": (backprop, approximation), "L1 b": ..., "L2 W": ..., "L2 b": ...}.
    The model's parameters must be exactly as they were when the function returns.
    """
    epsilon = 1e-3
    x, y = DataSet.get_example(np.arange(DataSet.N))
    results = {}
    a1, h1, a2, _ = forward_pass(model, x, y)
    backward_pass(model, x, a1, h1, a2, y)
    for layer in ("L1", "L2"):
        for key in ("W", "b"):
            backprop = float(model[layer].gradient[key][0, 0])
            shifted = copy.deepcopy(model)
            shifted[layer].params[key][0, 0] += epsilon
            plus = forward_pass(shifted, x, y)[3]
            shifted = copy.deepcopy(model)
            shifted[layer].params[key][0, 0] -= epsilon
            minus = forward_pass(shifted, x, y)[3]
            approximation = float((plus - minus) / (2 * epsilon))
            print(f"gradient check {layer} {key}[0, 0]: backprop {backprop:.8f}, approximation {approximation:.8f}")
            results[f"{layer} {key}"] = (backprop, approximation)
    return results


def magnitude_checker(DataSet, model):
    """Given: the L1 norm of L1's W gradient on 50 and on (up to) 5000 examples should be alike."""
    norms = []
    for size in (50, min(5000, DataSet.N)):
        x, y = DataSet.get_example(np.arange(size))
        a1, h1, a2, _ = forward_pass(model, x, y)
        backward_pass(model, x, a1, h1, a2, y)
        norms.append(np.sum(np.abs(model["L1"].gradient["W"])))
    print(f"magnitude check: |grad L1 W|_1 on 50 examples {norms[0]:.4f}, on {min(5000, DataSet.N)} {norms[1]:.4f}")
    return norms


def evaluate(model, split, batch_size=1000):
    """Given: accuracy and mean loss of the model on a DataSplit."""
    correct, total_loss = 0.0, 0.0
    for start in range(0, split.N, batch_size):
        x, y = split.get_example(np.arange(start, min(start + batch_size, split.N)))
        _, _, a2, loss = forward_pass(model, x, y)
        total_loss += loss * len(y)
        correct += np.sum(predict_label(a2) == y)
    return correct / split.N, total_loss / split.N


def main(main_params):
    """Given: train with mini-batch SGD and early stopping, then write MLP_lr<rate>_b<batch>.json."""
    np.random.seed(int(main_params["random_seed"]))
    Xtrain, Ytrain, Xval, Yval, Xtest, Ytest = data_loader_mnist(main_params["input_file"])
    train, valid, test = DataSplit(Xtrain, Ytrain), DataSplit(Xval, Yval), DataSplit(Xtest, Ytest)
    batch_size = int(main_params["minibatch_size"])
    learning_rate = float(main_params["learning_rate"])
    model = {"L1": linear_layer(train.d, int(main_params["hidden"])), "nonlinear1": relu(),
             "L2": linear_layer(int(main_params["hidden"]), 10), "loss": softmax_cross_entropy()}

    if main_params["check_magnitude"]:
        magnitude_checker(train, model)
    if main_params["check_gradient"]:
        gradient_checker(DataSplit(Xtrain[:10], Ytrain[:10]), model)

    train_acc_record, val_acc_record = [], []
    best_val, best_epoch, since_best = -1.0, 0, 0
    started = time.time()
    for epoch in range(int(main_params["num_epoch"])):
        order = np.random.permutation(train.N)
        for start in range(0, train.N, batch_size):
            x, y = train.get_example(order[start:start + batch_size])
            a1, h1, a2, _ = forward_pass(model, x, y)
            backward_pass(model, x, a1, h1, a2, y)
            model = miniBatchGradientDescent(model, learning_rate)
        train_acc, train_loss = evaluate(model, train)
        val_acc, val_loss = evaluate(model, valid)
        train_acc_record.append(train_acc)
        val_acc_record.append(val_acc)
        print(f"epoch {epoch + 1}: train accuracy {train_acc:.4f} (loss {train_loss:.4f}), "
              f"validation accuracy {val_acc:.4f}")
        if val_acc > best_val:
            best_val, best_epoch, since_best = val_acc, epoch + 1, 0
        else:
            since_best += 1
            if since_best >= int(main_params["patience"]):
                print(f"early stop: no improvement for {since_best} epochs")
                break
    elapsed = time.time() - started
    test_acc, _ = evaluate(model, test)
    print(f"test accuracy {test_acc:.4f}; training took {elapsed:.1f} s")
    name = f"MLP_lr{main_params['learning_rate']}_b{main_params['minibatch_size']}.json"
    with open(name, "w") as f:
        json.dump({"train": train_acc_record, "val": val_acc_record, "test": test_acc, "time": elapsed,
                   "best_epoch": best_epoch}, f)
    return train_acc_record, val_acc_record, test_acc, elapsed


def parse_arguments(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--random_seed", default=42)
    parser.add_argument("--learning_rate", default=0.01)
    parser.add_argument("--num_epoch", default=10)
    parser.add_argument("--minibatch_size", default=5)
    parser.add_argument("--hidden", default=1000)
    parser.add_argument("--patience", default=3)
    parser.add_argument("--input_file", default="fashion_mnist_standin.json")
    parser.add_argument("--check_gradient", action="store_true")
    parser.add_argument("--check_magnitude", action="store_true")
    return vars(parser.parse_args(argv))


if __name__ == "__main__":
    main(parse_arguments(sys.argv[1:]))
