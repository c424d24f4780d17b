"""Grading one submission into Gradescope's results.json, and the tables people read.

The checks become ordinary unittest methods carrying gradescope-utils' decorators
(weight, number, visibility) and run through its JSONTestRunner, so the results file is
exactly what Gradescope expects. Whatever the submission does, ``grade`` returns a complete
result: failures of student code become failed checks, never a failed run.
"""
import difflib
import io
import json
import os
import random
import re
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradescope_utils.autograder_utils.decorators import number, visibility, weight
from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner
from tabulate import tabulate

from grader.sandbox import capacity
from grader.core import notebooks
from grader.core.checks import Context, GraderError, Scored, run_check
from grader.errors import SubmissionError


MAX_SOURCE_BYTES = 2 * 1024 * 1024


class Session:
    """One submission being graded: where it is, its reference, its seed, its time budget.

    A check needs some of the assignment's files (all of them unless it says otherwise); a missing
    file, or a module that fails to import, costs the checks that need it and no others."""

    def __init__(self, assignment, submission: Path, sandbox, reference, seed: int, budget: float):
        self.assignment, self.submission, self.sandbox = assignment, submission, sandbox
        self.reference, self.seed = reference, seed
        self.deadline = time.monotonic() + budget
        self.problem = None  # a problem with the whole submission (say, an unreadable notebook)
        self.missing = missing_files(assignment, submission)
        self._failed_imports = {}  # modules (tuple) -> why importing them failed

    def _check_present(self, files):
        if self.problem:
            raise SubmissionError(self.problem)
        for name in files:
            if name in self.missing:
                raise SubmissionError(self.missing[name])

    def source(self, filename):
        """A submitted file's text (at most MAX_SOURCE_BYTES), for checks that read code instead of running it."""
        self._check_present([filename] if filename in self.assignment.files else [])
        path = self.submission / filename
        if path.is_symlink() or not path.is_file():
            raise SubmissionError(f"The submission has no readable file {filename!r}.")
        return path.read_bytes()[:MAX_SOURCE_BYTES].decode("utf-8", "replace")

    def data_file(self, filename, max_bytes):
        """The path of a submitted data file (never a link, at most ``max_bytes``), for the grading process
        to read itself (with torch.load(weights_only=True), say)."""
        self._check_present([filename])
        path = self.submission / filename
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

    def spawn_worker(self, files=None):
        """A worker with the modules among ``files`` (default: all the assignment's files) imported."""
        files = list(files or self.assignment.files)
        self._check_present(files)
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


def _run_checks(session, checks, threads):
    """Every check's verdict (None or a message). Checks are independent, each with its own worker
    and random stream, so they may run side by side: while one waits for its worker, another computes."""
    def verdict(check):
        info, func = check
        return run_check(func, Context(session, info, session.seed))

    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return list(pool.map(verdict, checks))


GRADER_ERROR_TAG = "grader-error"
NOT_JUDGED = ("Not judged: the grader's own code failed on this check, so this is no verdict on your code. "
              "The course staff have the details and will grade it by hand; until then it counts no points.")


def _test_case(assignment, checks, verdicts):
    """A unittest.TestCase with one gradescope-utils-decorated method per check, reporting its verdict,
    and one leaderboard method per leaderboard entry of a Scored verdict."""
    attributes = {}
    for index, ((info, _), verdict) in enumerate(zip(checks, verdicts, strict=True)):
        scored = verdict if isinstance(verdict, Scored) else None
        held = isinstance(verdict, GraderError)

        def method(self, message=verdict, scored=scored, held=held):
            if held:
                print(NOT_JUDGED)
            elif scored is not None:
                print(scored.report)  # gradescope-utils puts what a test prints in its output
            elif message is not None:
                self.fail(message)
        method.__doc__ = info.title
        if info.penalty and verdict is not None and not held:
            method.__score__ = -info.penalty  # read by gradescope-utils: a broken rule deducts
        if scored is not None:
            method.__score__ = scored.points
        if held:  # neither passed nor failed: no points and no deduction until the staff look at it
            method.__score__, method.__tags__ = 0.0, [GRADER_ERROR_TAG]
        method = weight(info.points)(number(info.number)(visibility(
            "visible" if info.public else assignment.hidden_visibility)(method)))
        attributes[f"test_{index:04d}_{info.name}"] = method
        for column, (value, order) in ((scored.leaderboard or {}).items() if scored else ()):
            def entry(self):
                pass
            entry.__leaderboard_column__, entry.__leaderboard_value__ = column, value
            entry.__leaderboard_sort_order__ = order
            attributes[f"test_{index:04d}_{info.name}_leaderboard_{len(attributes)}"] = entry
    return type(f"Checks_{assignment.folder}", (unittest.TestCase,), attributes)


