"""Notebook submissions of eecs4404-a3 as students really hand them in: broken, incomplete, misnamed,
hostile. Each still gets a valid results.json whose messages speak of the notebook."""
import json
import re
import time

import nbformat
import pytest

from conftest import AS_ROOT, CORPUS, REPO, run_cli, validate_results
from grader.core import assignments

SOLVED = REPO / "reference" / "eecs4404_a3" / "a3_network.ipynb"
ASSIGNMENT = assignments.get("eecs4404-a3")
TOTAL = sum(info.points for info, _ in ASSIGNMENT.checks)


def solved_with(tmp_path, old, new, name="a3_network.ipynb"):
    """The solved notebook with ``old`` replaced by ``new`` in the cell that holds it."""
    notebook = nbformat.read(SOLVED, as_version=4)
    cells = [cell for cell in notebook.cells if old in cell.source]
    assert len(cells) == 1
    cells[0].source = cells[0].source.replace(old, new)
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    nbformat.write(notebook, folder / name)
    return folder, notebook.cells.index(cells[0]) + 1


def lost_questions(results):
    return {t["number"].rsplit(".", 1)[0] for t in results["tests"] if t["status"] != "passed"}


def test_a_file_that_is_not_json_fails_every_check_with_one_clear_message(graders, tmp_path):
    (tmp_path / "a3_network.ipynb").write_text('{"cells": [ {"cell_type": "code", ')  # a truncated upload
    results = graders("eecs4404-a3").grade(tmp_path)
    assert results["score"] == 0
    assert all("a3_network.ipynb is not a notebook: it is not valid JSON" in t["output"] for t in results["tests"])


def test_a_notebook_without_code(graders, tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("My answers are in the PDF.")])
    nbformat.write(notebook, tmp_path / "a3_network.ipynb")
    results = graders("eecs4404-a3").grade(tmp_path)
    assert results["score"] == 0 and "a3_network.ipynb has no code in it" in results["tests"][0]["output"]


def test_a_deleted_function_costs_only_its_task_and_is_named(graders, tmp_path):
    folder, _ = solved_with(tmp_path, "def softmax(a):", "def my_softmax(a):")
    results = graders("eecs4404-a3").grade(folder)
    assert lost_questions(results) == {"2"}
    outputs = [t["output"] for t in results["tests"] if t["status"] != "passed"]
    assert any("a3_network.ipynb defines no `softmax`" in output for output in outputs), outputs


def test_a_cell_with_a_syntax_error_costs_only_what_it_defines(graders, tmp_path):
    folder, cell = solved_with(tmp_path, "return np.maximum(a, 0.0)", "return np.maximum(a, 0.0")
    results = graders("eecs4404-a3").grade(folder)
    assert lost_questions(results) == {"1"}
    failed = next(t for t in results["tests"] if t["status"] != "passed")
    assert f"Cell {cell} of a3_network.ipynb was left out: it is not valid Python" in failed["output"]


def test_errors_point_at_the_cell_and_line_of_the_notebook(graders, tmp_path):
    folder, cell = solved_with(tmp_path, "    return (a > 0).astype(np.float64)",
                               "    mask = a > 0\n    return mask.astype(np.float64) / 0 + undefined_name")
    results = graders("eecs4404-a3").grade(folder)
    failed = [t for t in results["tests"] if t["status"] != "passed"]
    assert {t["number"] for t in failed} == {"1.2", "1.3"}
    source_lines = nbformat.read(folder / "a3_network.ipynb", as_version=4).cells[cell - 1].source.splitlines()
    line = next(i for i, text in enumerate(source_lines, start=1) if "undefined_name" in text)
    assert f"at a3_network.ipynb, cell {cell}, line {line}, in relu_derivative" in failed[0]["output"]
    assert "a3_network.py" not in failed[0]["output"]


def test_a_python_script_instead_of_the_notebook(graders, tmp_path):
    (tmp_path / "a3_network.py").write_text((REPO / "reference" / "eecs4404_a3" / "a3_network.py").read_text())
    results = graders("eecs4404-a3").grade(tmp_path)
    assert results["score"] == 0
    assert "no notebook 'a3_network.ipynb' (found: a3_network.py)" in results["tests"][0]["output"]


def test_self_check_takes_a_notebook_path():
    notebook = CORPUS / "eecs4404_a3" / "wrong_softmax_no_shift" / "a3_network.ipynb"
    completed = run_cli("check", "eecs4404-a3", notebook)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "2.2" in completed.stdout and "Subtract each row's maximum" in completed.stdout
    assert "1 of 9 public checks failed" in completed.stdout


def test_training_in_a_graded_cell_is_stopped_and_reported(tmp_path):
    folder, _ = solved_with(tmp_path, "def sgd_step(params, grads, step_size):",
                            "while True:  # train until it is good\n    pass\n\n\ndef sgd_step(params, grads, step_size):")
    out = tmp_path / "results.json"
    started = time.monotonic()
    assert run_cli("run", "eecs4404-a3", folder, "-o", out).returncode == 0
    results = json.loads(out.read_text())
    validate_results(results)
    assert results["score"] == 0 and time.monotonic() - started < 120
    output = results["tests"][0]["output"]
    assert "did not finish within 20 s" in output and "importing a3_network.ipynb" in output
    assert "keep training, plotting and other long work in cells without the \"graded\" tag" in output


@pytest.mark.skipif(not AS_ROOT, reason="file protection needs a separate sandbox user (run as root)")
def test_a_graded_cell_cannot_read_the_reference(graders, tmp_path):
    reference = REPO / "reference" / "eecs4404_a3" / "a3_network.py"
    folder, _ = solved_with(tmp_path, "def relu(a):", f"SOLUTION = open({str(reference)!r}).read()\n\n\ndef relu(a):")
    results = graders("eecs4404-a3").grade(folder)
    assert results["score"] == 0
    # absent from the worker's view under a mount namespace, closed by permissions without one
    assert re.search(r"\b(PermissionError|FileNotFoundError)\b", results["tests"][0]["output"])
