"""Checks of CS689 HW4: question 3 (``gmm.py``, inference in a full-covariance Gaussian mixture) and
part 2 (``experiments.py``, ``model.py`` and ``note_predictions.pt``, the next-note model).

Public checks test properties (rows are normalised, permuting components permutes columns, a 1-D
case with a closed form, observing every feature equals the full version) and reveal no table.
Hidden checks compare with the reference on fresh problems every run: random models, ill-conditioned
covariances, inputs far from every mean, and the supplied 784-pixel model on held-out images.
"""
import functools
import json
import math
import time

import numpy as np
import torch

from grader.assignments.cs689_hw4 import probes, scoring
from grader.assignments.cs689_hw4.probes import (log_posterior, log_posterior_observed, log_posterior_supplied,
                                                 note_dataset, note_model_outputs)
from grader.core.checks import CheckFailed, GradeByHand, Scored, check
from grader.core.compare import expect, expect_close, expect_shape
from grader.core.source_rules import forbidden_uses, loops_over_rows, staff_note
from grader.errors import SubmissionError

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


SUPPLIED_MODEL = "mixture_model.npz"
SUPPLIED = (SUPPLIED_MODEL, None, None)  # (mu, Sigma, pi) of the supplied model, for _posterior: mapped, not sent


@functools.lru_cache(maxsize=2)
def _load_official(data_dir):
    # 50 MB of covariances, mapped once per grading process from the file the workers map too; never modified.
    with np.load(data_dir / "mixture_data.npz") as data:
        return [*probes.supplied_model(data_dir / SUPPLIED_MODEL), torch.tensor(np.asarray(data["X"], np.float64))]


@functools.lru_cache(maxsize=2)
def _heldout_images(data_dir):
    return np.load(data_dir / "hidden" / "heldout_images.npy")


def _official(ctx):
    """The supplied model and images (mu, Sigma, pi, X) as float64 tensors."""
    return _load_official(ctx.data_dir)


def _heldout(ctx, count):
    images = _heldout_images(ctx.data_dir)
    return torch.tensor(images[ctx.np_random().choice(len(images), size=count, replace=False)])


def _posterior(ctx, X, mu, Sigma, pi, what, observed=None, timeout=None):
    """The submission's log posterior table for ``X`` under (mu, Sigma, pi), checked for shape and finiteness.
    ``SUPPLIED`` for (mu, Sigma, pi) stands for the supplied model, which the worker maps from the public data."""
    name = "log_posterior" if observed is None else "log_posterior_observed"
    doing = f"calling {name} on {what}"
    if isinstance(mu, str):
        found = ctx.call(log_posterior_supplied, X, str(ctx.data_dir / mu), observed, doing=doing, timeout=timeout)
        components = len(_official(ctx)[0])
    elif observed is None:
        found = ctx.call(log_posterior, X, mu, Sigma, pi, doing=doing, timeout=timeout)
        components = len(mu)
    else:
        found = ctx.call(log_posterior_observed, X, mu, Sigma, pi, observed, doing=doing, timeout=timeout)
        components = len(mu)
    expect_shape(f"{name} on {what}: one row per data case, one column per component", (len(X), components),
                 tuple(found.shape))
    expect(bool(torch.isfinite(found).all()), f"{name} on {what} returned non-finite values (first row: "
           f"{found[0].tolist()}). Work with log densities and normalise with logsumexp instead of exp().")
    return found


def _describe(X, mu):
    return f"{len(X)} data cases, {mu.shape[0]} components in {mu.shape[1]} dimensions"


def _agrees(found, expected, atol, rtol):
    found, expected = found.double(), expected.double()
    return found.shape == expected.shape and bool(((found - expected).abs() <= atol + rtol * expected.abs()).all())


