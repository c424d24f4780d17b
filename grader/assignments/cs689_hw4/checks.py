"""Checks of CS689 HW4 question 3 (``gmm.py``): inference in a full-covariance Gaussian mixture.

Public checks test properties (rows are normalised, permuting components permutes columns, a 1-D
case with a closed form, observing every feature equals the full version) and reveal no table.
Hidden checks compare with the reference on fresh problems every run: random models, ill-conditioned
covariances, inputs far from every mean, and the supplied 784-pixel model on held-out images.
"""
import functools
import math

import numpy as np
import torch

from grader.engine.checks import CheckFailed, check
from grader.engine.compare import expect, expect_close, expect_shape
from grader.engine.source_rules import forbidden_uses, loops_over_rows

FILE = "gmm.py"
TOL = dict(atol=1e-4, rtol=1e-6)  # the handout asks for four decimals
READY_MADE_MODULES = ("torch.distributions", "scipy.stats", "sklearn.mixture", "sklearn.covariance",
                      "torch.nn.GaussianNLLLoss", "torch.nn.functional.gaussian_nll_loss")
READY_MADE_NAMES = ("MultivariateNormal", "multivariate_normal", "GaussianMixture", "LowRankMultivariateNormal")
SLOW_SECONDS = 30.0  # 1000 images of 784 pixels: the reference takes well under a second


# ------------------------------------------------------------------------------ problems

def _spd(rng, k, d, condition=None):
    if condition is None:
        factors = rng.normal(size=(k, d, d))
        return factors @ factors.transpose(0, 2, 1) / d + 0.1 * np.eye(d)
    rotations = np.linalg.qr(rng.normal(size=(k, d, d)))[0]
    spectrum = np.logspace(-np.log10(condition) / 2, np.log10(condition) / 2, d)
    Sigma = rotations @ (spectrum[None, :, None] * rotations.transpose(0, 2, 1))
    return (Sigma + Sigma.transpose(0, 2, 1)) / 2


def _problem(rng, n, k, d, condition=None, far=False):
    mu = rng.normal(scale=2.0, size=(k, d))
    pi = rng.dirichlet(np.ones(k))[:, None]
    X = mu[rng.integers(0, k, size=n)] + rng.normal(size=(n, d))
    if far:
        X = X + rng.normal(scale=300.0, size=(1, d))  # far from every mean: exp() of the joint underflows
    return [torch.tensor(a) for a in (X, mu, _spd(rng, k, d, condition), pi)]


@functools.lru_cache(maxsize=2)
def _load_official(data_dir):
    # 50 MB of covariances, read once per grading process rather than once per check; never modified.
    with np.load(data_dir / "mixture_model.npz") as model, np.load(data_dir / "mixture_data.npz") as data:
        return [torch.tensor(np.asarray(a, dtype=np.float64)) for a in
                (model["mu"], model["Sigma"], model["pi"], data["X"])]


@functools.lru_cache(maxsize=2)
def _heldout_images(data_dir):
    return np.load(data_dir / "hidden" / "heldout_images.npy")


def _official(ctx):
    """The supplied model and images (mu, Sigma, pi, X) as float64 tensors."""
    return _load_official(ctx.data_dir)


def _heldout(ctx, count):
    images = _heldout_images(ctx.data_dir)
    return torch.tensor(images[ctx.np_random().choice(len(images), size=count, replace=False)])


def _posterior(ctx, X, mu, Sigma, pi, what, observed=None):
    if observed is None:
        found = ctx.call("log_posterior", X, mu, Sigma, pi, doing=f"calling log_posterior on {what}")
    else:
        found = ctx.call("log_posterior_observed", X, mu, Sigma, pi, observed,
                         doing=f"calling log_posterior_observed on {what}")
    name = "log_posterior" if observed is None else "log_posterior_observed"
    expect_shape(f"{name} on {what}: one row per data case, one column per component", (len(X), len(mu)),
                 tuple(found.shape))
    expect(bool(torch.isfinite(found).all()), f"{name} on {what} returned non-finite values (first row: "
           f"{found[0].tolist()}). Work with log densities and normalise with logsumexp instead of exp().")
    return found


def _describe(X, mu):
    return f"{len(X)} data cases, {mu.shape[0]} components in {mu.shape[1]} dimensions"


# ------------------------------------------------------------------------------ the rule

@check("3", points=0, penalty="ready_made_density", public=True, number="3.0")
def no_ready_made_density(ctx):
    """Rule: gmm.py computes the Gaussian density itself (no torch.distributions, scipy.stats, ...)"""
    hits = forbidden_uses(ctx.source(FILE), FILE, READY_MADE_MODULES, READY_MADE_NAMES)
    if hits:
        listed = "; ".join(f"line {line}: {name}" for line, name in hits)
        raise CheckFailed(f"gmm.py uses a ready-made Gaussian density ({listed}). The handout asks for the "
                          "inference from scratch: write log N(x; mu, Sigma) yourself (torch.linalg and "
                          "torch.logsumexp are fine).")


