"""Question 1 (written): EM for a mixture of K Bernoulli vectors, the reference the course checks answers with.

Model: pick component k with probability pi_k, then draw every x_d ~ Bernoulli(p_d^(k)) independently, so
    log P(x | p^(k)) = sum_d [x_d log p_d^(k) + (1 - x_d) log(1 - p_d^(k))]
    log P(D | pi, p) = sum_i log sum_k pi_k P(x^(i) | p^(k)).
E-step: eta(z_k^(i)) = pi_k P(x^(i) | p^(k)) / sum_j pi_j P(x^(i) | p^(j)), computed in log space (a product of
D probabilities underflows long before D = 784). M-step: p^(k) = sum_i eta_ik x^(i) / N_k and
pi_k = N_k / n with N_k = sum_i eta_ik. ``smoothing`` adds pseudo-counts (a Beta prior) so that no p_d is
exactly 0 or 1, which would make a later log-likelihood -inf; the handout's updates are smoothing = 0.
"""
import numpy as np


def logsumexp(a, axis, keepdims=False):
    """log sum exp along ``axis``, shifted by the maximum so that nothing overflows or underflows to 0."""
    top = np.max(a, axis=axis, keepdims=True)
    total = top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))
    return total if keepdims else np.squeeze(total, axis=axis)


def log_joint(X, p, pi):
    """(n, K) log [pi_k P(x^(i) | p^(k))] for binary X (n, D), p (K, D) in (0, 1), pi (K,)."""
    X = np.asarray(X, dtype=np.float64)
    return np.log(pi)[None, :] + X @ np.log(p).T + (1 - X) @ np.log1p(-p).T


def log_likelihood(X, p, pi):
    """log P(D | pi, p): the sum over data cases of logsumexp_k of the log joint."""
    return float(logsumexp(log_joint(X, p, pi), axis=1).sum())


def e_step(X, p, pi):
    """(n, K) responsibilities eta(z_k^(i)), rows summing to 1."""
    joint = log_joint(X, p, pi)
    return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))


def m_step(X, eta, smoothing=0.0):
    """(p, pi) maximising the expected complete-data log-likelihood for responsibilities eta (n, K)."""
    X = np.asarray(X, dtype=np.float64)
    counts = eta.sum(axis=0)                                         # N_k
    p = (eta.T @ X + smoothing) / (counts[:, None] + 2 * smoothing)
    return p, counts / counts.sum()


def expected_complete_log_likelihood(X, eta, p, pi):
    """The E-step's objective sum_i sum_k eta_ik [log pi_k + log P(x^(i) | p^(k))] at (p, pi)."""
    return float((eta * log_joint(X, p, pi)).sum())


def fit(X, K, iterations=50, smoothing=1e-3, seed=0):
    """EM from a random start: (p, pi, log-likelihood after every iteration)."""
    rng = np.random.default_rng(seed)
    n, D = np.shape(X)
    p = rng.uniform(0.25, 0.75, size=(K, D))
    pi = np.full(K, 1.0 / K)
    history = []
    for _ in range(iterations):
        p, pi = m_step(X, e_step(X, p, pi), smoothing)
        history.append(log_likelihood(X, p, pi))
    return p, pi, history