def _picks_the_reference_components(ctx):
    """Whether the submission's log_posterior gives the reference's most likely component for each of the 10
    supplied images: a slip in it (a missing log pi, single precision) does; a stand-in does not."""
    mu, Sigma, pi, X = _official(ctx)
    own = ctx.call(log_posterior_supplied, X, str(ctx.data_dir / SUPPLIED_MODEL),
                   doing="calling log_posterior on the 10 supplied images")
    return isinstance(own, torch.Tensor) and tuple(own.shape) == (len(X), len(mu)) and \
        torch.equal(own.argmax(dim=1), ctx.reference.gmm.log_posterior(X, mu, Sigma, pi).argmax(dim=1))


def _expect_observed(ctx, X, mu, Sigma, pi, observed, what, label, atol=TOL["atol"], rtol=TOL["rtol"], sent=None):
    """log_posterior_observed on ``what`` against the reference, modulo a slip in log_posterior (charged in 3a
    and 3b). 3c asks for the posterior under the marginal on the observed features: code whose
    log_posterior_observed gives exactly its own log_posterior on that marginal has done that part right,
    and passes with a note, unless its log_posterior is a stand-in rather than a slip. ``sent``: the model as
    the submission gets it (``SUPPLIED`` for the supplied one, mapped rather than sent), else (mu, Sigma, pi)."""
    expected = ctx.reference.gmm.log_posterior_observed(X, mu, Sigma, pi, observed)
    found = _posterior(ctx, X, *(sent or (mu, Sigma, pi)), what, observed=observed)
    if _agrees(found, expected, atol, rtol):
        return None
    kept = list(observed)  # the observed features, in the order given
    own = ctx.call(log_posterior, X[:, kept], mu[:, kept], Sigma[:, kept][:, :, kept], pi,
                   doing=f"calling log_posterior on the observed features of {what}")
    if isinstance(own, torch.Tensor) and _agrees(found, own, atol=1e-6, rtol=1e-6) and \
            not _agrees(own, expected, atol, rtol) and _picks_the_reference_components(ctx):
        return Scored(ctx.info.points, f"{label}: your values differ from the reference's, but they are exactly what "
                      "your log_posterior gives on the observed features (the marginal, as 3c asks). The difference "
                      "comes from log_posterior, which 3a and 3b charge, so it is not charged again here.")
    expect_close(label, expected, found, atol=atol, rtol=rtol)
    return None


# ------------------------------------------------------------------------------ the rule

@check("3", points=0, penalty="ready_made_density", public=True, number="3.0", files=[FILE])
def no_ready_made_density(ctx):
    """Rule: gmm.py computes the Gaussian density itself (no torch.distributions, scipy.stats, ...)"""
    hits = forbidden_uses(ctx.source(FILE), FILE, READY_MADE_MODULES, READY_MADE_NAMES)
    if hits:
        listed = "; ".join(f"line {line}: {name}" for line, name in hits)
        raise CheckFailed(f"gmm.py uses a ready-made Gaussian density ({listed}). The handout asks for the "
                          "inference from scratch: write log N(x; mu, Sigma) yourself (torch.linalg and "
                          "torch.logsumexp are fine).")
    note = staff_note(ctx.source(FILE), FILE)
    if note:
        return Scored(0.0, note)


# ------------------------------------------------------------------------------ 3a

@check("3a", points=0.5, public=True, files=[FILE])
def rows_are_normalised(ctx):
    """3a: log_posterior returns (N, K) log probabilities whose exponentials sum to 1 in every row"""
    X, mu, Sigma, pi = _problem(ctx.np_random(), 6, 4, 3)
    found = _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu))
    expect_close("logsumexp of every row of log_posterior (should be log 1 = 0)", torch.zeros(6),
                 torch.logsumexp(found.double(), dim=1), atol=1e-8, rtol=0)