# ------------------------------------------------------------------------------ 3a

@check("3a", points=0.5, public=True)
def rows_are_normalised(ctx):
    """3a: log_posterior returns (N, K) log probabilities whose exponentials sum to 1 in every row"""
    X, mu, Sigma, pi = _problem(ctx.np_random(), 6, 4, 3)
    found = _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu))
    expect_close("logsumexp of every row of log_posterior (should be log 1 = 0)", torch.zeros(6),
                 torch.logsumexp(found.double(), dim=1), atol=1e-8, rtol=0)


@check("3a", points=0.5, public=True)
def permuting_components_permutes_columns(ctx):
    """3a: reordering the components reorders the columns of log_posterior the same way"""
    rng = ctx.np_random()
    X, mu, Sigma, pi = _problem(rng, 5, 4, 3)
    order = torch.as_tensor(rng.permutation(4))
    first = _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu))
    second = _posterior(ctx, X, mu[order], Sigma[order], pi[order], "the same problem with its components reordered")
    expect_close(f"log_posterior with the components in the order {order.tolist()}, against the columns of the "
                 "original order", first[:, order], second, atol=1e-8, rtol=1e-8)


@check("3a", points=1, public=True)
def one_dimensional_closed_form(ctx):
    """3a: a one-dimensional mixture of two components matches the formula worked by hand"""
    mu, variances, pi = [-1.0, 2.0], [1.0, 4.0], [0.25, 0.75]
    X = torch.tensor([[-3.0], [0.0], [0.5], [6.0]], dtype=torch.float64)
    joint = torch.tensor([[math.log(p) - 0.5 * math.log(2 * math.pi * v) - (x - m) ** 2 / (2 * v)
                           for m, v, p in zip(mu, variances, pi, strict=True)] for x in X[:, 0].tolist()])
    expected = joint - torch.logsumexp(joint, dim=1, keepdim=True)
    found = _posterior(ctx, X, torch.tensor([[m] for m in mu]), torch.tensor([[[v]] for v in variances]),
                       torch.tensor([[p] for p in pi]), "a 1-D mixture with means -1, 2, variances 1, 4, pi 0.25, 0.75")
    expect_close("log P(Z = z | x) for x = -3, 0, 0.5, 6 in the 1-D mixture", expected, found, **TOL)


@check("3a", points=1)
def matches_reference_on_random_models(ctx):
    """3a: log_posterior matches the reference on random models of several sizes"""
    rng = ctx.np_random()
    for n, k, d in ((1, 2, 1), (int(rng.integers(5, 40)), int(rng.integers(2, 7)), int(rng.integers(2, 30))),
                    (int(rng.integers(5, 20)), 10, int(rng.integers(40, 80)))):
        X, mu, Sigma, pi = _problem(rng, n, k, d)
        expect_close(f"log_posterior on {_describe(X, mu)}", ctx.reference.gmm.log_posterior(X, mu, Sigma, pi),
                     _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu)), **TOL)


@check("3a", points=1)
def stable_on_hard_problems(ctx):
    """3a: log_posterior stays finite and correct for ill-conditioned covariances and far-away inputs"""
    rng = ctx.np_random()
    for condition, far, what in ((1e8, False, "covariances with condition number 1e8"),
                                 (None, True, "inputs hundreds of standard deviations from every mean"),
                                 (1e6, True, "ill-conditioned covariances and far-away inputs")):
        X, mu, Sigma, pi = _problem(rng, int(rng.integers(4, 12)), int(rng.integers(2, 6)), int(rng.integers(5, 25)),
                                    condition, far)
        expect_close(f"log_posterior on {what} ({_describe(X, mu)})", ctx.reference.gmm.log_posterior(X, mu, Sigma, pi),
                     _posterior(ctx, X, mu, Sigma, pi, what), **TOL)


@check("3a", points=0.5)
def matches_reference_on_other_images(ctx):
    """3a: log_posterior matches the reference on the supplied 784-pixel model and 20 other images"""
    mu, Sigma, pi, _ = _official(ctx)
    X = _heldout(ctx, 20)
    expect_close("log_posterior on 20 held-out images with the supplied model",
                 ctx.reference.gmm.log_posterior(X, mu, Sigma, pi),
                 _posterior(ctx, X, mu, Sigma, pi, "20 held-out images with the supplied model"), **TOL)


@check("3a", points=0.5)
def vectorised(ctx):
    """3a: log_posterior handles 1000 images of 784 pixels at once, without a Python loop over the images"""
    loops = loops_over_rows(ctx.source(FILE), FILE, "log_posterior")
    if loops:
        listed = "; ".join(f"line {line}: for ... in {iterable}" for line, iterable in loops)
        raise CheckFailed(f"log_posterior loops in Python over the data cases ({listed}). Compute all rows at once "
                          "with batched tensor operations (a loop over the components is fine).")
    mu, Sigma, pi, _ = _official(ctx)
    images = _heldout_images(ctx.data_dir)
    X = torch.tensor(images[ctx.np_random().integers(0, len(images), size=1000)])
    found = ctx.call("timed_log_posterior", X, mu, Sigma, pi, timeout=120,
                     doing="calling log_posterior on 1000 images of 784 pixels")
    expect_shape("log_posterior on 1000 images", (1000, 10), tuple(found["shape"]))
    expect(found["finite"], "log_posterior on 1000 held-out images returned non-finite values.")
    expect(found["seconds"] < SLOW_SECONDS, f"log_posterior took {found['seconds']:.1f} s for 1000 images (limit "
           f"{SLOW_SECONDS:g} s): factorise each covariance once, not once per image.")


