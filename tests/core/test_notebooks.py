"""Notebooks: rendering them from a percent-format module, and gathering a submitted one into a module."""
import json

import nbformat
import pytest

from conftest import REPO
from grader.core import notebooks
from grader.core.notebooks import NotebookError, find_notebook, gather, read_notebook, render
from grader.staff.templates import keep_solutions, strip_solutions

MODULE = '''# %% [markdown]
# # A small assignment

# %%
import numpy as np

# %% tags=["graded"]
def double(x):
    # BEGIN SOLUTION: return twice x
    return 2 * x
    # END SOLUTION

# %%
if __name__ == "__main__":
    print(double(np.arange(3)))
'''


def notebook_of(*cells):
    """A notebook from (kind, source) or (kind, source, tags) tuples."""
    made = []
    for kind, source, *tags in cells:
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        made.append(make(source, metadata={"tags": tags[0]} if tags else {}))
    return nbformat.v4.new_notebook(cells=made)


def namespace_of(gathered):
    space = {}
    exec(compile(gathered.code, "a3_network.py", "exec"), space)
    return space


def test_render_writes_the_student_and_the_solved_notebook():
    student = nbformat.reads(render(strip_solutions(MODULE, "m.py")), as_version=4)
    solved = nbformat.reads(render(keep_solutions(MODULE, "m.py")), as_version=4)
    kinds = [cell["cell_type"] for cell in student["cells"]]
    assert kinds == ["markdown", "code", "code", "code"]
    graded = student["cells"][2]
    assert graded["metadata"] == {"tags": ["graded"]}
    assert 'raise NotImplementedError("double is not written yet")' in graded["source"]
    assert "return 2 * x" not in nbformat.writes(student)
    assert "return 2 * x" in solved["cells"][2]["source"] and "SOLUTION" not in nbformat.writes(solved)
    # The main guard keeps the module importable; in the notebook the cell simply runs.
    assert solved["cells"][3]["source"] == "print(double(np.arange(3)))"
    assert render(strip_solutions(MODULE, "m.py")) == render(strip_solutions(MODULE, "m.py"))  # stable ids
    nbformat.validate(student)


def test_gather_takes_graded_cells_and_only_definitions_elsewhere():
    notebook = notebook_of(
        ("code", "import numpy as np\nfrom google.colab import drive\ndrive.mount('/content')"),
        ("code", "SCALE = 3\ndata = np.load('missing.npz')\ndef helper(x):\n    return SCALE * x"),
        ("code", "def triple(x):\n    return helper(x)", ["graded"]),
        ("code", "while True:\n    pass"),
    )
    gathered = gather(notebook, "a3_network.ipynb")
    space = namespace_of(gathered)  # the infinite loop and the load never run; the Colab import is skipped
    assert space["triple"](2) == 6
    assert "drive" not in space and "data" not in space
    assert not gathered.notes


def test_graded_cells_win_over_a_scratch_copy_in_a_later_cell():
    notebook = notebook_of(("code", "def f():\n    return 'graded'", ["graded"]),
                           ("code", "def f():\n    return 'scratch'"))
    assert namespace_of(gather(notebook, "n.ipynb"))["f"]() == "graded"


def test_without_tags_definitions_are_taken_and_the_student_is_told():
    notebook = notebook_of(("code", "import math\nprint('training...')\ndef root(x):\n    return math.sqrt(x)"))
    gathered = gather(notebook, "n.ipynb")
    assert namespace_of(gathered)["root"](9) == 3
    assert "graded" in gathered.notes[0] and "tag" in gathered.notes[0]


def test_magics_and_shell_lines_are_dropped():
    notebook = notebook_of(
        ("code", "%matplotlib inline\n!pip install tqdm\nfiles = !ls\nimport math", ["graded"]),
        ("code", "%%time\ndef slow():\n    return 1", ["graded"]),
        ("code", "%%bash\necho hello", ["graded"]),
        ("code", "def f(x):\n    %time y = x\n    return x\nmath.sqrt?", ["graded"]),
    )
    space = namespace_of(gather(notebook, "n.ipynb"))
    assert space["slow"]() == 1 and space["f"](4) == 4 and "math" in space


