"""Correct solutions written differently get full marks; each realistic mistake loses points where it should."""
import dataclasses
import tomllib

import pytest

from conftest import CORPUS, failed_checks, validate_results
from grader.engine.results import grade

CASES = tomllib.loads((CORPUS / "cs446_hw2" / "cases.toml").read_text())
CORRECT = sorted(name for name, case in CASES.items() if case.get("full"))
WRONG = sorted(name for name, case in CASES.items() if not case.get("full"))


def test_corpus_is_large_enough_and_described():
    folders = {p.name for p in (CORPUS / "cs446_hw2").iterdir() if p.is_dir()}
    assert folders == set(CASES), "every corpus folder needs an entry in cases.toml and vice versa"
    assert len(CORRECT) >= 6 and len(WRONG) >= 10


@pytest.fixture(scope="module")
def cs446(graders):
    return graders("cs446-hw2")


@pytest.mark.parametrize("case", ["reference"] + CORRECT)
def test_correct_solution_gets_full_marks(cs446, case):
    folder = cs446.assignment.reference_dir if case == "reference" else CORPUS / "cs446_hw2" / case
    results = cs446.grade(folder)
    assert failed_checks(results) == set(), [t["output"] for t in results["tests"] if t["status"] != "passed"]
    assert results["score"] == sum(info.points for info, _ in cs446.assignment.checks)


@pytest.mark.parametrize("case", WRONG)
def test_mistake_loses_points_in_the_right_place(cs446, case):
    results = cs446.grade(CORPUS / "cs446_hw2" / case)
    failed = failed_checks(results)
    for check_name in CASES[case]["fails"]:
        assert cs446.title(check_name) in failed, f"{case} should fail {check_name}"
    for question in CASES[case].get("keeps", []):
        lost = [t["name"] for t in results["tests"] if t["number"].startswith(question + ".") and t["status"] != "passed"]
        assert not lost, f"{case} has no mistake in {question} but failed {lost}"
    for test in results["tests"]:
        if test["status"] != "passed":
            assert test["output"].strip(), f"{test['name']} failed without saying why"


def test_every_check_is_failed_by_some_realistic_mistake(cs446):
    # Both ways: the reference passes every check (above), and each check has a wrong solution it catches.
    caught = {name for case in WRONG for name in CASES[case]["fails"]}
    assert {info.name for info, _ in cs446.assignment.checks} <= caught


def test_hidden_checks_record_their_seed_and_reproduce(cs446):
    case = CORPUS / "cs446_hw2" / "wrong_block_no_middle_relu"
    first = cs446.grade(case)
    again = cs446.grade(case, seed=first["extra_data"]["seed"])
    assert [t.get("output") for t in first["tests"]] == [t.get("output") for t in again["tests"]]
    other = cs446.grade(case, seed=first["extra_data"]["seed"] + 1)
    assert [t.get("output") for t in first["tests"]] != [t.get("output") for t in other["tests"]]


def test_public_checks_run_without_the_reference(cs446):
    # The student bundle has no reference; the self-check must work (and pass) without it.
    results = grade(cs446.assignment, cs446.assignment.reference_dir, public_only=True, sandbox=cs446.sandbox)
    validate_results(results)
    assert {t["visibility"] for t in results["tests"]} == {"visible"}
    assert len(results["tests"]) == sum(info.public for info, _ in cs446.assignment.checks)
    assert failed_checks(results) == set()


def test_hidden_visibility_comes_from_the_assignment_config(cs446):
    configured = dataclasses.replace(cs446.assignment, hidden_visibility="after_due_date")
    results = grade(configured, CORPUS / "cs446_hw2" / "correct_functional", sandbox=cs446.sandbox,
                    reference=cs446.reference)
    validate_results(results)
    hidden = {info.title for info, _ in configured.checks if not info.public}
    assert {t["visibility"] for t in results["tests"] if t["name"] in hidden} == {"after_due_date"}
    assert {t["visibility"] for t in results["tests"] if t["name"] not in hidden} == {"visible"}
