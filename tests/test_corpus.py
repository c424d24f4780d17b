"""For every assignment with a corpus (tests/corpus/<folder>/cases.toml): correct solutions written
differently get full marks; each realistic mistake loses points where it should and nowhere else;
every check is failed by at least one realistic mistake."""
import atexit
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest

from conftest import CORPUS, failed_checks
from grader.core import assignments
from grader.core.results import BY_HAND_TAG

SPECS = {a.id: tomllib.loads((CORPUS / a.folder / "cases.toml").read_text())
         for a in assignments.all_assignments().values() if (CORPUS / a.folder / "cases.toml").exists()}
# A top-level ``complete_from_reference = [files]`` in cases.toml: a case holds only the files it changes,
# and the others are the reference's (so a mistake in one part is graded beside correct other parts).
CORPORA = {a: {case: spec for case, spec in specs.items() if isinstance(spec, dict)} for a, specs in SPECS.items()}
_COMPLETED = Path(tempfile.mkdtemp(prefix="corpus-"))
atexit.register(shutil.rmtree, _COMPLETED, ignore_errors=True)
CORRECT = [(a, case) for a, cases in CORPORA.items() for case, spec in cases.items() if spec.get("full")]
WRONG = [(a, case) for a, cases in CORPORA.items() for case, spec in cases.items() if not spec.get("full")]


def folder(assignment_id, case):
    assignment = assignments.get(assignment_id)
    original = CORPUS / assignment.folder / case
    borrowed = SPECS[assignment_id].get("complete_from_reference", []) if case else []
    if not borrowed:
        return original
    completed = _COMPLETED / assignment.folder / case
    if not completed.exists():
        shutil.copytree(original, completed)
        for name in borrowed:
            if not (completed / name).exists():
                shutil.copy(assignment.reference_dir / name, completed / name)
    return completed


@pytest.mark.parametrize("assignment_id", sorted(assignments.all_assignments()))
def test_every_assignment_has_a_large_enough_described_corpus(assignment_id):
    assert assignment_id in CORPORA, f"tests/corpus/{assignments.get(assignment_id).folder}/cases.toml is missing"
    cases = CORPORA[assignment_id]
    on_disk = {p.name for p in folder(assignment_id, "").iterdir() if p.is_dir()}
    assert on_disk == set(cases), "every corpus folder needs an entry in cases.toml and vice versa"
    assert sum(1 for c in cases.values() if c.get("full")) >= 6
    assert sum(1 for c in cases.values() if not c.get("full")) >= 10


@pytest.mark.parametrize("assignment_id, case", CORRECT)
def test_correct_solution_gets_full_marks(graders, assignment_id, case):
    grader = graders(assignment_id)
    results = grader.grade(folder(assignment_id, case))
    assert failed_checks(results) == set(), [t["output"] for t in results["tests"] if t["status"] != "passed"]
    assert results["score"] == sum(info.points for info, _ in grader.assignment.checks)


@pytest.mark.parametrize("assignment_id, case", WRONG)
def test_mistake_loses_points_in_the_right_place(graders, assignment_id, case):
    grader = graders(assignment_id)
    spec = CORPORA[assignment_id][case]
    results = grader.grade(folder(assignment_id, case))
    by_hand = {t["name"] for t in results["tests"] if BY_HAND_TAG in t.get("tags", ())}
    assert by_hand == {grader.title(name) for name in spec.get("by_hand", [])}, f"{case}: checks left to the staff"
    failed = failed_checks(results) - by_hand
    for check_name in spec.get("fails", []):
        assert grader.title(check_name) in failed, f"{case} should fail {check_name}"
    for check_name in spec.get("passes", []):  # a check that must not charge a mistake owned by another
        assert grader.title(check_name) not in failed, f"{case} should pass {check_name}"
    for question in spec.get("keeps", []):
        lost = [t["name"] for t in results["tests"]
                if t["number"].rsplit(".", 1)[0] == question and t["name"] in failed]
        assert not lost, f"{case} has no mistake in {question} but failed {lost}"
    for test in results["tests"]:
        if test["status"] != "passed":
            assert test["output"].strip(), f"{test['name']} failed without saying why"


@pytest.mark.parametrize("assignment_id", sorted(CORPORA))
def test_every_check_is_failed_by_some_realistic_mistake(graders, assignment_id):
    # Both ways: the reference passes every check (test_every_assignment), and each check has a
    # realistic wrong solution that it catches.
    caught = {name for spec in CORPORA[assignment_id].values() for name in spec.get("fails", [])}
    assert {info.name for info, _ in assignments.get(assignment_id).checks} <= caught
