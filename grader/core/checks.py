"""Declaring checks: one small function per property, its grading metadata beside it.

    @check("3a", points=1, public=True)
    def block_keeps_shape(ctx):
        '''Block keeps the shape of its input'''
        ...

A check receives a ``Context`` (grading.py): ``ctx.call`` runs a probe on the submission in a
fresh sandboxed worker, ``ctx.rng`` draws this check's inputs, and ``ctx.reference`` gives the
reference modules to hidden checks only. A check passes by returning and fails by raising
``CheckFailed`` (the comparison helpers in ``compare.py`` do that with a useful message).
"""
import types
from dataclasses import dataclass


class CheckFailed(AssertionError):
    """A check's verdict, written for the student."""


@dataclass(frozen=True)
class Scored:
    """What a check returns when it earns a share of its points (a score scaled between baselines,
    say) rather than all or nothing: ``points`` earned (clipped to the check's), a ``report`` shown
    whatever the score, and Gradescope ``leaderboard`` entries {column: (value, "asc" or "desc")}."""
    points: float
    report: str
    leaderboard: dict = None


@dataclass(frozen=True)
class GraderError:
    """The verdict of a check that the grader's own code (the check, or a probe it runs in the worker) failed
    to finish: neither passed nor failed. It is never blamed on the student: the check is held for the staff
    (it earns nothing until they look) and ``detail`` (what raised, where) goes to them."""
    detail: str


@dataclass(frozen=True)
class CheckInfo:
    question: str
    points: float
    public: bool
    title: str
    name: str
    number: str = ""
    penalty: float | str = 0.0  # a name is resolved from the config by Assignment.checks
    files: tuple = ()  # the submitted files the check needs; () means all of them


def check(question: str, points: float, public: bool = False, number: str = "", penalty: float | str = 0,
          files=()):
    """Mark a function as a check of ``question`` worth ``points``; its docstring is its title.

    Checks are numbered "<question>.1", "<question>.2", ... in definition order unless ``number``
    is given (for a rule that belongs to a whole part, say "3.1.0"). A rule (use only these imports,
    write the density yourself) earns nothing when kept: give it ``points=0`` and a ``penalty`` that a
    violation deducts, in points or as the name of an entry of the config's ``[penalties]``.
    ``files`` names the submitted files the check needs (default: all): a missing file, or a module
    that does not import, then costs only the checks that need it, and the worker imports only those."""
    if penalty and points:
        raise ValueError("a check either earns points or deducts a penalty, not both")

    def mark(func):
        title = (func.__doc__ or func.__name__).strip().splitlines()[0]
        func.__check__ = CheckInfo(question, float(points), public, title, func.__name__, number,
                                   penalty if isinstance(penalty, str) else float(penalty), tuple(files))
        return func
    return mark


def collect(module):
    """The checks of an assignment in definition order, numbered "3a.1", "3a.2", ... per question."""
    found, counters = [], {}
    for func in vars(module).values():
        info = getattr(func, "__check__", None)
        if isinstance(info, CheckInfo) and isinstance(func, types.FunctionType):
            if not info.number:
                counters[info.question] = counters.get(info.question, 0) + 1
            number = info.number or f"{info.question}.{counters[info.question]}"
            found.append((CheckInfo(**{**info.__dict__, "number": number}), func))
    return found
