"""Grading one submission: find its files, prepare them (notebooks), run its checks, return their verdicts.

This runs in the grading process. Each check gets a ``Context``, its view of the submission (files
read here, never imported; probes run in a sandboxed worker); the checks of one submission share a
``Session`` (what is missing, which imports failed, the time left). A verdict is None (passed), a
message for the student (failed), a ``Scored`` (part of the points), a ``GraderError`` (the grader's
own code failed; held for the staff) or ``ByHand`` (left for the staff to grade by reading). Whatever
the submission does, ``grade_submission`` returns a verdict for every check: failures of student code
become failed checks, never a failed run.
"""
import dataclasses
import difflib
import hashlib
import random
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from grader.core import notebooks
from grader.core.checks import ByHand, CheckFailed, CheckInfo, FunctionResult, GradeByHand, GraderError, Scored
from grader.errors import ProbeError, SubmissionError
from grader.sandbox import capacity

MAX_SOURCE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Graded:
    """A graded submission: each check (info, function) beside its verdict, in the assignment's order."""
    assignment: object
    checks: list
    verdicts: list
    seed: int
    public_only: bool
    seconds: float


def grade_submission(assignment, submission, sandbox, *, public_only=False, seed=None, reference=None,
                     threads=None) -> Graded:
    """Run the checks on ``submission`` in ``sandbox`` (one per assignment, reusable); hidden checks too
    unless ``public_only``. ``seed`` (default: a fresh one) draws every check's inputs."""
    submission = locate_submission(assignment, Path(submission).resolve())
    limits = capacity.capacity()
    threads = threads or capacity.check_threads(limits)  # one at a time in a small container
    capacity.fit_torch_threads(limits)
    seed = random.SystemRandom().randrange(1 << 31) if seed is None else seed
    checks = [(info, func) for info, func in assignment.checks if info.public or not public_only]
    if reference is None and not public_only:
        reference = assignment.load_reference()
    started = time.monotonic()
    with notebooks.prepared(assignment, submission, sandbox.limits.submission_mb * 2**20) as prepared:
        session = Session(assignment, prepared.folder, sandbox, reference, seed, sandbox.limits.total_seconds)
        session.problem = prepared.problem
        verdicts = [verdict if verdict is None or isinstance(verdict, (Scored, GraderError, ByHand))
                    else prepared.explain(verdict) for verdict in _run_checks(session, checks, threads)]
    return Graded(assignment, checks, verdicts, seed, public_only, time.monotonic() - started)


def _run_checks(session, checks, threads):
    """Every check's verdict. Checks are independent, each with its own worker and random stream, so
    they may run side by side: while one waits for its worker, another computes."""
    def verdict(check):
        info, func = check
        return run_check(func, Context(session, info, session.seed))

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return list(pool.map(verdict, checks))


def locate_submission(assignment, submission: Path) -> Path:
    """The folder holding the required files: the submission itself, or the one folder inside it that
    holds more of them (students often upload a zip that wraps their files in a folder)."""
    def present(folder):
        return sum((folder / name).is_file() for name in assignment.files)

    if not submission.is_dir() or present(submission) == len(assignment.files):
        return submission
    candidates = {p.parent for name in assignment.files for p in submission.glob(f"**/{name}")
                  if "__MACOSX" not in p.parts}
    if not candidates:
        return submission
    best = max(present(c) for c in candidates)
    chosen = [c for c in candidates if present(c) == best]
    return chosen[0] if len(chosen) == 1 and best > present(submission) else submission


def missing_files(assignment, submission: Path):
    """{file name: a message saying it is missing (and what was found instead)} for the required files."""
    if not submission.is_dir():
        return {name: f"No submission folder at {submission}." for name in assignment.files}
    present = sorted(p.name for p in submission.iterdir())
    missing = {}
    for name in assignment.files:
        if not (submission / name).is_file():
            close = difflib.get_close_matches(name, present, n=1, cutoff=0.6) or \
                [p for p in present if p.lower() == name.lower()]
            hint = f" Found {close[0]!r}: rename it to {name!r} (names are case-sensitive)." if close else \
                f" Found: {', '.join(present) or 'nothing'}."
            missing[name] = f"The submission has no file named {name!r}.{hint}"
    return missing


