"""Declaring checks: one small function per property, its grading metadata beside it.

    @check("3a", points=1, public=True)
    def block_keeps_shape(ctx):
        '''Block keeps the shape of its input'''
        ...

A check receives a ``Context`` (grading.py). Everything it asks of the submission runs in the check's own
fresh sandboxed worker:

    found = ctx.call_function("softmax", "cross_entropy", y, y_hat)   # a submitted plain function
    found.value, found.changed_input
    model = ctx.model("hw2_ResNet", "ResNet", 4, 10)                   # a submitted torch model
    model.trace(x).layers, model.run(x, train=True).output
    ctx.call(backward_run, params, cache)                               # a probe of the assignment

``ctx.call`` takes the probe function itself, imported by name at the top of checks.py
(``from grader.assignments.<folder>.probes import backward_run``, so a misspelt one fails when
checks.py is imported): a public function ``probe(sub, *args, **kwargs)`` of the assignment's
``probes.py`` or of the engine's ``grader/sandbox/probes.py`` and ``torch_probes.py``. It runs in the
worker, reaches the submission through ``sub.attr(module, name)`` (``sub.state`` keeps values between
the probes of one check), and returns plain data: numbers, strings, None, tensors, numpy arrays (0-d
stays 0-d), and lists, tuples and dicts of them. Passing anything else, or a probe failing with none
of the student's code on the stack, is a grader error held for the staff, never the student's.
``doing=`` says what was being done ("calling relu on a (2, 3) array") in the message the student
reads when their code fails there.
``ctx.rng``, ``ctx.randn``, ``ctx.randint`` and ``ctx.np_random()`` draw this check's inputs, and
``ctx.reference`` gives the reference modules to hidden checks only. A check passes by returning and
fails by raising ``CheckFailed`` (the comparison helpers in ``compare.py`` do that with a useful message),
or hands itself to the staff by raising ``GradeByHand`` when the submission took a reading of the handout
the check cannot judge.
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


class GradeByHand(Exception):
    """Raised by a check that cannot see into the submission's own reasonable reading of the handout (an
    interface the handout never named, say): the check is held for the course staff to grade by reading,
    and the message tells the student why. No deduction, no points until the staff grade it."""


@dataclass(frozen=True)
class ByHand:
    """The verdict of a check that raised ``GradeByHand``: ``reason`` is shown to the student and the staff."""
    reason: str


@dataclass(frozen=True)
class FunctionResult:
    """What ``ctx.call_function`` brings back from the worker: the function's ``value`` as plain data (a numpy
    scalar arrives as the Python number it holds; arrays and tensors keep their shape, 0-d included), and
    whether the function ``changed_input``, i.e. modified an array, tensor or container it was given."""
    value: object
    changed_input: bool


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
