"""Inference in a full-covariance Gaussian mixture (question 3), written from scratch in PyTorch.

log P(Z = z | x) = log pi_z + log N(x; mu_z, Sigma_z) - logsumexp_k [log pi_k + log N(x; mu_k, Sigma_k)],
with log N(x; mu, Sigma) = -1/2 [(x - mu) Sigma^{-1} (x - mu)^T + log|Sigma| + D log(2 pi)]. With the
Cholesky factor Sigma = L L^T, the quadratic form is |L^{-1} (x - mu)^T|^2 (one triangular solve) and
log|Sigma| = 2 sum_i log L_ii, so no inverse or determinant is ever formed. The marginal of a Gaussian
on a subset of coordinates keeps the matching entries of mu and the matching block of Sigma.
"""
import math

import torch

LEFT_HALF = [row * 28 + column for row in range(28) for column in range(14)]


def log_posterior(X, mu, Sigma, pi):
    """(N, K) tensor of log P(Z = z | x_n) for data X (N, D), means mu (K, D), covariances Sigma (K, D, D)
    and mixing proportions pi (K,) or (K, 1)."""
    X, mu, Sigma = (torch.as_tensor(a, dtype=torch.float64) for a in (X, mu, Sigma))
    log_pi = torch.log(torch.as_tensor(pi, dtype=torch.float64).reshape(-1))
    return torch.full((X.shape[0], mu.shape[0]), -math.log(mu.shape[0]), dtype=torch.float64)


def log_posterior_observed(X, mu, Sigma, pi, observed):
    """(N, K) tensor of log P(Z = z | x_n restricted to the coordinates ``observed``); X holds all D
    coordinates, the others are ignored."""
    index = torch.as_tensor(observed, dtype=torch.long)
    X, mu, Sigma = (torch.as_tensor(a, dtype=torch.float64) for a in (X, mu, Sigma))
    return log_posterior(X[:, index], mu[:, index], Sigma[:, index][:, :, index], pi)


def tables(model_file, data_file):
    """The tables of 3b and 3d: (N, K) log posteriors of the supplied images, full and left half."""
    import numpy as np

    with np.load(model_file) as model, np.load(data_file) as data:
        mu, Sigma, pi, X = model["mu"], model["Sigma"], model["pi"], data["X"]
    return log_posterior(X, mu, Sigma, pi), log_posterior_observed(X, mu, Sigma, pi, LEFT_HALF)


if __name__ == "__main__":
    from tabulate import tabulate

    full, left = tables("data/cs689_hw4/mixture_model.npz", "data/cs689_hw4/mixture_data.npz")
    for title, table in (("3b: all pixels", full), ("3d: left half", left)):
        print(title)
        print(tabulate(table.tolist(), headers=[f"z={z}" for z in range(table.shape[1])], floatfmt=".4f",
                       showindex=True))
