"""Helpers provided with homework 3 (do not modify them; the autograder uses its own copy)."""
import gzip
import os

import numpy as np


def load_mnist(path, kind='train'):
    """Images (N, 784) and labels (N,) of one part ('train' or 't10k') of an MNIST-format folder: the files
    <kind>-images-idx3-ubyte.gz and <kind>-labels-idx1-ubyte.gz, as Fashion-MNIST distributes them."""
    with gzip.open(os.path.join(path, '%s-labels-idx1-ubyte.gz' % kind), 'rb') as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    with gzip.open(os.path.join(path, '%s-images-idx3-ubyte.gz' % kind), 'rb') as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(len(labels), 784)
    return images, labels


def data_loader_mnist(data_dir):
    """Pixels scaled to [0, 1]; the first 1000 training images of each class for training, the last 200 of
    each class for validation, all of t10k for testing. The training examples are shuffled (np.random)."""
    Xtrain, Ytrain = load_mnist(data_dir, kind='train')
    Xtest, Ytest = load_mnist(data_dir, kind='t10k')
    Xtrain, Xtest = Xtrain / 255, Xtest / 255

    of_class = [np.where(Ytrain == label)[0] for label in range(10)]
    train_idx = np.concatenate([idx[:1000] for idx in of_class])
    valid_idx = np.concatenate([idx[-200:] for idx in of_class])
    Xvalid, Yvalid = Xtrain[valid_idx], Ytrain[valid_idx]
    Xtrain, Ytrain = Xtrain[train_idx], Ytrain[train_idx]

    order = np.random.permutation(Xtrain.shape[0])
    return Xtrain[order], Ytrain[order], Xvalid, Yvalid, Xtest, Ytest


class softmax_cross_entropy:
    """The loss module: the mean over a batch of -log softmax(X)[y]."""

    def __init__(self):
        self.expand_Y = None
        self.calib_logit = None
        self.sum_exp_calib_logit = None
        self.prob = None

    def forward(self, X, Y):
        """X: (N, K) scores; Y: (N, 1) integer labels. Returns the mean cross-entropy."""
        labels = np.asarray(Y).astype(int).reshape(-1)
        self.expand_Y = np.zeros(X.shape)
        self.expand_Y[np.arange(X.shape[0]), labels] = 1.0
        self.calib_logit = X - np.max(X, axis=1, keepdims=True)
        self.sum_exp_calib_logit = np.sum(np.exp(self.calib_logit), axis=1, keepdims=True)
        self.prob = np.exp(self.calib_logit) / self.sum_exp_calib_logit
        return -np.sum(self.expand_Y * (self.calib_logit - np.log(self.sum_exp_calib_logit))) / X.shape[0]

    def backward(self, X, Y):
        """Gradient of the mean loss with respect to X (uses the values saved by forward)."""
        return -(self.expand_Y - self.prob) / X.shape[0]


def predict_label(f):
    """Row-wise argmax of scores f (N, K), as an (N, 1) array of floats."""
    if f.shape[1] == 1:
        return (f > 0).astype(float)
    return np.argmax(f, axis=1).astype(float).reshape((f.shape[0], -1))


class DataSplit:
    """A set of examples X (N, d) with labels Y (N,)."""

    def __init__(self, X, Y):
        self.X = X
        self.Y = Y
        self.N, self.d = self.X.shape

    def get_example(self, idx):
        batchX = np.zeros((len(idx), self.d))
        batchY = np.zeros((len(idx), 1))
        for i in range(len(idx)):
            batchX[i] = self.X[idx[i]]
            batchY[i, :] = self.Y[idx[i]]
        return batchX, batchY