@check("3a", points=0.5, public=True, files=[FILE])
def permuting_components_permutes_columns(ctx):
    """3a: reordering the components reorders the columns of log_posterior the same way"""
    rng = ctx.np_random()
    X, mu, Sigma, pi = _problem(rng, 5, 4, 3)
    order = rng.permutation(4)
    while (order == np.arange(4)).any():  # every component moves, so no mistake tied to one position hides
        order = rng.permutation(4)
    order = torch.as_tensor(order)
    first = _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu))
    second = _posterior(ctx, X, mu[order], Sigma[order], pi[order], "the same problem with its components reordered")
    # To four decimals like every other comparison: single precision reorders its rounding with the components,
    # a mistake that is charged in the 784-pixel checks, not here.
    expect_close(f"log_posterior with the components in the order {order.tolist()}, against the columns of the "
                 "original order", first[:, order], second, **TOL)


@check("3a", points=1, public=True, files=[FILE])
def one_dimensional_closed_form(ctx):
    """3a: a one-dimensional mixture of two components matches the formula worked by hand"""
    mu, variances, pi = [-1.0, 2.0], [1.0, 4.0], [0.25, 0.75]
    X = torch.tensor([[-3.0], [0.0], [0.5], [6.0]], dtype=torch.float64)
    joint = torch.tensor([[math.log(p) - 0.5 * math.log(2 * math.pi * v) - (x - m) ** 2 / (2 * v)
                           for m, v, p in zip(mu, variances, pi, strict=True)] for x in X[:, 0].tolist()])
    expected = joint - torch.logsumexp(joint, dim=1, keepdim=True)
    # float64 throughout, like the supplied data: code that does not cast its inputs must not fail on dtypes
    found = _posterior(ctx, X, torch.tensor([[m] for m in mu], dtype=torch.float64),
                       torch.tensor([[[v]] for v in variances], dtype=torch.float64),
                       torch.tensor([[p] for p in pi], dtype=torch.float64), "a 1-D mixture with means -1, 2, variances 1, 4, pi 0.25, 0.75")
    expect_close("log P(Z = z | x) for x = -3, 0, 0.5, 6 in the 1-D mixture", expected, found, **TOL)


@check("3a", points=1, files=[FILE])
def matches_reference_on_random_models(ctx):
    """3a: log_posterior matches the reference on random models of several sizes"""
    rng = ctx.np_random()
    for n, k, d in ((1, 2, 1), (int(rng.integers(5, 40)), int(rng.integers(2, 7)), int(rng.integers(2, 30))),
                    (int(rng.integers(5, 20)), 10, int(rng.integers(40, 80)))):
        X, mu, Sigma, pi = _problem(rng, n, k, d)
        # Covariances of clearly different sizes in every draw, so every draw tests the normalising constant.
        Sigma = Sigma * torch.as_tensor(rng.permutation(np.geomspace(0.5, 3.0, k)))[:, None, None]
        expect_close(f"log_posterior on {_describe(X, mu)}", ctx.reference.gmm.log_posterior(X, mu, Sigma, pi),
                     _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu)), **TOL)


@check("3a", points=1, files=[FILE])
def stable_on_hard_problems(ctx):
    """3a: log_posterior stays finite and correct for ill-conditioned covariances and far-away inputs"""
    rng = ctx.np_random()
    for condition, far, what in ((1e8, False, "covariances with condition number 1e8"),
                                 (None, True, "inputs hundreds of standard deviations from every mean"),
                                 (1e6, True, "ill-conditioned covariances and far-away inputs")):
        X, mu, Sigma, pi = _problem(rng, int(rng.integers(4, 12)), int(rng.integers(2, 6)), int(rng.integers(5, 25)),
                                    condition, far)
        # Equal weights and covariances of unit determinant (the spectra above already have it): the log pi and
        # log-determinant terms cancel, so a slip in them (charged in 3a.3, 3a.4 and 3b) is not charged again;
        # here only the quadratic forms and their normalisation count, where stability matters.
        Sigma = Sigma / torch.exp(torch.linalg.slogdet(Sigma).logabsdet / X.shape[1])[:, None, None]
        pi = torch.full_like(pi, 1.0 / len(pi))
        expect_close(f"log_posterior on {what} ({_describe(X, mu)})", ctx.reference.gmm.log_posterior(X, mu, Sigma, pi),
                     _posterior(ctx, X, mu, Sigma, pi, what), **TOL)


