"""amcs215-a9 notebooks handed in part-way: each exercise is graded on its own."""
import nbformat
import pytest

from conftest import REPO
from grader.core import assignments

ASSIGNMENT = assignments.get("amcs215-a9")
SOLVED = REPO / "reference" / "amcs215_a9" / "a9_networks.ipynb"
TEMPLATE = REPO / "student_template" / "amcs215_a9" / "a9_networks.ipynb"
DEFINES = {"1": "class DenseAutoencoder", "2": "class ConvAutoencoder", "3": "def kl_to_standard_normal",
           "4": "class SentimentRNN", "5": "class TextCNN"}


def points_of(question):
    return sum(info.points for info, _ in ASSIGNMENT.checks if info.question == question)


@pytest.mark.parametrize("done", [("3",), ("2", "4"), ("1", "5")])
def test_a_notebook_with_some_exercises_done_earns_exactly_those(graders, tmp_path, done):
    """The template with the graded cells of ``done`` copied from the solved notebook."""
    solved = nbformat.read(SOLVED, as_version=4)
    notebook = nbformat.read(TEMPLATE, as_version=4)
    for question in done:
        [index] = [i for i, cell in enumerate(notebook.cells) if DEFINES[question] in cell.source]
        assert solved.cells[index].source.startswith(notebook.cells[index].source.split("\n", 1)[0])
        notebook.cells[index].source = solved.cells[index].source
    nbformat.write(notebook, tmp_path / "a9_networks.ipynb")
    results = graders("amcs215-a9").grade(tmp_path)
    assert results["score"] == sum(points_of(q) for q in done)
    for test in results["tests"]:
        if test["number"].split(".")[0] not in done:
            assert test["status"] == "failed" and "is not written yet" in test["output"], test
