"""Executable answers to the written problems of CSCI567 HW3 (course staff and tests only).

Problem 1: the multiclass perceptron and its kernelised form. Problem 2: back-propagation
through the mini CNN (two shared-weight filters, ReLU, a linear output, logistic loss).
Problem 3.5: parameter counts of the three Fashion-MNIST architectures.
"""
import numpy as np


# ---------------------------------------------------------------------- Problem 1

def perceptron(X, y, num_classes, picks):
    """Multiclass perceptron (SGD with step 1 on the perceptron loss), visiting examples in ``picks``."""
    W = np.zeros((num_classes, X.shape[1]))
    for i in picks:
        predicted = int(np.argmax(W @ X[i]))
        if predicted != y[i]:
            W[predicted] -= X[i]
            W[y[i]] += X[i]
    return W


def kernel_perceptron(X, y, num_classes, picks, kernel):
    """The same algorithm on coefficients alpha (C, n), with w_c = sum_i alpha[c, i] phi(x_i).

    Feature vectors are only ever fed to ``kernel``; the Gram matrix is computed once."""
    gram = kernel(X, X)
    alpha = np.zeros((num_classes, len(X)))
    for i in picks:
        predicted = int(np.argmax(alpha @ gram[:, i]))
        if predicted != y[i]:
            alpha[predicted, i] -= 1
            alpha[y[i], i] += 1
    return alpha


def linear_kernel(A, B):
    return A @ B.T


def predict_perceptron(W, X):
    return np.argmax(X @ W.T, axis=1)


def predict_kernel_perceptron(alpha, X_train, X_new, kernel):
    return np.argmax(alpha @ kernel(X_train, X_new), axis=0)


# ---------------------------------------------------------------------- Problem 2

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mini_cnn_forward(x, w, v):
    a = np.array([x[0] * w[0] + x[1] * w[1], x[1] * w[0] + x[2] * w[1]])
    o = np.maximum(a, 0.0)
    return a, o, float(o @ v)


def mini_cnn_loss(x, y, w, v):
    return float(np.log1p(np.exp(-y * mini_cnn_forward(x, w, v)[2])))


def mini_cnn_gradients(x, y, w, v):
    """dl/dv1, dl/dv2, dl/dw1, dl/dw2 by the chain rule: dl/dy_hat = (sigmoid(y y_hat) - 1) y."""
    a, o, y_hat = mini_cnn_forward(x, w, v)
    g = (sigmoid(y * y_hat) - 1.0) * y
    h = (a > 0).astype(float)
    return {"v1": g * o[0], "v2": g * o[1],
            "w1": g * (v[0] * h[0] * x[0] + v[1] * h[1] * x[1]),
            "w2": g * (v[0] * h[0] * x[1] + v[1] * h[1] * x[2])}


def mini_cnn_sgd_step(x, y, w, v, learning_rate):
    """One back-propagation step: every gradient uses the values before the update."""
    grads = mini_cnn_gradients(x, y, w, v)
    new_w = w - learning_rate * np.array([grads["w1"], grads["w2"]])
    new_v = v - learning_rate * np.array([grads["v1"], grads["v2"]])
    return new_w, new_v


# ---------------------------------------------------------------------- Problem 3.5

def architectures():
    """The 2-layer MLP, the 2-layer CNN and the 3-layer CNN of problem 3.5, as torch models."""
    from torch import nn

    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    cnn2 = nn.Sequential(nn.Conv2d(1, 64, 7), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 11 * 11, 10))
    cnn3 = nn.Sequential(nn.Conv2d(1, 64, 7), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(64, 128, 2), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128 * 5 * 5, 10))
    return {"2-layer MLP": mlp, "2-layer CNN": cnn2, "3-layer CNN": cnn3}


def parameter_counts():
    return {name: sum(p.numel() for p in model.parameters()) for name, model in architectures().items()}