@check("3a", points=0.5, files=[FILE])
def matches_reference_on_other_images(ctx):
    """3a: log_posterior matches the reference on the supplied 784-pixel model and 20 other images"""
    mu, Sigma, pi, _ = _official(ctx)
    X = _heldout(ctx, 20)
    expect_close("log_posterior on 20 held-out images with the supplied model",
                 ctx.reference.gmm.log_posterior(X, mu, Sigma, pi),
                 _posterior(ctx, X, *SUPPLIED, "20 held-out images with the supplied model"), **TOL)


@check("3a", points=0.5, files=[FILE])
def vectorised(ctx):
    """3a: log_posterior handles 1000 images of 784 pixels at once, without a Python loop over the images"""
    loops = loops_over_rows(ctx.source(FILE), FILE, "log_posterior")
    if loops:
        listed = "; ".join(f"line {line}: for ... in {iterable}" for line, iterable in loops)
        raise CheckFailed(f"log_posterior loops in Python over the data cases ({listed}). Compute all rows at once "
                          "with batched tensor operations (a loop over the components is fine).")
    images = _heldout_images(ctx.data_dir)
    X = torch.tensor(images[ctx.np_random().integers(0, len(images), size=1000)])
    # The worker is started (and gmm.py imported) by a small call first, so that the grader's own clock
    # around the large call measures the computation and the reading of the model, not the start-up.
    small = _problem(ctx.np_random(), 2, 2, 2)
    ctx.call(log_posterior, *small, doing="calling log_posterior on a small problem")
    started = time.monotonic()
    _posterior(ctx, X, *SUPPLIED, "1000 held-out images with the supplied model", timeout=120)
    seconds = time.monotonic() - started
    expect(seconds < SLOW_SECONDS, f"log_posterior took {seconds:.1f} s for 1000 images (limit "
           f"{SLOW_SECONDS:g} s): factorise each covariance once, not once per image.")


# ------------------------------------------------------------------------------ 3b

@check("3b", points=4, files=[FILE])
def table_on_the_supplied_images(ctx):
    """3b: the table of log P(Z = z | x_n) for the 10 supplied images agrees with the reference to four decimals"""
    mu, Sigma, pi, X = _official(ctx)
    expected = ctx.reference.gmm.log_posterior(X, mu, Sigma, pi)
    expect_close("the 3b table (row n: supplied image n; column z: component z)", expected,
                 _posterior(ctx, X, *SUPPLIED, "the 10 supplied images"), **TOL)


# ------------------------------------------------------------------------------ 3c

@check("3c", points=1, public=True, files=[FILE])
def observing_everything_equals_the_full_posterior(ctx):
    """3c: log_posterior_observed with every feature observed equals log_posterior"""
    X, mu, Sigma, pi = _problem(ctx.np_random(), 5, 3, 4)
    full = _posterior(ctx, X, mu, Sigma, pi, _describe(X, mu))
    every = _posterior(ctx, X, mu, Sigma, pi, f"{_describe(X, mu)}, all 4 features observed", observed=[0, 1, 2, 3])
    expect_close("log_posterior_observed with observed = [0, 1, 2, 3], against log_posterior", full, every,
                 atol=1e-8, rtol=1e-8)


@check("3c", points=1, public=True, files=[FILE])
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


@check("3c", points=2, files=[FILE])
def observed_matches_reference_on_random_models(ctx):
    """3c: log_posterior_observed matches the reference on random models and random observed features"""
    rng = ctx.np_random()
    noted = None
    for _ in range(3):
        X, mu, Sigma, pi = _problem(rng, int(rng.integers(3, 15)), int(rng.integers(2, 6)), int(rng.integers(3, 25)))
        observed = sorted(rng.choice(X.shape[1], size=int(rng.integers(1, X.shape[1])), replace=False).tolist())
        if rng.random() < 0.5:
            observed = observed[::-1]
        what = f"{_describe(X, mu)}, features {observed} observed"
        noted = _expect_observed(ctx, X, mu, Sigma, pi, observed, what, f"log_posterior_observed on {what}") or noted
    return noted