# ------------------------------------------------------------------------------ 3b

@check("3b", points=4)
def table_on_the_supplied_images(ctx):
    """3b: the table of log P(Z = z | x_n) for the 10 supplied images agrees with the reference to four decimals"""
    mu, Sigma, pi, X = _official(ctx)
    expected = ctx.reference.gmm.log_posterior(X, mu, Sigma, pi)
    expect_close("the 3b table (row n: supplied image n; column z: component z)", expected,
                 _posterior(ctx, X, mu, Sigma, pi, "the 10 supplied images"), **TOL)


# ------------------------------------------------------------------------------ 3c

@check("3c", points=1, public=True)
def observing_everything_equals_the_full_posterior(ctx):
    """3c: log_posterior_observed with every feature observed equals log_posterior"""
    X, mu, Sigma, pi = _problem(ctx.np_random(), 5, 3, 4)
    full = _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu))
    every = _posterior(ctx, X, mu, Sigma, pi, f"{_describe(X, mu)}, all 4 features observed", observed=[0, 1, 2, 3])
    expect_close("log_posterior_observed with observed = [0, 1, 2, 3], against log_posterior", full, every,
                 atol=1e-8, rtol=1e-8)


@check("3c", points=1, public=True)
def unobserved_features_are_ignored(ctx):
    """3c: log_posterior_observed gives normalised rows that do not depend on the unobserved features"""
    rng = ctx.np_random()
    X, mu, Sigma, pi = _problem(rng, 5, 3, 6)
    observed = [0, 2, 3]
    first = _posterior(ctx, X, mu, Sigma, pi, "a problem with features 0, 2, 3 observed", observed=observed)
    expect_close("logsumexp of every row of log_posterior_observed", torch.zeros(5),
                 torch.logsumexp(first.double(), dim=1), atol=1e-8, rtol=0)
    changed = X.clone()
    changed[:, [1, 4, 5]] = torch.tensor(rng.normal(scale=1e3, size=(5, 3)))
    second = _posterior(ctx, changed, mu, Sigma, pi, "the same problem with other values in unobserved features",
                        observed=observed)
    expect_close("log_posterior_observed after changing only the unobserved features 1, 4, 5", first, second,
                 atol=1e-8, rtol=1e-8)


@check("3c", points=2)
def observed_matches_reference_on_random_models(ctx):
    """3c: log_posterior_observed matches the reference on random models and random observed features"""
    rng = ctx.np_random()
    for _ in range(3):
        X, mu, Sigma, pi = _problem(rng, int(rng.integers(3, 15)), int(rng.integers(2, 6)), int(rng.integers(3, 25)))
        observed = sorted(rng.choice(X.shape[1], size=int(rng.integers(1, X.shape[1])), replace=False).tolist())
        if rng.random() < 0.5:
            observed = observed[::-1]
        what = f"{_describe(X, mu)}, features {observed} observed"
        expect_close(f"log_posterior_observed on {what}",
                     ctx.reference.gmm.log_posterior_observed(X, mu, Sigma, pi, observed),
                     _posterior(ctx, X, mu, Sigma, pi, what, observed=observed), **TOL)


@check("3c", points=1)
def left_half_matches_reference_on_other_images(ctx):
    """3c: log_posterior_observed on the left half of 20 other images matches the reference"""
    mu, Sigma, pi, _ = _official(ctx)
    X = _heldout(ctx, 20)
    left = ctx.reference.gmm.LEFT_HALF
    expect_close("log_posterior_observed on the left half of 20 held-out images",
                 ctx.reference.gmm.log_posterior_observed(X, mu, Sigma, pi, left),
                 _posterior(ctx, X, mu, Sigma, pi, "the left half of 20 held-out images", observed=left), **TOL)


# ------------------------------------------------------------------------------ 3d

@check("3d", points=4)
def left_half_table_on_the_supplied_images(ctx):
    """3d: the table for the left half of the 10 supplied images agrees with the reference to four decimals"""
    mu, Sigma, pi, X = _official(ctx)
    left = ctx.reference.gmm.LEFT_HALF
    expect_close("the 3d table (left half: columns 0-13 of every row of each image)",
                 ctx.reference.gmm.log_posterior_observed(X, mu, Sigma, pi, left),
                 _posterior(ctx, X, mu, Sigma, pi, "the left half of the 10 supplied images", observed=left), **TOL)