def grade(assignment, submission, sandbox, *, public_only=False, seed=None, reference=None, threads=None):
    """Run the checks on ``submission`` in ``sandbox`` (one per assignment, reusable) and return
    Gradescope's results dictionary."""
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
        verdicts = [verdict if verdict is None or isinstance(verdict, (Scored, GraderError))
                    else prepared.explain(verdict) for verdict in _run_checks(session, checks, threads)]
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(_test_case(assignment, checks, verdicts))
    stream = io.StringIO()
    JSONTestRunner(stream=stream, failure_prefix="").run(suite)
    results = json.loads(stream.getvalue())
    results["execution_time"] = round(time.monotonic() - started, 2)
    results["score"] = max(0.0, results["score"])  # penalties never take a submission below zero
    results["output"] = summary_line(results, checks)
    results["extra_data"] = {"assignment": assignment.id, "seed": seed, "public_only": public_only}
    errors = {info.number: verdict.detail for (info, _), verdict in zip(checks, verdicts, strict=True)
              if isinstance(verdict, GraderError)}
    if errors:
        for test in results["tests"]:
            if test.get("number") in errors:
                test["extra_data"] = {"grader_error": errors[test["number"]][-4000:]}
        results["extra_data"]["grader_errors"] = sorted(errors)
        results["output"] += (f" {len(errors)} check(s) could not be judged because the grader itself failed "
                              f"({', '.join(sorted(errors))}); they are held for the course staff and are not "
                              "counted as mistakes.")
    return results


GRADER_FAILED = "AUTOGRADER FAILED: regrade this submission"
FAILED_OUTPUT = ("The autograder failed while grading this submission, so it has no grade yet: this is not a "
                 "score of 0. The course staff have been told and will regrade it; you need not submit again.")


def failed_results(assignment, error: str):
    """A valid results.json for a run the grader itself could not complete. It is no grade: its tests are
    hidden from the student (Gradescope's top-level visibility), the output, which students always see,
    says that this is not a score of 0 and that the staff will regrade it, and the staff see the failure as
    the only test's name, with the error, and as ``extra_data.grader_failed``. run_autograder writes the
    same when Python itself dies (killed for memory, say)."""
    total = sum(info.points for info, _ in assignment.checks) if assignment else 0
    return {"score": 0.0, "execution_time": 0.0, "output": FAILED_OUTPUT, "visibility": "hidden",
            "stdout_visibility": "hidden",
            "tests": [{"name": GRADER_FAILED, "number": "0", "score": 0.0, "max_score": total,
                       "status": "failed", "visibility": "hidden", "output": error[-4000:]}],
            "extra_data": {"grader_failed": True, "grader_error": error[-4000:]}}


def grader_failed(results) -> bool:
    return bool(results.get("extra_data", {}).get("grader_failed"))


def summary_line(results, checks):
    public = [t for t in results["tests"] if t.get("visibility") == "visible"]
    hidden_points = sum(info.points for info, _ in checks if not info.public)
    line = (f"Public checks: {sum(t['score'] for t in public):g} of {sum(t['max_score'] for t in public):g} "
            f"points.")
    if hidden_points:
        line += (f" Hidden checks worth {hidden_points:g} points were also run; their results appear when "
                 "the course staff publish grades.")
    return line


def write_results(results, path):
    """Write atomically, readable by the owner only: a rename replaces (never follows) whatever is there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(handle, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(temporary, path)


def self_check_report(results) -> str:
    """The student's terminal view: a table of public checks, then what to fix."""
    rows, failures = [], []
    for test in sorted(results["tests"], key=lambda t: [int(p) if p.isdigit() else p
                                                      for p in re.split(r"(\d+)", t["number"])]):
        ok = test["status"] == "passed"
        held = GRADER_ERROR_TAG in test.get("tags", ())
        rows.append([test["number"], test["name"], f"{test['score']:g}/{test['max_score']:g}",
                     "passed" if ok else "not judged" if held else "FAILED"])
        if not ok and not held:
            failures.append(f"[{test['number']}] {test['name']}\n{test.get('output', '').strip()}")
    lines = [tabulate(rows, headers=["check", "what it checks", "points", "result"], tablefmt="simple")]
    if failures:
        lines += ["", "What to fix:", ""] + ["\n".join("    " + l if i else l
                                                        for i, l in enumerate(f.splitlines())) + "\n"
                                                        for f in failures]
        lines.append(f"{len(failures)} of {len(rows)} public checks failed.")
    held = sum(GRADER_ERROR_TAG in test.get("tags", ()) for test in results["tests"])
    if held:
        lines += ["", f"{held} check(s) could not be judged because the grader itself failed (not your code); "
                      "please tell the course staff."]
    elif not failures:
        lines += ["", f"All {len(rows)} public checks passed. Hidden checks run on Gradescope after you submit."]
    return "\n".join(lines)


def question_of(test):
    """The handout's question of a test: its number without the last part ("3.1.1.2" -> "3.1.1")."""
    return test.get("number", "?").rsplit(".", 1)[0]


def score_table(named_results) -> str:
    """One row per results file: score per question and total."""
    questions = sorted({question_of(t) for _, r in named_results for t in r["tests"]})
    rows = []
    for name, results in named_results:
        row = [name]
        for q in questions:
            tests = [t for t in results["tests"] if question_of(t) == q]
            row.append(f"{sum(t['score'] for t in tests):g}/{sum(t['max_score'] for t in tests):g}")
        total = sum(t["max_score"] for t in results["tests"])
        failed = sum(t["status"] != "passed" for t in results["tests"])
        row += [GRADER_FAILED if grader_failed(results) else f"{results['score']:g}/{total:g}", failed]
        rows.append(row)
    return tabulate(rows, headers=["submission", *questions, "total", "checks failed"], tablefmt="simple")
