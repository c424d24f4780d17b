"""The written part (GMM gradients and moments) as reference answers, checked against torch autograd,
an independent closed form and a large Monte-Carlo sample."""
import numpy as np
import pytest
import torch

from grader.core import assignments

eecs4404 = assignments.get("eecs4404-a3")
gmm = eecs4404.load_reference_module("gmm_gradients")


def random_problem(seed, n=30, k=3, d=4):
    rng = np.random.default_rng(seed)
    mu = rng.normal(scale=2.0, size=(k, d))
    factors = rng.normal(size=(k, d, d))
    Sigma = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)  # full, positive definite
    w = rng.normal(size=k)
    Y = rng.normal(scale=2.0, size=(n, d))
    return Y, mu, Sigma, w


def torch_objective(Y, mu, Sigma, pi):
    """E = -sum_i log sum_j pi_j N(y_i | mu_j, Sigma_j), with torch's own Gaussian density."""
    components = torch.distributions.MultivariateNormal(mu, covariance_matrix=Sigma)
    log_joint = components.log_prob(Y[:, None, :]) + torch.log(pi)
    return -torch.logsumexp(log_joint, dim=1).sum()


def test_the_written_part_never_reaches_students():
    from grader.staff.templates import template_files

    assert "gmm_gradients.py" in eecs4404.reference_only
    assert not [p for p in template_files(eecs4404) if p.name == "gmm_gradients.py"]


@pytest.mark.parametrize("seed", range(4))
def test_gradients_match_autograd(seed):
    Y, mu, Sigma, w = random_problem(seed)
    pi = gmm.softmax(w)
    t = {name: torch.tensor(value, requires_grad=True) for name, value in
         (("mu", mu), ("pi", pi), ("w", w))}
    Yt, St = torch.tensor(Y), torch.tensor(Sigma)
    objective = torch_objective(Yt, t["mu"], St, t["pi"])
    objective.backward()
    assert gmm.objective(Y, mu, Sigma, pi) == pytest.approx(objective.item(), rel=1e-10)
    np.testing.assert_allclose(gmm.grad_mu(Y, mu, Sigma, pi), t["mu"].grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(gmm.grad_pi(Y, mu, Sigma, pi), t["pi"].grad.numpy(), rtol=1e-8, atol=1e-10)
    torch_objective(Yt, torch.tensor(mu), St, torch.softmax(t["w"], dim=0)).backward()
    np.testing.assert_allclose(gmm.grad_w(Y, mu, Sigma, w), t["w"].grad.numpy(), rtol=1e-8, atol=1e-10)


def test_softmax_jacobian_matches_autograd():
    w = np.random.default_rng(7).normal(size=5)
    expected = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=0), torch.tensor(w))
    np.testing.assert_allclose(gmm.softmax_jacobian(w), expected.numpy(), atol=1e-14)


def test_moments_match_the_law_of_total_covariance_and_a_large_sample():
    _, mu, Sigma, w = random_problem(3, k=3, d=3)
    pi = gmm.softmax(w)
    m, second, cov = gmm.mean(mu, pi), gmm.second_moment(mu, Sigma, pi), gmm.covariance(mu, Sigma, pi)
    # Independent closed form: cov[y] = E[cov[y | z]] + cov[E[y | z]].
    spread = mu - m
    np.testing.assert_allclose(cov, np.einsum("j,jab->ab", pi, Sigma) + np.einsum("j,ja,jb->ab", pi, spread, spread),
                               atol=1e-12)
    np.testing.assert_allclose(second, cov + np.outer(m, m), atol=1e-12)
    rng = np.random.default_rng(11)
    z = rng.choice(len(pi), size=400_000, p=pi)
    noise = np.einsum("nab,nb->na", np.linalg.cholesky(Sigma)[z], rng.normal(size=(len(z), 3)))
    sample = mu[z] + noise
    scale = np.sqrt(np.diag(cov))
    assert np.all(np.abs(sample.mean(axis=0) - m) < 6 * scale / np.sqrt(len(z)))
    np.testing.assert_allclose(np.cov(sample.T), cov, atol=0.03 * scale.max() ** 2)
    np.testing.assert_allclose(sample.T @ sample / len(z), second, atol=0.03 * np.abs(second).max())
