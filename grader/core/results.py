"""Gradescope's results.json from a graded submission, through gradescope-utils.

Each verdict becomes an ordinary unittest method carrying gradescope-utils' decorators (points, number,
visibility, tags, partial credit, leaderboard) and gradescope-utils' JSONTestRunner writes the results,
so the file is exactly what Gradescope expects. Runs in the grading process.
"""
import io
import json
import os
import tempfile
import unittest
from pathlib import Path

from gradescope_utils.autograder_utils.decorators import leaderboard, number, partial_credit, tags, visibility
from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

from grader.core.checks import ByHand, GraderError, Scored
from grader.core.grading import grade_submission

GRADER_ERROR_TAG = "grader-error"
BY_HAND_TAG = "graded-by-hand"
BY_HAND = "Graded by hand: the course staff will read this part of your work; until then it counts no points.\n\n"
NOT_JUDGED = ("Not judged: the grader's own code failed on this check, so this is no verdict on your code. "
              "The course staff have the details and will grade it by hand; until then it counts no points.")
GRADER_FAILED = "AUTOGRADER FAILED: regrade this submission"
FAILED_OUTPUT = ("The autograder failed while grading this submission, so it has no grade yet: this is not a "
                 "score of 0. The course staff have been told and will regrade it; you need not submit again.")


def grade(assignment, submission, sandbox, **options):
    """Grade ``submission`` (options: see grading.grade_submission) into Gradescope's results dictionary."""
    return gradescope_results(grade_submission(assignment, submission, sandbox, **options))


def gradescope_results(graded) -> dict:
    """The results dictionary of a graded submission, as gradescope-utils' runner writes it."""
    def finish(results):
        # The runner's hook for what its decorators cannot say: the whole run's time and notes, the
        # grader errors listed for the staff, and no total below zero.
        results["execution_time"] = round(graded.seconds, 2)
        results["score"] = max(0.0, results["score"])  # penalties never take a submission below zero
        results["output"] = _summary_line(results["tests"], graded.checks)
        results["extra_data"] = {"assignment": graded.assignment.id, "seed": graded.seed,
                                 "public_only": graded.public_only}
        errors = {info.number: verdict.detail for (info, _), verdict in zip(graded.checks, graded.verdicts, strict=True)
                  if isinstance(verdict, GraderError)}
        if errors:
            for test in results["tests"]:  # gradescope-utils has no decorator for a test's extra_data
                if test.get("number") in errors:
                    test["extra_data"] = {"grader_error": errors[test["number"]][-4000:]}
            results["extra_data"]["grader_errors"] = sorted(errors)
            results["output"] += (f" {len(errors)} check(s) could not be judged because the grader itself failed "
                                  f"({', '.join(sorted(errors))}); they are held for the course staff and are not "
                                  "counted as mistakes.")
        by_hand = sorted(info.number for (info, _), verdict in zip(graded.checks, graded.verdicts, strict=True)
                         if isinstance(verdict, ByHand))
        if by_hand:
            results["extra_data"]["by_hand"] = by_hand
            results["output"] += (f" {len(by_hand)} check(s) will be graded by hand by the course staff "
                                  f"({', '.join(by_hand)}): see each for why.")

    stream = io.StringIO()
    JSONTestRunner(stream=stream, failure_prefix="", post_processor=finish).run(_suite(graded))
    return json.loads(stream.getvalue())  # as JSON has it (the tags decorator leaves a tuple, say)


def _suite(graded):
    """A TestCase with one method per check reporting its verdict, and one per leaderboard entry of a
    Scored verdict; methods run in the checks' order."""
    class Checks(unittest.TestCase):
        pass

    hidden = graded.assignment.hidden_visibility
    for index, ((info, _), verdict) in enumerate(zip(graded.checks, graded.verdicts, strict=True)):
        name = f"test_{index:04d}_{info.name}"
        setattr(Checks, name, _test_method(info, verdict, "visible" if info.public else hidden))
        entries = (verdict.leaderboard or {}) if isinstance(verdict, Scored) else {}
        for entry, (column, (value, order)) in enumerate(entries.items()):
            setattr(Checks, f"{name}_leaderboard_{entry:03d}", _leaderboard_method(column, value, order))
    return unittest.defaultTestLoader.loadTestsFromTestCase(Checks)


def _test_method(info, verdict, shown_when):
    """A test that reports ``verdict``: it prints what is shown whatever the score (the runner puts it in
    the test's output), sets the score when it is not all or nothing (a share, a deduction, a held check),
    and fails with the message for the student."""
    held = isinstance(verdict, (GraderError, ByHand))
    printed, score, failure = None, None, None  # no score set: the runner gives all points or none
    if held:  # neither passed nor failed: no points and no deduction until the staff look at it
        printed, score = (BY_HAND + verdict.reason) if isinstance(verdict, ByHand) else NOT_JUDGED, 0.0
    elif isinstance(verdict, Scored):
        printed, score = verdict.report, verdict.points
    elif verdict is not None:
        failure = verdict
        if info.penalty:
            score = -info.penalty  # a broken rule deducts (set_score takes any number)

    def method(self, set_score):
        if printed is not None:
            print(printed)
        if score is not None:
            set_score(score)
        if failure is not None:
            self.fail(failure)
    method.__doc__ = info.title  # the test's name on Gradescope
    return partial_credit(info.points)(number(info.number)(visibility(shown_when)(
        tags(*([BY_HAND_TAG] if isinstance(verdict, ByHand) else [GRADER_ERROR_TAG] if held else []))(method))))


def _leaderboard_method(column, value, order):
    def method(self, set_leaderboard_value):
        set_leaderboard_value(value)
    return leaderboard(column, order)(method)


def _summary_line(tests, checks):
    public = [t for t in tests if t.get("visibility") == "visible"]
    hidden_points = sum(info.points for info, _ in checks if not info.public)
    line = (f"Public checks: {sum(t['score'] for t in public):g} of {sum(t['max_score'] for t in public):g} "
            f"points.")
    if hidden_points:
        line += (f" Hidden checks worth {hidden_points:g} points were also run; their results appear when "
                 "the course staff publish grades.")
    return line


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


def write_results(results, path):
    """Write atomically, readable by the owner only: a rename replaces (never follows) whatever is there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(handle, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(temporary, path)
