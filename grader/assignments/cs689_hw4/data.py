"""Stand-ins for the course's MNIST mixture model and its ten test images (nothing is downloaded).

``mixture_model.npz``: ``mu`` (10, 784), ``Sigma`` (10, 784, 784) and ``pi`` (10, 1), float64, one
full-covariance Gaussian per digit class fitted to scikit-learn's bundled 8x8 digits upsampled to
28x28 (each pixel repeated 3x3, 2 pixels of padding, values in [0, 1]); every covariance gets
``RIDGE`` added to its diagonal so that it is positive definite (the padding never varies and the
upsampled pixels repeat each other). ``mixture_data.npz``: ``X`` (10, 784), one held-out image of
each digit. ``hidden/heldout_images.npy``: the other held-out images, for the hidden checks.
The course's own two files drop in under the same names.

Part 2's music data (``train/``, ``test.pt``, ``hidden/test_targets.pt``) are built by ``music.py``;
the held-out songs are drawn with the key in ``HELDOUT_KEY_FILE``, which sits beside the reference
solutions: it is committed (so ``make data`` is deterministic), ships in the autograder zip and never
in the student zip, and the sandbox cannot read it. The targets are drawn, with the same key, from the
target generator whose weights sit beside it too (``generator.py``). A course replaces the key with its
own secret (``python -c "import secrets; print(secrets.token_hex(16))"``) and runs
``make generator data baselines``.
"""
from pathlib import Path

import numpy as np

from grader.assignments.digits import upsampled_digits
from grader import REPO_ROOT

RIDGE = 0.05
HELDOUT_PER_CLASS = 10
HELDOUT_KEY_FILE = REPO_ROOT / "reference" / "cs689_hw4" / "heldout_key.txt"


def images():
    upsampled, labels = upsampled_digits()
    return upsampled.reshape(len(upsampled), 784), labels


def build(target: Path) -> str:
    from grader.assignments.cs689_hw4 import generator, music

    key = heldout_key()
    draw_targets = generator.sampler(key) if key else None
    return build_mixture(target) + "; " + music.build(target, key, draw_targets)


def heldout_key():
    """The staff's key for the held-out music (None where it is absent: a student's copy)."""
    return HELDOUT_KEY_FILE.read_text().strip() if HELDOUT_KEY_FILE.is_file() else None


def build_mixture(target: Path) -> str:
    X, y = images()
    order = np.random.default_rng(0).permutation(len(y))
    heldout = np.concatenate([order[y[order] == k][:HELDOUT_PER_CLASS] for k in range(10)])
    train = np.setdiff1d(order, heldout)
    mu = np.stack([X[train][y[train] == k].mean(axis=0) for k in range(10)])
    Sigma = np.stack([np.cov(X[train][y[train] == k], rowvar=False) + RIDGE * np.eye(784) for k in range(10)])
    pi = np.bincount(y[train], minlength=10).astype(np.float64)[:, None] / len(train)
    first_of_each = heldout[::HELDOUT_PER_CLASS]
    rest = np.setdiff1d(heldout, first_of_each)
    (target / "hidden").mkdir(parents=True, exist_ok=True)
    np.savez(target / "mixture_model.npz", mu=mu, Sigma=Sigma, pi=pi)
    np.savez(target / "mixture_data.npz", X=X[first_of_each])
    np.save(target / "hidden" / "heldout_images.npy", X[rest])
    return (f"wrote {target / 'mixture_model.npz'} (10 components of 784 dimensions), mixture_data.npz "
            f"(10 images) and hidden/heldout_images.npy ({len(rest)} images)")
