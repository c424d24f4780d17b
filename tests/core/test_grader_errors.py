"""A check whose own code fails is neither passed nor failed: it earns nothing and deducts nothing until the
staff look at it, says so to the student, and is listed for the staff in the results' extra_data."""
import dataclasses
import re

from conftest import grade_reference_with, validate_results
from grader.core import assignments
from grader.core.reports import self_check_report
from grader.core.results import GRADER_ERROR_TAG


def test_a_failing_check_is_held_for_the_staff_and_the_results_stay_valid(monkeypatch):
    assignment = assignments.get("csci567-hw3")
    (info, _), (rule, _) = [c for c in assignment.checks if c[0].public and not c[0].penalty][0], \
        [c for c in assignment.checks if c[0].penalty][0]

    def broken(ctx):
        return [][1]  # a bug of the check's own

    held_info = dataclasses.replace(info, name="broken_check")
    held_rule = dataclasses.replace(rule, name="broken_rule")
    results = grade_reference_with(monkeypatch, assignment, [(held_info, broken), (held_rule, broken)])
    validate_results(results)
    held = [t for t in results["tests"] if GRADER_ERROR_TAG in t.get("tags", [])]
    assert len(held) == 2 and all(t["score"] == 0 for t in held)  # the rule deducts nothing either
    assert results["score"] == 0
    assert "IndexError" in held[0]["extra_data"]["grader_error"]
    assert sorted(results["extra_data"]["grader_errors"]) == sorted([info.number, rule.number])
    assert "could not be judged" in results["output"]
    report = self_check_report(results)
    assert "not judged" in report and "What to fix" not in report and "public checks passed" not in report


def test_the_class_summary_lists_checks_not_judged_apart_from_failures(monkeypatch, tmp_path):
    from grader.staff.batch import Submission, write_reports

    assignment = assignments.get("csci567-hw3")
    info, _ = next(c for c in assignment.checks if c[0].public and not c[0].penalty)

    def broken(ctx):
        return [][1]

    results = grade_reference_with(monkeypatch, assignment, [(dataclasses.replace(info, name="broken_check"), broken)])
    summary = write_reports(assignment, tmp_path, [(Submission("student_1", tmp_path, "Ada"), results)])
    assert "not judged: grader errors" in summary
    assert re.search(rf"student_1\s+{re.escape(info.number)}\n", summary)
    assert "broken" not in summary.split("most often failed check")[-1]  # a grader error is no student failure


def test_a_check_left_to_the_staff_says_why_deducts_nothing_and_is_listed_for_grading_by_hand(monkeypatch, tmp_path):
    from grader.core.checks import GradeByHand
    from grader.core.results import BY_HAND_TAG
    from grader.staff.batch import Submission, write_reports

    assignment = assignments.get("csci567-hw3")
    (info, passing), (rule, _) = [c for c in assignment.checks if c[0].public and not c[0].penalty][0], \
        [c for c in assignment.checks if c[0].penalty][0]

    def other_reading(ctx):
        raise GradeByHand("this submission builds its layers another way")

    left = [(dataclasses.replace(info, name="left_check"), other_reading),
            (dataclasses.replace(rule, name="left_rule"), other_reading), (info, passing)]
    results = grade_reference_with(monkeypatch, assignment, left)
    validate_results(results)
    by_hand = [t for t in results["tests"] if BY_HAND_TAG in t.get("tags", [])]
    assert len(by_hand) == 2 and all(t["score"] == 0 for t in by_hand)  # the rule deducts nothing either
    assert all("another way" in t["output"] and "by hand" in t["output"] for t in by_hand)
    assert not any(GRADER_ERROR_TAG in t.get("tags", []) for t in results["tests"])
    assert results["score"] == info.points
    assert results["extra_data"]["by_hand"] == sorted([info.number, rule.number])
    report = self_check_report(results)
    assert report.count("another way") == 1 and "What to fix" not in report and "by hand" in report
    assert "The other 1 public checks passed" in report
    summary = write_reports(assignment, tmp_path, [(Submission("student_1", tmp_path, "Ada"), results)])
    assert re.search(r"to grade by hand.*\n.*\nstudent_1\s+", summary)
    assert "left_" not in summary.split("most often failed check")[-1]
