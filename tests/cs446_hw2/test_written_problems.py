"""cs446-hw2 questions 1 and 2 (written): the reference's EM for Bernoulli mixtures and its numeric
answers, checked against independent computations (the handout's product formula, autograd, torch layers)."""
import math

import numpy as np
import pytest
import torch

from grader.core import assignments

cs446 = assignments.get("cs446-hw2")
em = cs446.load_reference_module("bernoulli_em")
net = cs446.load_reference_module("deep_net")


def _planted(rng, n=600, D=40, K=3):
    prototypes = rng.uniform(0.05, 0.95, size=(K, D)).round()   # far-apart binary prototypes
    p = np.clip(prototypes, 0.1, 0.9)
    labels = rng.choice(K, size=n, p=[0.5, 0.3, 0.2])
    return (rng.random((n, D)) < p[labels]).astype(np.float64), labels, p


def test_responsibilities_match_the_handouts_product_formula():
    rng = np.random.default_rng(0)
    X = (rng.random((7, 6)) < 0.5).astype(float)
    p, pi = rng.uniform(0.1, 0.9, size=(3, 6)), np.array([0.2, 0.5, 0.3])
    numerators = np.array([[pi[k] * np.prod(p[k] ** x * (1 - p[k]) ** (1 - x)) for k in range(3)] for x in X])
    np.testing.assert_allclose(em.e_step(X, p, pi), numerators / numerators.sum(1, keepdims=True), rtol=1e-12)
    assert em.log_likelihood(X, p, pi) == pytest.approx(np.log(numerators.sum(1)).sum(), rel=1e-12)


def test_responsibilities_stay_finite_in_784_dimensions():
    rng = np.random.default_rng(1)
    X = (rng.random((5, 784)) < 0.5).astype(float)
    eta = em.e_step(X, rng.uniform(0.1, 0.9, size=(4, 784)), np.full(4, 0.25))
    assert np.isfinite(eta).all() and np.allclose(eta.sum(1), 1)


def test_m_step_maximises_the_expected_complete_log_likelihood():
    rng = np.random.default_rng(2)
    X, _, _ = _planted(rng, n=80, D=10)
    eta = rng.dirichlet(np.ones(3), size=80)
    p, pi = em.m_step(X, eta)
    best = em.expected_complete_log_likelihood(X, eta, p, pi)
    for _ in range(200):  # any other parameters, the mixing weights still a distribution, do worse
        other_p = np.clip(p + rng.normal(scale=0.05, size=p.shape), 1e-3, 1 - 1e-3)
        other_pi = np.abs(pi + rng.normal(scale=0.05, size=3))
        assert em.expected_complete_log_likelihood(X, eta, other_p, other_pi / other_pi.sum()) <= best + 1e-9


def test_em_never_decreases_the_log_likelihood_and_recovers_planted_clusters():
    rng = np.random.default_rng(3)
    X, labels, truth = _planted(rng)
    p, pi, history = em.fit(X, K=3, iterations=40, seed=1)
    assert all(b >= a - 1e-8 for a, b in zip(history[:-1], history[1:], strict=True))
    assigned = em.e_step(X, p, pi).argmax(1)
    # the same partition up to relabelling
    matching = {k: np.bincount(labels[assigned == k], minlength=3).argmax() for k in range(3)}
    assert sorted(matching.values()) == [0, 1, 2]
    assert np.mean([matching[a] == t for a, t in zip(assigned, labels, strict=True)]) > 0.97
    order = [next(k for k, t in matching.items() if t == j) for j in range(3)]
    np.testing.assert_allclose(pi[order], [0.5, 0.3, 0.2], atol=0.06)
    assert np.abs(p[order] - truth).mean() < 0.06


def test_sigmoid_network_gradients_match_autograd():
    rng = np.random.default_rng(4)
    for w3, w2, w1, x in rng.normal(scale=1.5, size=(10, 4)):
        weights = torch.tensor([w3, w2, w1], dtype=torch.float64, requires_grad=True)
        f = weights[0] * torch.sigmoid(weights[1] * torch.sigmoid(weights[2] * x))
        f.backward()
        assert net.forward(w3, w2, w1, x)["f"] == pytest.approx(f.item(), rel=1e-12)
        np.testing.assert_allclose(net.gradients(w3, w2, w1, x), weights.grad.numpy(), rtol=1e-10)


def test_both_forms_of_the_sigmoid_derivative_agree_with_autograd():
    for u in (-6.0, -0.3, 0.0, 2.5):
        t = torch.tensor(u, dtype=torch.float64, requires_grad=True)
        torch.sigmoid(t).backward()
        assert net.sigmoid_derivative_from_u(u) == pytest.approx(t.grad.item(), rel=1e-12)
        assert net.sigmoid_derivative_from_output(net.sigmoid(u)) == pytest.approx(t.grad.item(), rel=1e-12)
    assert math.isclose(net.sigmoid(0.0), 0.5)


def test_the_cnn_sizes_are_what_torch_layers_produce():
    (channels, side), (pooled_channels, pooled_side) = net.first_layers()
    image = torch.zeros(1, 1, 28, 28)
    conv = torch.nn.Conv2d(1, 20, kernel_size=5, stride=1, padding=0)
    assert conv(image).shape == (1, channels, side, side) == (1, 20, 24, 24)
    pooled = torch.nn.MaxPool2d(2)(conv(image))
    assert pooled.shape == (1, pooled_channels, pooled_side, pooled_side) == (1, 20, 12, 12)
    [(kernel, stride, out_channels)] = net.second_convolutions()
    second = torch.nn.Conv2d(20, out_channels, kernel_size=kernel, stride=stride, padding=0)
    assert torch.nn.MaxPool2d(2)(second(pooled)).shape == (1, 50, 4, 4)


def test_tables_command_prints_the_cnn_answers():
    from conftest import run_cli

    completed = run_cli("tables", "cs446-hw2", "--format", "markdown")
    assert completed.returncode == 0, completed.stderr
    [(kernel, stride, channels)] = net.second_convolutions()
    assert f"{kernel}x{kernel} filters, stride {stride}, {channels} output channels" in completed.stdout
    assert "| 2(h) max-pooling 2x2" in completed.stdout and "50 x 4 x 4" in completed.stdout
