"""The written part of the assignment, as executable answers (for the course staff and the tests).

A Gaussian mixture p(y) = sum_j pi_j N(y | mu_j, Sigma_j) with full covariances, data Y (N, D),
means mu (K, D), covariances Sigma (K, D, D), mixing proportions pi (K,) or their softmax
parameters w (K,). The objective is E = -sum_i log p(y_i). With the responsibilities
r_ij = pi_j N(y_i | mu_j, Sigma_j) / p(y_i):

    dE/dmu_j   = -sum_i r_ij Sigma_j^{-1} (y_i - mu_j)
    dE/dpi_j   = -sum_i N(y_i | mu_j, Sigma_j) / p(y_i) = -sum_i r_ij / pi_j   (constraints ignored)
    dpi_j/dw_k = pi_j (delta_jk - pi_k)
    dE/dw_k    = sum_j dE/dpi_j dpi_j/dw_k = sum_i (pi_k - r_ik) = N pi_k - sum_i r_ik

and the moments E[y] = sum_j pi_j mu_j, E[y y^T] = sum_j pi_j (Sigma_j + mu_j mu_j^T),
cov[y] = E[y y^T] - E[y] E[y]^T.
"""
import numpy as np


def log_densities(Y, mu, Sigma):
    """(N, K) log N(y_i | mu_j, Sigma_j), through Cholesky factors."""
    N, D = Y.shape
    out = np.empty((N, len(mu)))
    for j, (m, S) in enumerate(zip(mu, Sigma, strict=True)):
        L = np.linalg.cholesky(S)
        solved = np.linalg.solve(L, (Y - m).T)
        out[:, j] = -0.5 * np.sum(solved ** 2, axis=0) - np.log(np.diag(L)).sum() - 0.5 * D * np.log(2 * np.pi)
    return out


def responsibilities(Y, mu, Sigma, pi):
    """(N, K) posterior probabilities r_ij of the components."""
    joint = log_densities(Y, mu, Sigma) + np.log(pi)
    return np.exp(joint - np.logaddexp.reduce(joint, axis=1, keepdims=True))


def objective(Y, mu, Sigma, pi):
    """E = -sum_i log p(y_i)."""
    return float(-np.logaddexp.reduce(log_densities(Y, mu, Sigma) + np.log(pi), axis=1).sum())


def grad_mu(Y, mu, Sigma, pi):
    """(K, D) dE/dmu_j."""
    r = responsibilities(Y, mu, Sigma, pi)
    return np.stack([-np.linalg.solve(Sigma[j], ((Y - mu[j]) * r[:, j:j + 1]).sum(axis=0)) for j in range(len(mu))])


def grad_pi(Y, mu, Sigma, pi):
    """(K,) dE/dpi_j, treating the pi_j as free variables."""
    return -responsibilities(Y, mu, Sigma, pi).sum(axis=0) / pi


def softmax(w):
    e = np.exp(w - w.max())
    return e / e.sum()


def softmax_jacobian(w):
    """(K, K) dpi_j/dw_k = pi_j (delta_jk - pi_k)."""
    pi = softmax(w)
    return np.diag(pi) - np.outer(pi, pi)


def grad_w(Y, mu, Sigma, w):
    """(K,) dE/dw_k for pi = softmax(w): N pi_k - sum_i r_ik."""
    pi = softmax(w)
    return len(Y) * pi - responsibilities(Y, mu, Sigma, pi).sum(axis=0)


def mean(mu, pi):
    """E[y] = sum_j pi_j mu_j."""
    return pi @ mu


def second_moment(mu, Sigma, pi):
    """E[y y^T] = sum_j pi_j (Sigma_j + mu_j mu_j^T)."""
    return np.einsum("j,jab->ab", pi, Sigma + np.einsum("ja,jb->jab", mu, mu))


def covariance(mu, Sigma, pi):
    """cov[y] = E[y y^T] - E[y] E[y]^T."""
    m = mean(mu, pi)
    return second_moment(mu, Sigma, pi) - np.outer(m, m)
