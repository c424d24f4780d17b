"""Comparisons that turn a mismatch into feedback a student can act on.

Every helper takes ``what``: the quantity in the handout's terms ("output of Block(4) in
training mode"). It returns nothing when the values agree and raises ``CheckFailed``
saying what was expected, what was found, where, and with which tolerance.
"""
import numpy as np
import torch

from grader.core.checks import CheckFailed


def _as_float64(value):
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64).cpu()
    return torch.as_tensor(np.asarray(value, dtype=np.float64))


def _fmt(x):
    return f"{x:.6g}"


def expect(condition: bool, message: str):
    if not condition:
        raise CheckFailed(message)


def expect_equal(what, expected, found, hint=""):
    if expected != found:
        raise CheckFailed(f"{what}: expected {expected}, found {found}." + (f" {hint}" if hint else ""))


def expect_shape(what, expected, found, hint=""):
    expected, found = tuple(expected), tuple(found)
    if expected != found:
        raise CheckFailed(f"{what}: expected shape {expected}, found {found}." + (f" {hint}" if hint else ""))


def expect_close(what, expected, found, atol=1e-5, rtol=1e-4, hint=""):
    """Elementwise |found - expected| <= atol + rtol * |expected|, compared in float64."""
    if found is None:
        raise CheckFailed(f"{what}: expected a value, found none." + (f" {hint}" if hint else ""))
    expected = _as_float64(expected)
    try:
        found = _as_float64(found)
    except (TypeError, ValueError, RuntimeError):
        raise CheckFailed(f"{what}: expected an array of numbers of shape {tuple(expected.shape)}, found "
                          f"{type(found).__name__} {str(found)[:200]}." + (f" {hint}" if hint else "")) from None
    expect_shape(what, expected.shape, found.shape, hint)
    if not torch.isfinite(found).all():
        index = tuple(torch.nonzero(~torch.isfinite(found))[0].tolist())
        raise CheckFailed(f"{what}: found a non-finite value {found[index].item()} at index {index}"
                          f" (expected {_fmt(expected[index].item())})." + (f" {hint}" if hint else ""))
    excess = (found - expected).abs() - (atol + rtol * expected.abs())
    if (excess > 0).any():
        worst = tuple(int(i) for i in np.unravel_index(int(torch.argmax(excess)), expected.shape)) if expected.dim() else ()
        bad, total = int((excess > 0).sum()), expected.numel()
        diff = (found - expected).abs().max().item()
        where = f" at index {worst}" if worst else ""
        raise CheckFailed(
            f"{what}: {bad} of {total} values differ. Largest mismatch{where}: expected "
            f"{_fmt(expected[worst].item())}, found {_fmt(found[worst].item())} (max |difference| "
            f"{_fmt(diff)}; tolerance {atol:g} + {rtol:g}*|expected|)." + (f" {hint}" if hint else ""))


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
