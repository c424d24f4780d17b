import pytest
import torch

from grader.core.checks import CheckFailed
from grader.core.compare import expect_close, expect_equal, expect_shape, ordinal


def test_close_values_pass_within_the_stated_tolerance():
    expect_close("scores", torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-6, 2.0]), atol=1e-5)


def test_mismatch_names_the_quantity_the_place_both_values_and_the_tolerance():
    expected = torch.zeros(2, 3)
    found = expected.clone()
    found[1, 2] = 0.5
    with pytest.raises(CheckFailed) as error:
        expect_close("output of Block(3)", expected, found, atol=1e-4, rtol=0)
    message = str(error.value)
    for part in ("output of Block(3)", "1 of 6 values differ", "index (1, 2)", "expected 0", "found 0.5",
                 "tolerance 0.0001"):
        assert part in message


def test_shape_mismatch_and_non_finite_values_are_reported_first():
    with pytest.raises(CheckFailed, match=r"expected shape \(2, 3\), found \(3, 2\)"):
        expect_close("logits", torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(CheckFailed, match="non-finite value nan at index \\(1,\\)"):
        expect_close("logits", torch.zeros(2), torch.tensor([0.0, float("nan")]))
    with pytest.raises(CheckFailed, match="expected a value, found none"):
        expect_close("gradient", torch.zeros(2), None)


def test_equal_and_shape_helpers_carry_hints():
    with pytest.raises(CheckFailed, match="expected 53, found 54. Check the bias"):
        expect_equal("parameter count", 53, 54, hint="Check the bias.")
    expect_shape("x", (1, 2), [1, 2])
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]
