"""Declaring checks: one small function per property, its grading metadata beside it.

    @check("3a", points=1, public=True)
    def block_keeps_shape(ctx):
        '''Block keeps the shape of its input'''
        ...

A check receives a ``Context``. Everything it asks of the submission runs in the check's own
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
fails by raising ``CheckFailed`` (the comparison helpers in ``compare.py`` do that with a useful message).
"""
import dataclasses
import hashlib
import types
from dataclasses import dataclass

import torch

import traceback

from grader.errors import ProbeError, SubmissionError


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


def seed_for(run_seed: int, check_name: str) -> int:
    """Each check draws from its own stream, so adding or reordering checks changes no other's inputs."""
    digest = hashlib.sha256(f"{run_seed}:{check_name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class Context:
    def __init__(self, session, info: CheckInfo, run_seed: int):
        self._session, self.info = session, info
        self.seed = seed_for(run_seed, info.name)
        self.rng = torch.Generator().manual_seed(self.seed)
        self._worker = None

    @property
    def reference(self):
        if self.info.public:
            raise RuntimeError(f"public check {self.info.name} may not use the reference solution")
        return self._session.reference

    def randn(self, *shape, dtype=torch.float32):
        return torch.randn(*shape, generator=self.rng, dtype=dtype)

    def randint(self, low, high, size=()):
        return torch.randint(low, high, size, generator=self.rng)

    def np_random(self):
        """A numpy generator on this check's stream (for numpy assignments)."""
        import numpy as np

        return np.random.default_rng(self.seed)

    def source(self, filename) -> str:
        """The text of a submitted file, read (never imported) in the grading process."""
        return self._session.source(filename)

    def data_file(self, filename, max_bytes):
        """The path of a submitted data file, checked (present, no link, at most ``max_bytes``), for the
        grading process to load safely itself: a submission's data are never unpickled in full."""
        return self._session.data_file(filename, max_bytes)

    @property
    def data_dir(self):
        return self._session.assignment.data_dir

    @property
    def assignment(self):
        """The assignment (its ``settings`` and ``baselines`` from config.toml, say)."""
        return self._session.assignment

    def call(self, probe, *args, doing=None, timeout=None, **kwargs):
        """Run ``probe(sub, *args, **kwargs)`` on the submission inside this check's worker and return its
        answer (plain data). ``probe`` is the function itself, from the assignment's ``probes`` module or the
        engine's (``grader.sandbox.probes``, ``grader.sandbox.torch_probes``); anything else is a grader
        error. ``doing`` completes "while ..." in what the student reads if their code fails there."""
        if self._worker is None:
            self._worker = self._session.spawn_worker(self.info.files)
        return self._worker.call(probe, *args, doing=doing, timeout=timeout, **kwargs)

    def call_function(self, module, name, /, *args, doing=None, timeout=None, **kwargs) -> "FunctionResult":
        """Call the function ``name`` of the submitted ``module`` on copies of ``args`` and ``kwargs`` (plain
        data: numbers, strings, numpy arrays, tensors, lists and dicts of them) in this check's worker; see
        ``FunctionResult`` for what comes back. ``doing`` defaults to "calling <name>"."""
        from grader.sandbox.probes import call_function

        doing = doing or f"calling {name}"
        reply = self.call(call_function, module, name, *args, doing=doing, timeout=timeout, **kwargs)
        if not isinstance(reply, dict) or "result" not in reply:
            raise SubmissionError(f"The process running your code answered in a form the grader does not know "
                                  f"while {doing}.")
        return FunctionResult(reply["result"], bool(reply.get("changed_input")))

    def model(self, module, factory, /, *args, doing=None, **kwargs):
        """Build ``factory(*args, **kwargs)`` of the submitted ``module`` (a torch model) in this check's
        worker: a handle to trace and run it (see ``grader.core.torch_model.Model``)."""
        from grader.core.torch_model import Model

        return Model(self, module, factory, args, kwargs, doing=doing)

    @property
    def output(self):
        return self._worker.output if self._worker is not None else ""

    def close(self):
        if self._worker is not None:
            self._worker.stop()


def run_check(func, ctx: Context):
    """Run one check; return None when it passes, a Scored when it earns part of its points, a GraderError
    when the grader's own code failed, else the message explaining why not."""
    try:
        scored = func(ctx)
        if isinstance(scored, Scored):
            return dataclasses.replace(scored, points=min(ctx.info.points, max(0.0, float(scored.points))))
        return None
    except SubmissionError as exc:
        if ctx.info.penalty:  # a rule about a file that is missing or unreadable is not broken: no deduction
            return Scored(0.0, f"Not checked: {exc}")
        message = str(exc)
    except CheckFailed as exc:
        message = str(exc)
    except MemoryError:
        raise  # the grader reached its own memory ceiling: the whole run reports the autograder's failure
    except ProbeError as exc:  # the grader's probe raised inside the worker, with no student code on the stack
        return GraderError(f"check {ctx.info.name}: {exc}")
    except Exception as exc:  # a bug in the check, or an answer from the worker it did not expect
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return GraderError(f"check {ctx.info.name}: {type(exc).__name__}: {exc} "
                           f"(at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}, in {where.name})")
    finally:
        ctx.close()
    printed = ctx.output.strip()
    if printed:
        shown = printed if len(printed) <= 1500 else printed[:1500] + " [...]"
        message += f"\n\nYour code printed:\n{shown}"
    return message