@check("3c", points=1, files=[FILE])
def left_half_matches_reference_on_other_images(ctx):
    """3c: log_posterior_observed on the left half of 20 other images matches the reference"""
    mu, Sigma, pi, _ = _official(ctx)
    X = _heldout(ctx, 20)
    left = ctx.reference.gmm.LEFT_HALF
    # To three decimals: what this check owns is the marginal on the observed pixels; the rounding of single
    # precision (about 1e-4 on these images) is charged in 3a.6 and 3b, and a wrong marginal is off by far more.
    return _expect_observed(ctx, X, mu, Sigma, pi, left, "the left half of 20 held-out images",
                            "log_posterior_observed on the left half of 20 held-out images (to three decimals here: "
                            "the precision of four decimals is checked on the full images in 3a and 3b)",
                            atol=1e-3, rtol=1e-6, sent=SUPPLIED)


# ------------------------------------------------------------------------------ 3d

@check("3d", points=4, files=[FILE])
def left_half_table_on_the_supplied_images(ctx):
    """3d: the table for the left half of the 10 supplied images agrees with the reference to four decimals"""
    mu, Sigma, pi, X = _official(ctx)
    left = ctx.reference.gmm.LEFT_HALF
    return _expect_observed(ctx, X, mu, Sigma, pi, left, "the left half of the 10 supplied images",
                            "the 3d table (left half: columns 0-13 of every row of each image)", sent=SUPPLIED)


# ------------------------------------------------------------------------------ part 2: 4 (the data loader)

EXPERIMENTS, MODEL, PREDICTIONS = "experiments.py", "model.py", "note_predictions.pt"
CONTEXT = 64
PRETRAINED_MODULES = ("torch.hub", "torchvision.models", "transformers", "timm", "huggingface_hub")
PRETRAINED_NAMES = ("from_pretrained", "load_state_dict_from_url", "hf_hub_download", "snapshot_download")


def _random_songs(rng, lengths):
    """{"artist_a/song_0": (L, 4) LongTensor}: events with values spread widely, so that every window of
    every song is unique and an item can be traced back to the one place it came from."""
    songs = {}
    for index, length in enumerate(lengths):
        events = np.stack([rng.integers(0, 400, length), rng.integers(1, 400, length), rng.integers(0, 128, length),
                           rng.integers(1, 128, length)], axis=1)
        songs[f"artist_{'abc'[index % 3]}/song_{index}"] = torch.tensor(events, dtype=torch.long)
    return songs


def _source_of(context, target, songs):
    """(song, position) such that ``target`` is event ``position`` of ``song`` and ``context`` holds the
    events before it (all of the last CONTEXT, or the whole start of the song after identical padding
    rows); else None."""
    context, target = context.double(), target.double()
    for name, song in songs.items():
        song = song.double()
        for position in (song == target).all(dim=1).nonzero().flatten().tolist():
            real = min(position, CONTEXT)
            if position == 0 or not torch.equal(context[CONTEXT - real:], song[position - real:position]):
                continue
            padding = context[:CONTEXT - real]
            if len(padding) == 0 or bool((padding == padding[0]).all()):
                return name, position
    return None


def _explain_item(index, context, target, songs):
    """Why item ``index`` is not a window of one song followed by its next event."""
    where = f"NoteDataset item {index}"
    if not any(bool((song.double() == target.double()).all(dim=1).any()) for song in songs.values()):
        return f"{where}: its target {target.tolist()} is not an event of any song in the folder."
    if bool((context[-1].double() == target.double()).all()):
        return (f"{where}: the last row of the context equals the target {target.tolist()}; the context must end "
                "with the event just before the target (an off-by-one in the window?).")
    return (f"{where}: its context is not the {CONTEXT} events before its target {target.tolist()} in the same song "
            "(a window that runs from one song into the next, or padding rows that are not all alike?).")


