"""Helpers provided with homework 3 (do not modify; the autograder uses its own copy)."""
import json

import numpy as np


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
    """Row-wise argmax of scores f (N, K), as an (N, 1) integer array."""
    if f.shape[1] == 1:
        return (f > 0).astype(float)
    return np.argmax(f, axis=1).astype(float).reshape((f.shape[0], -1))


class DataSplit:
    """A set of examples X (N, D) with labels Y (N,)."""

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


def data_loader_mnist(dataset):
    """Read the JSON data file: {"train": [X, y], "valid": [X, y], "test": [X, y]}, X rows of 784 pixels in [0, 1]."""
    with open(dataset, "r") as f:
        data_set = json.load(f)
    splits = [np.array(data_set[name][part]) for name in ("train", "valid", "test") for part in (0, 1)]
    return tuple(splits)
