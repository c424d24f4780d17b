"""cs689-hw4 question 3: the stand-in data, the reference's tables, the from-scratch rule and its
configured penalty, and the loop detector the vectorisation check relies on."""
import numpy as np
import pytest
import torch

from conftest import run_cli
from grader.core import assignments
from grader.core.source_rules import forbidden_uses, loops_over_rows

cs689 = assignments.get("cs689-hw4")
gmm = cs689.load_reference().gmm


def test_the_stand_in_files_have_the_course_layout():
    with np.load(cs689.data_dir / "mixture_model.npz") as model, np.load(cs689.data_dir / "mixture_data.npz") as data:
        assert model["mu"].shape == (10, 784) and model["Sigma"].shape == (10, 784, 784)
        assert model["pi"].shape == (10, 1) and data["X"].shape == (10, 784)
        assert model["Sigma"].dtype == np.float64 and model["pi"].sum() == pytest.approx(1.0)
        assert np.all(np.linalg.eigvalsh(model["Sigma"][:2]) > 0)


def test_reference_matches_torch_distributions_on_random_problems():
    rng = np.random.default_rng(0)
    for d in (1, 5, 40):
        mu, factors = rng.normal(size=(3, d)), rng.normal(size=(3, d, d))
        Sigma = factors @ factors.transpose(0, 2, 1) + 0.1 * np.eye(d)
        pi, X = np.array([0.2, 0.3, 0.5]), rng.normal(size=(7, d))
        joint = torch.distributions.MultivariateNormal(torch.tensor(mu), torch.tensor(Sigma)).log_prob(
            torch.tensor(X)[:, None]) + torch.log(torch.tensor(pi))
        expected = joint - torch.logsumexp(joint, 1, keepdim=True)
        torch.testing.assert_close(gmm.log_posterior(X, mu, Sigma, pi), expected, atol=1e-9, rtol=1e-9)
        observed = [0] if d == 1 else [d - 1, 0]
        marginal = torch.distributions.MultivariateNormal(torch.tensor(mu[:, observed]),
                                                          torch.tensor(Sigma[:, observed][:, :, observed]))
        joint = marginal.log_prob(torch.tensor(X[:, observed])[:, None]) + torch.log(torch.tensor(pi))
        torch.testing.assert_close(gmm.log_posterior_observed(X, mu, Sigma, pi, observed),
                                   joint - torch.logsumexp(joint, 1, keepdim=True), atol=1e-9, rtol=1e-9)


def test_tables_command_prints_both_tables_in_three_formats():
    completed = run_cli("tables", "cs689-hw4")
    assert completed.returncode == 0, completed.stderr
    full, left = gmm.tables(cs689.data_dir / "mixture_model.npz", cs689.data_dir / "mixture_data.npz")
    assert f"{full[3, 3].item():.4f}" in completed.stdout and f"{left[7, 2].item():.4f}" in completed.stdout
    assert "3b:" in completed.stdout and "3d:" in completed.stdout
    assert "\\toprule" in completed.stdout and "|--" in completed.stdout  # LaTeX and markdown
    without = next(a for a in assignments.all_assignments().values() if a.extension("tables") is None)
    assert run_cli("tables", without.id).returncode == 2


def test_the_rule_penalty_comes_from_the_config():
    rule = next(info for info, _ in cs689.checks if info.name == "no_ready_made_density")
    assert rule.penalty == cs689.penalties["ready_made_density"] > 0 and rule.points == 0


@pytest.mark.parametrize("source, expected", [
    ("import torch.distributions as D\nD.Normal(0, 1)", [(1, "torch.distributions")]),
    ("from scipy.stats import multivariate_normal", [(1, "scipy.stats.multivariate_normal")]),
    ("import torch\nx = torch.distributions.MultivariateNormal(m, S)", [(2, "torch.distributions.MultivariateNormal")]),
    ("import torch\nx = torch.logsumexp(a, 0)\ndistributions = 3", []),
])
def test_ready_made_densities_are_found_by_name(source, expected):
    found = forbidden_uses(source, "gmm.py", ("torch.distributions", "scipy.stats"), ("MultivariateNormal",))
    assert found[:1] == expected[:1] and bool(found) == bool(expected)


@pytest.mark.parametrize("body, loops", [
    ("for x in X:\n        pass", True),
    ("for n, x in enumerate(X):\n        pass", True),
    ("N = X.shape[0]\n    for n in range(N):\n        pass", True),
    ("N, D = X.shape\n    rows = [X[n] for n in range(N)]", True),
    ("return torch.stack([f(row) for row in X])", True),
    ("for k in range(mu.shape[0]):\n        pass", False),
    ("K = len(pi)\n    for k in range(K):\n        pass", False),
])
def test_loops_over_the_data_cases_are_told_from_loops_over_components(body, loops):
    source = f"def log_posterior(X, mu, Sigma, pi):\n    {body}\n"
    assert bool(loops_over_rows(source, "gmm.py", "log_posterior")) == loops
