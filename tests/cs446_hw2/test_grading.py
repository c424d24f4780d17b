"""cs446-hw2 grading beyond the corpus: seeds, public-only grading, visibility."""
import dataclasses

import pytest

from conftest import CORPUS, failed_checks, validate_results
from grader.core.results import grade


@pytest.fixture(scope="module")
def cs446(graders):
    return graders("cs446-hw2")


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