def _left_to_staff(other):
    """Why question 4 goes to the staff: the handout leaves the loader's design open, and this one is not
    the interface the grader can test."""
    if other["note_dataset"]:
        found = f"its NoteDataset cannot be called that way ({other['note_dataset']})"
    else:
        found = "experiments.py defines no NoteDataset"
    offered = (f" It defines {', '.join(other['datasets'])}." if other["datasets"] else "")
    return (f"The grader tests question 4 on a data set it builds as NoteDataset(root, context={CONTEXT}): root is a "
            f"folder with one folder of .pt songs per artist, and item i is a pair (the {CONTEXT} events before a "
            f"position of one song, the event at that position). Here {found}.{offered} The handout leaves the "
            "data loader's design to you, so the course staff will grade this question by reading your code and "
            "your explanation. To have it checked automatically too, add a NoteDataset class with that "
            "interface (it may wrap your own).")


def _dataset(ctx, songs, picks, what, batch_size=8, check_items=True):
    try:
        found = ctx.call(note_dataset, songs, CONTEXT, picks, batch_size,
                         doing=f"building NoteDataset(root, context={CONTEXT}) on {what}")
    except SubmissionError as exc:
        if "import" not in str(exc):
            raise
        raise CheckFailed(f"{exc}\n\nThe grader imports experiments.py to use NoteDataset; nothing may run at import. "
                          "Put the training and the experiment under `if __name__ == \"__main__\":`.") from None
    if "other_interface" in found:
        raise GradeByHand(_left_to_staff(found["other_interface"]))
    if "bad_item" in found:
        bad = found["bad_item"]
        parts = "" if bad["size"] is None else f" of {bad['size']} parts"
        raise CheckFailed(f"NoteDataset item {bad['index']} is a {bad['type']}{parts}; expected a pair (context of "
                          "shape (64, 4), next event of shape (4,)).")
    if found["length"] == 0:
        raise CheckFailed(f"NoteDataset on {what} has length 0: expected at least one (context, next event) pair per "
                          f"song longer than {CONTEXT} events.")
    for index, context, target in found["items"] if check_items else []:
        if context.dim() == 2 and context.shape[1] == 4 and context.shape[0] < CONTEXT:
            raise CheckFailed(f"the context of NoteDataset item {index} has {context.shape[0]} events; every context "
                              f"needs {CONTEXT} (pad a context that starts near the beginning of its song).")
        expect_shape(f"the context of NoteDataset item {index}", (CONTEXT, 4), tuple(context.shape))
        expect_shape(f"the next event of NoteDataset item {index}", (4,), tuple(target.shape))
    return found


def _all_items_are_windows(ctx, songs, what):
    found = _dataset(ctx, songs, list(range(4000)), what)
    used = {}
    for index, context, target in found["items"]:
        source = _source_of(context, target, songs)
        if source is None:
            raise CheckFailed(_explain_item(index, context, target, songs))
        used.setdefault(source[0], []).append(source[1])
    skipped = [name for name, song in songs.items() if len(song) > CONTEXT + 1 and name not in used]
    if skipped and found["length"] <= 4000:
        raise CheckFailed(f"NoteDataset on {what} has no item from {', '.join(skipped)} ({len(songs[skipped[0]])} "
                          f"events): every song longer than {CONTEXT} events should give at least one.")
    return found


@check("4", points=1, public=True, files=[EXPERIMENTS, MODEL])
def dataset_items_are_windows_of_one_song(ctx):
    """4: NoteDataset items are (64 events of one song, the event that follows them) on a small song folder"""
    songs = _random_songs(ctx.np_random(), [5, 70, 130])
    _all_items_are_windows(ctx, songs, "a folder of 3 songs of 5, 70 and 130 events by 3 artists")


