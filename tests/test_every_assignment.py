"""For every assignment, through the command line: the reference folder gets full marks and the
template folder gets zero, each with a results.json that Gradescope accepts."""
import json

import pytest

from conftest import run_cli, validate_results
from grader.core import assignments

ALL = sorted(assignments.all_assignments())


def graded(tmp_path, assignment, folder):
    out = tmp_path / "results.json"
    completed = run_cli("run", assignment, folder, "-o", out)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(out.read_text())
    validate_results(results)
    return results, completed


@pytest.mark.parametrize("assignment", ALL)
def test_reference_gets_full_marks(tmp_path, assignment):
    a = assignments.get(assignment)
    results, completed = graded(tmp_path, assignment, a.reference_dir)
    assert results["score"] == sum(info.points for info, _ in a.checks) > 0
    assert all(t["number"].rsplit(".", 1)[0] in {i.question for i, _ in a.checks} for t in results["tests"])
    assert str(results["extra_data"]["seed"]) in completed.stdout
    public = {info.title: info.public for info, _ in a.checks}
    for test in results["tests"]:
        assert test["visibility"] == ("visible" if public[test["name"]] else a.hidden_visibility)


@pytest.mark.parametrize("assignment", ALL)
def test_template_gets_zero_without_crashing(tmp_path, assignment):
    a = assignments.get(assignment)
    results, _ = graded(tmp_path, assignment, a.template_dir)
    assert results["score"] == 0
    assert len(results["tests"]) == len(a.checks)
    earning = [t for t in results["tests"] if t["max_score"] > 0]
    # a file students produce themselves (cs689's note_predictions.pt) is not in the template: "no file named"
    produced = [name for name in a.files if not (a.template_dir / name).exists()]
    assert earning and all("not written yet" in t["output"] or
                           any(f"no file named {name!r}" in t["output"] for name in produced) for t in earning)
