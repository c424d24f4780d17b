"""The engine's probe for plain functions (runs in the sandbox).

``call_function(sub, module, name, *args, **kwargs)`` calls ``name`` of the submitted ``module`` (a
``.py`` file or a notebook, by its stem) on copies of the grader's arguments, and answers
``{"result": ..., "changed_input": ...}``: the result as plain data (numbers, strings, None, numpy
arrays, tensors, and lists, tuples and dicts of them; anything else array-like becomes a numpy array,
and a numpy scalar arrives as the Python number it holds), and whether the function modified an array,
tensor or container it was given. It computes nothing itself: the grader judges the result. A missing
function, or a result that is not plain data, is the submission's fault. Checks use it through
``ctx.call_function`` (see ``grader/core/checks.py``), so an assignment of plain functions needs no
probes of its own.
"""
import copy

import numpy as np
import torch


class NotPlainData(TypeError):
    """A result the grader cannot receive: the submission's fault, not the grader's."""
    student_fault = True


def _plain(value, what):
    """``value`` as data that crosses the sandbox boundary; ``what`` names it in an error."""
    if isinstance(value, (list, tuple)):
        return [_plain(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, what) for k, v in value.items()}
    if isinstance(value, (int, float, bool, str, np.generic)) or value is None:
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise NotPlainData(f"{what} returned a value of type {type(value).__name__}, which is not numbers or "
                           f"arrays ({exc})") from None
    if array.dtype == object:
        raise NotPlainData(f"{what} returned a value of type {type(value).__name__}, which is not numbers, "
                           "strings or arrays (or lists, tuples, dicts of them)")
    return array


def _same(before, after):
    """Whether the copy a function was given still equals the grader's original."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray) or before.shape != after.shape:
            return False
        return bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, torch.Tensor):
        if not isinstance(after, torch.Tensor) or before.shape != after.shape or before.dtype != after.dtype:
            return False
        both_nan = before.isnan() & after.isnan() if before.is_floating_point() else False
        return bool(((before == after) | both_nan).all())
    if isinstance(before, (list, tuple)):
        return type(before) is type(after) and len(before) == len(after) and \
            all(_same(b, a) for b, a in zip(before, after))
    if isinstance(before, dict):
        return isinstance(after, dict) and before.keys() == after.keys() and \
            all(_same(before[k], after[k]) for k in before)
    return True  # numbers, strings, None: nothing a function can change


def call_function(sub, module, name, /, *args, **kwargs):
    """{"result": module.name(*args, **kwargs) as plain data, "changed_input": whether the call modified an
    argument it was given}; the function gets copies, so the grader's values are compared after."""
    given_args, given_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    result = sub.attr(module, name)(*given_args, **given_kwargs)
    changed = not (_same(args, given_args) and _same(kwargs, given_kwargs))
    return {"result": _plain(result, name), "changed_input": changed}