def test_a_cell_that_is_not_python_is_left_out_with_a_note():
    notebook = notebook_of(("code", "def good():\n    return 1", ["graded"]),
                           ("code", "def bad(:\n    return 2", ["graded"]))
    gathered = gather(notebook, "n.ipynb")
    space = namespace_of(gathered)
    assert space["good"]() == 1 and "bad" not in space
    assert "Cell 2 of n.ipynb was left out" in gathered.notes[0] and "line 1" in gathered.notes[0]


def test_messages_speak_of_cells_and_lines_of_the_notebook(tmp_path):
    notebook = notebook_of(("markdown", "# Title"), ("code", "import math"),
                           ("code", "def f(x):\n    y = x + 1\n    raise ValueError(y)", ["graded"]))
    gathered = gather(notebook, "a3_network.ipynb")
    line = gathered.code.splitlines().index("    raise ValueError(y)") + 1
    prepared = notebooks.Prepared(tmp_path, sources={"a3_network": ("A3.ipynb", gathered)}, notes=["Graded A3."])
    message = prepared.explain(f"ValueError: 2\n  at a3_network.py, line {line}, in f: raise ValueError(y)\n"
                               "a3_network.py defines no `g`")
    assert "at A3.ipynb, cell 3, line 3, in f" in message
    assert "A3.ipynb defines no `g`" in message and message.endswith("About your notebook: Graded A3.")


@pytest.mark.parametrize("content, expected", [
    (b"{ this is not json", "not valid JSON"),
    (b"[1, 2, 3]", "not a notebook"),
    (json.dumps(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("only text")])).encode(), "no code"),
])
def test_unreadable_notebooks_get_a_clear_message(tmp_path, content, expected):
    path = tmp_path / "a3_network.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookError, match=expected) as caught:
        gather(read_notebook(path, max_bytes=10**6), path.name)
    assert "a3_network.ipynb" in str(caught.value)


def test_a_notebook_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.ipynb"
    path.write_text(json.dumps(notebook_of(("code", "x = 1\n" * 2000))))
    with pytest.raises(NotebookError, match="Clear the outputs"):
        read_notebook(path, max_bytes=1000)


def test_finding_the_notebook_a_student_meant(tmp_path):
    assert find_notebook(tmp_path, "a3.ipynb") == (None, None)
    (tmp_path / "Copy of a3.ipynb").write_text("{}")
    path, note = find_notebook(tmp_path, "a3.ipynb")
    assert path.name == "Copy of a3.ipynb" and "graded Copy of a3.ipynb instead" in note
    (tmp_path / "scratch.ipynb").write_text("{}")
    assert find_notebook(tmp_path, "a3.ipynb")[0].name == "Copy of a3.ipynb"  # the closest name
    (tmp_path / "a3.ipynb").write_text("{}")
    assert find_notebook(tmp_path, "a3.ipynb") == (tmp_path / "a3.ipynb", None)
    assert find_notebook(tmp_path / "scratch.ipynb", "a3.ipynb") == (tmp_path / "scratch.ipynb", None)


def test_a_linked_notebook_is_never_read(tmp_path):
    """The grader reads notebooks as root: a link could name the reference or any file on the machine."""
    secret = tmp_path / "root_only.txt"
    secret.write_text("SECRET-TOKEN not json at all")
    secret.chmod(0o600)
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "a3_network.ipynb").symlink_to(secret)
    with pytest.raises(NotebookError, match="is a link") as caught:
        read_notebook(submission / "a3_network.ipynb", max_bytes=10**6)
    assert "SECRET" not in str(caught.value)
    linked_folder = tmp_path / "linked"
    linked_folder.symlink_to(REPO / "reference" / "eecs4404_a3")
    with pytest.raises(NotebookError, match="is a link"):
        read_notebook(linked_folder / "a3_network.ipynb", max_bytes=10**6, inside=tmp_path)


def test_a_file_that_is_not_json_is_never_quoted(tmp_path):
    path = tmp_path / "a3_network.ipynb"
    path.write_bytes(b"SECRET-TOKEN not json at all")
    with pytest.raises(NotebookError, match="not valid JSON") as caught:
        read_notebook(path, max_bytes=10**6)
    assert "SECRET" not in str(caught.value)