class Session:
    """One submission being graded, as its checks share it: where it is, its reference, its seed, its time
    budget, and what is wrong with it as a whole.

    A check needs some of the assignment's files (all of them unless it says otherwise); a missing
    file, or a module that fails to import, costs the checks that need it and no others."""

    def __init__(self, assignment, submission: Path, sandbox, reference, seed: int, budget: float):
        self.assignment, self.submission, self.sandbox = assignment, submission, sandbox
        self.reference, self.seed = reference, seed
        self.deadline = time.monotonic() + budget
        self.problem = None  # a problem with the whole submission (say, an unreadable notebook)
        self.missing = missing_files(assignment, submission)
        self._failed_imports = {}  # modules (tuple) -> why importing them failed

    def require(self, files):
        """Raise SubmissionError, in the student's terms, unless the submission can be read and has ``files``."""
        if self.problem:
            raise SubmissionError(self.problem)
        for name in files:
            if name in self.missing:
                raise SubmissionError(self.missing[name])

    def spawn_worker(self, files=None):
        """A worker with the modules among ``files`` (default: all the assignment's files) imported."""
        files = list(files or self.assignment.files)
        self.require(files)
        modules = tuple(m for m in self.assignment.modules if any(Path(f).stem == m for f in files))
        if modules in self._failed_imports:
            raise SubmissionError(self._failed_imports[modules])
        if time.monotonic() > self.deadline:
            raise SubmissionError("Not run: earlier checks used up this submission's time budget "
                                  "(look for code that hangs or is very slow).")
        try:
            return self.sandbox.spawn(self.submission, list(modules), provided=self.assignment.provided_files)
        except SubmissionError as exc:
            # Importing is deterministic enough: modules that failed once fail every check the same way.
            self._failed_imports[modules] = str(exc)
            raise


def seed_for(run_seed: int, check_name: str) -> int:
    """Each check draws from its own stream, so adding or reordering checks changes no other's inputs."""
    digest = hashlib.sha256(f"{run_seed}:{check_name}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class Context:
    """What one check sees of the submission (the ``ctx`` it receives): its inputs' random stream, the
    submitted files (read, never imported), the reference (hidden checks only), and probes run on the
    submission in this check's own sandboxed worker."""

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
        """The text of a submitted file (at most MAX_SOURCE_BYTES), read (never imported) in the grading
        process, for checks that read code instead of running it."""
        self._session.require([filename] if filename in self.assignment.files else [])
        path = self._session.submission / filename
        if path.is_symlink() or not path.is_file():
            raise SubmissionError(f"The submission has no readable file {filename!r}.")
        return path.read_bytes()[:MAX_SOURCE_BYTES].decode("utf-8", "replace")

    def data_file(self, filename, max_bytes):
        """The path of a submitted data file, checked (present, no link, at most ``max_bytes``), for the
        grading process to load safely itself: a submission's data are never unpickled in full."""
        self._session.require([filename])
        path = self._session.submission / filename
        if path.is_symlink() or not path.is_file():
            raise SubmissionError(f"{filename} is not a regular file (a link or a folder cannot be graded).")
        size = path.stat().st_size
        if size > max_bytes:
            raise SubmissionError(f"{filename} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.1f} MB.")
        if filename.endswith((".pt", ".pth")):
            # Inspected before any check torch.loads it: a small archive must not unpack to gigabytes.
            from grader.sandbox import protocol

            try:
                protocol.load_untrusted(path, max_bytes)
            except protocol.TooLarge as exc:
                raise SubmissionError(f"{filename} cannot be graded: {exc}.") from None
            except Exception:
                pass  # not loadable at all: the check that reads it says so in its own terms
        return path

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

    def call_function(self, module, name, /, *args, doing=None, timeout=None, **kwargs) -> FunctionResult:
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
    when the grader's own code failed, ByHand when the check leaves it to the staff, else the message
    explaining why not."""
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
    except GradeByHand as exc:
        return ByHand(str(exc))
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