@check("4", points=0.5, public=True, files=[EXPERIMENTS, MODEL])
def data_loader_batches(ctx):
    """4: a DataLoader over NoteDataset gives batches of contexts (B, 64, 4) and next events (B, 4)"""
    songs = _random_songs(ctx.np_random(), [90, 120])
    found = _dataset(ctx, songs, [0], "a folder of 2 songs of 90 and 120 events", batch_size=8, check_items=False)
    if "batch_error" in found:
        raise CheckFailed(f"DataLoader(NoteDataset(...), batch_size=8) could not make a batch: {found['batch_error']}. "
                          "Every context needs the same shape (64, 4) to be stacked: pad the short ones.")
    expect(found["batch_shapes"] is not None and len(found["batch_shapes"]) == 2,
           "a DataLoader batch over NoteDataset should be a pair (contexts, next events); found "
           f"{found['batch_shapes']!r} shapes.")
    size = min(8, found["length"])
    expect_shape(f"the contexts of the first DataLoader batch (batch_size=8, {found['length']} items)",
                 (size, CONTEXT, 4), tuple(found["batch_shapes"][0]))
    expect_shape(f"the next events of the first DataLoader batch (batch_size=8, {found['length']} items)", (size, 4),
                 tuple(found["batch_shapes"][1]))


@check("4", points=2, files=[EXPERIMENTS, MODEL])
def dataset_on_hidden_songs(ctx):
    """4: on a fresh folder of songs of many lengths, every item is a window of one song and its next event"""
    rng = ctx.np_random()
    lengths = [int(rng.integers(2, 40)), int(rng.integers(40, 66)), *rng.integers(66, 180, size=int(rng.integers(3, 6)))]
    songs = _random_songs(rng, [int(n) for n in lengths])
    _all_items_are_windows(ctx, songs, f"a folder of {len(songs)} songs of {', '.join(map(str, lengths))} events")


# ------------------------------------------------------------------------------ part 2: 5 (the model's contract)

@check("5", points=0, penalty="pretrained_components", public=True, number="5.0", files=[EXPERIMENTS, MODEL])
def no_pretrained_components(ctx):
    """Rule: the model uses no pre-trained components (torch.hub, from_pretrained, downloaded weights)"""
    hits = [f"{name} line {line}: {used}" for name in (MODEL, EXPERIMENTS)
            for line, used in forbidden_uses(ctx.source(name), name, PRETRAINED_MODULES, PRETRAINED_NAMES)]
    if hits:
        raise CheckFailed(f"The model uses pre-trained components ({'; '.join(hits)}), which the handout does not "
                          "allow: build and train every part yourself.")
    notes = [note for note in (staff_note(ctx.source(name), name) for name in (MODEL, EXPERIMENTS)) if note]
    if notes:
        return Scored(0.0, "\n".join(notes))


@functools.lru_cache(maxsize=2)
def _test_inputs(data_dir):
    """Xte from the public test.pt (all a public check may read: a student's self-check has no hidden data)."""
    return torch.load(data_dir / "test.pt", weights_only=True)


@functools.lru_cache(maxsize=2)
def _test_data(data_dir):
    """(Xte, hidden targets, manifest): read once per grading process; never modified."""
    return (_test_inputs(data_dir),
            torch.load(data_dir / "hidden" / "test_targets.pt", weights_only=True),
            json.loads((data_dir / "music_manifest.json").read_text()))


def _test_contexts(ctx, count):
    Xte = _test_inputs(ctx.data_dir)
    return Xte[torch.as_tensor(ctx.np_random().choice(len(Xte), size=count, replace=False))]


def _expect_distribution_parameters(params, what):
    problems = scoring.problems(params.detach().double(), len(params), 1e-4)
    if problems:
        raise CheckFailed(f"NoteModel's output on {what}: " + " ".join(problems).replace("note_predictions.pt", "it"))


