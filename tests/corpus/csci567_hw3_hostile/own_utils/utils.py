# A student's own utils.py that would make every loss zero; the grader must use the course's copy.
import numpy as np
from json import load


class softmax_cross_entropy:
    def forward(self, X, Y):
        return 0.0

    def backward(self, X, Y):
        return np.zeros_like(X)


def predict_label(f):
    return np.zeros((f.shape[0], 1))


class DataSplit:
    def __init__(self, X, Y):
        self.X, self.Y = X, Y
        self.N, self.d = X.shape

    def get_example(self, idx):
        return self.X[idx], self.Y[idx].reshape(-1, 1)


def data_loader_mnist(data_dir):
    raise SystemExit("not today")
