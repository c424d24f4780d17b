"""Hostile csci567-hw3 submissions: contained, and graded for what they really do."""
import pytest

from conftest import AS_ROOT, CORPUS, grade_hostile

HOSTILE = CORPUS / "csci567_hw3_hostile"


def test_monkeypatching_numpy_changes_nothing(tmp_path):
    results, _ = grade_hostile("csci567-hw3", HOSTILE / "monkeypatch", tmp_path)
    lost = {t["number"] for t in results["tests"] if t["status"] != "passed"}
    # np.random.normal returns zeros: the initialisation check sees it; the mean-instead-of-sum db too.
    assert {"3.1.1.1", "3.1.1.3", "3.1.1.5"} <= lost
    assert "3.1.3.2" not in lost  # SGD is judged on its own


@pytest.mark.skipif(not AS_ROOT, reason="file protection needs a separate sandbox user (run as root)")
def test_cannot_read_the_reference(tmp_path):
    results, _ = grade_hostile("csci567-hw3", HOSTILE / "read_reference", tmp_path)
    assert results["score"] == 0


def test_sys_exit_at_import(tmp_path):
    results, _ = grade_hostile("csci567-hw3", HOSTILE / "sys_exit", tmp_path)
    assert results["score"] == 0 and "exit" in results["tests"][1]["output"]


def test_the_course_utils_replace_the_students_own(tmp_path):
    results, _ = grade_hostile("csci567-hw3", HOSTILE / "own_utils", tmp_path)
    assert results["score"] == 17  # a correct solution, graded with the course's utils.py


def test_forged_probe_answers_earn_nothing_more_than_the_honest_template(tmp_path):
    """The template with the grader's probes replaced at import: a gradient check that 'expects' nothing and a
    results file with plausible accuracies. The grader computes every expected value itself and checks the
    file against the parameters it is given, so this earns what the empty template earns: nothing."""
    from grader.core import assignments

    results, _ = grade_hostile("csci567-hw3", HOSTILE / "forged_probes", tmp_path / "forged")
    honest, _ = grade_hostile("csci567-hw3", assignments.get("csci567-hw3").template_dir, tmp_path / "honest")
    assert results["score"] <= honest["score"] == 0
    lost = {t["number"] for t in results["tests"] if t["status"] != "passed"}
    assert {"3.1.5.1", "3.1.5.2", "3.1.6.1"} <= lost


def test_code_the_import_rule_cannot_read_is_noted_for_the_staff_and_not_charged(tmp_path):
    """An import hidden in exec() is invisible to a rule that reads the source: the rule is kept (no
    deduction on a guess), the staff are told which line to read, and the hidden checks judge the code."""
    from grader.core import assignments

    reference = assignments.get("csci567-hw3").reference_dir
    source = tmp_path / "source"
    source.mkdir()
    for path in reference.iterdir():
        if path.is_file():
            (source / path.name).write_bytes(path.read_bytes())
    solved = source / "neural_networks.py"
    solved.write_text(solved.read_text() + '\nexec("import json as _json")\n')
    results, _ = grade_hostile("csci567-hw3", source, tmp_path / "graded")
    rule = next(t for t in results["tests"] if t["number"] == "3.1.0")
    assert rule["status"] == "passed" and rule["score"] == 0
    assert "For the course staff" in rule["output"] and "exec" in rule["output"]
    assert results["score"] == sum(t["max_score"] for t in results["tests"])