def _model_rows(ctx, contexts, doing):
    """NoteModel's (1, 134) rows for each (64, 4) context, stacked. The handout asks only for one context at a
    time; the probe uses a batched call when the model accepts one and gives the same rows, else one call each."""
    found = ctx.call(note_model_outputs, contexts, doing=doing)
    for index, row in enumerate(found["rows"]):
        expect_shape(f"NoteModel()(x) for one context x of shape (64, 4) (context {index} from test.pt)", (1, 134),
                     tuple(row.shape))
    return found, torch.cat(found["rows"])


@check("5", points=1, public=True, files=[MODEL])
def model_contract_shapes(ctx):
    """5: NoteModel() builds with no arguments and maps a (64, 4) context to (1, 134)"""
    _model_rows(ctx, _test_contexts(ctx, 5), "building NoteModel() and calling it on contexts from test.pt")


@check("5", points=1, public=True, files=[MODEL])
def model_outputs_are_distributions(ctx):
    """5: NoteModel's sigmas are positive and its log-probabilities of the 128 notes are normalised"""
    _, rows = _model_rows(ctx, _test_contexts(ctx, 16), "calling NoteModel() on contexts from test.pt")
    _expect_distribution_parameters(rows, "16 contexts from test.pt")


# ------------------------------------------------------------------------------ part 2: 8 (the test predictions)

def _load_predictions(ctx):
    settings = ctx.assignment.settings
    path = ctx.data_file(PREDICTIONS, int(settings["predictions_max_mb"] * 2**20))
    try:
        predictions = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # weights_only refuses pickled objects that would run code
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise CheckFailed(f"note_predictions.pt could not be loaded with torch.load(..., weights_only=True): {reason}. "
                          "Save the tensor itself: torch.save(predictions, 'note_predictions.pt').") from None
    rows = len(_test_inputs(ctx.data_dir))
    problems = scoring.problems(predictions, rows, settings["normalisation_tolerance"])
    if problems:
        raise CheckFailed(" ".join(problems))
    return predictions


@check("8", points=1, public=True, files=[PREDICTIONS])
def predictions_file_is_valid(ctx):
    """8: note_predictions.pt holds one row of 134 valid parameters per test context"""
    _load_predictions(ctx)


@check("8", points=9, files=[PREDICTIONS])
def test_negative_log_likelihood(ctx):
    """8: the mean NLL of note_predictions.pt on the hidden next events, scaled between the baselines"""
    predictions = _load_predictions(ctx)
    baselines, floor = ctx.assignment.baselines, ctx.assignment.settings["sigma_floor"]
    _, targets, manifest = _test_data(ctx.data_dir)
    if baselines.get("data_fingerprint") != manifest["fingerprint"]:
        raise RuntimeError("the baselines in config.toml were measured on other test data; run `make baselines`")
    nll = scoring.mean_nll(predictions, targets, floor)
    unfloored = scoring.mean_nll(predictions, targets, 0.0)
    parts = scoring.nll_parts(predictions, targets, floor)
    earned = scoring.points(nll, baselines["marginal_nll"], baselines["reference_nll"], ctx.info.points)
    report = (f"Mean negative log-likelihood of the {len(targets)} hidden next events: {nll:.4f} "
              f"(time {parts['time']:.3f}, duration {parts['duration']:.3f}, note {parts['note']:.3f}, volume "
              f"{parts['volume']:.3f}). Points are linear from the product-of-marginals baseline "
              f"({baselines['marginal_nll']:.4f}: 0 points) to the reference model ({baselines['reference_nll']:.4f}: "
              f"{ctx.info.points:g} points): {earned:.2f} of {ctx.info.points:g}.")
    below = int((predictions[:, list(scoring.SIGMA_COLUMNS)] < floor).sum())
    if below:
        report += (f" {below} sigmas are below {floor:g} and count as {floor:g} (the targets are integers, so a "
                   f"narrower Gaussian claims precision the data do not have); without that floor the NLL would be "
                   f"{unfloored:.4f}.")
    else:
        report += f" No sigma is below the floor of {floor:g}: the NLL without the floor is the same, {unfloored:.4f}."
    return Scored(earned, report, leaderboard={"Test NLL (lower is better)": (round(nll, 4), "asc")})
