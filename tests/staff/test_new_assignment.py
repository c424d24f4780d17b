"""``python -m grader new`` and the walkthrough of grader/assignments/README.md.

The walkthrough's example assignment is built from the walkthrough itself (its code blocks that name a
path, its ``grader new`` command) in a copy of the repository that holds no other assignment, graded
through the command line, and then put through the suite's own tests of every assignment, run in that
copy. If the page and the engine drift apart, this fails.
"""
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import types

import pytest

from conftest import REPO
from grader.core import assignments
from grader.staff.scaffold import ScaffoldError, skeleton, write_skeleton
from grader.staff.templates import strip_solutions

WALKTHROUGH = REPO / "grader" / "assignments" / "README.md"
BLOCK = re.compile(r"^```(\w+) path=(\S+)\n(.*?)^```$", re.S | re.M)
# The suite's tests that apply to every assignment, run on the example inside the copy.
SUITE = ["tests/test_corpus.py", "tests/test_every_assignment.py", "tests/staff/test_templates.py",
         "tests/staff/test_packaging.py", "tests/core/test_checks.py"]
COPIED = ["pyproject.toml", "requirements.lock", ".python-version", "tests/conftest.py",
          "tests/gradescope_results.schema.json", *SUITE]


def walkthrough_files():
    """{path: text} of every code block of the walkthrough that names a path."""
    return {path: text for _, path, text in BLOCK.findall(WALKTHROUGH.read_text())}


def walkthrough_commands():
    """Every command of the walkthrough's shell blocks, as arguments (comments dropped)."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```$", WALKTHROUGH.read_text(), re.S | re.M):
        commands += [shlex.split(line.split("  #")[0]) for line in block.splitlines() if line.strip()]
    return commands


def walkthrough_command(prefix):
    """The first command of the walkthrough that starts with ``prefix``."""
    found = [c for c in walkthrough_commands() if " ".join(c).startswith(prefix)]
    assert found, f"the walkthrough has no command {prefix!r}"
    return found[0]


def grader_cli(root, *args):
    return subprocess.run([sys.executable, "-m", *args], cwd=root, capture_output=True, text=True, timeout=600)


def repository_without_assignments(root):
    """A copy of the engine, the suite's tests of every assignment and what packaging reads, at ``root``."""
    shutil.copytree(REPO / "grader", root / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for folder in (root / "grader" / "assignments").iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    (root / "reference").mkdir()
    for name in COPIED:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    return root


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """A copy of the repository without assignments, in which the walkthrough's steps were followed."""
    root = repository_without_assignments(tmp_path_factory.mktemp("newcomer") / "repo")
    command = walkthrough_command("python -m grader new ")
    created = grader_cli(root, *command[2:])
    assert created.returncode == 0, created.stderr
    again = grader_cli(root, *command[2:])
    skeleton_grades = {folder: _graded(root, f"{folder}/ml101_hw1") for folder in ("reference", "student_template")}
    for path, text in walkthrough_files().items():
        if not path.endswith("build_cases.py"):
            assert (root / path).exists(), f"`grader new` did not write {path}, which the walkthrough fills in"
        (root / path).write_text(text)
    ran = {}
    # The walkthrough's "Run it all", as it stands (its pytest line is the test below, on the suite's copy).
    for command in walkthrough_commands():
        if command[0] == "python" and command[1:3] != ["-m", "pytest"] and command[1:4] != ["-m", "grader", "new"]:
            completed = subprocess.run([sys.executable, *command[1:]], cwd=root, capture_output=True, text=True,
                                       timeout=600)
            assert completed.returncode == (1 if "check" in command else 0), (command, completed.stderr)
            ran[" ".join(command[1:4])] = completed
    return types.SimpleNamespace(root=root, created=created, again=again, skeleton=skeleton_grades, ran=ran)


def test_new_writes_the_skeleton_and_says_what_comes_next(example):
    root, created = example.root, example.created
    for path in ["grader/assignments/ml101_hw1/config.toml", "grader/assignments/ml101_hw1/checks.py",
                 "reference/ml101_hw1/softmax_regression.py", "student_template/ml101_hw1/softmax_regression.py",
                 "tests/corpus/ml101_hw1/cases.toml"]:
        assert path in created.stdout
    assert "ml101-hw1 (folder ml101_hw1)" in created.stdout and "python -m grader templates" in created.stdout


def test_the_skeleton_grades_as_it_is(example):
    reference, template = example.skeleton["reference"], example.skeleton["student_template"]
    assert reference["score"] == sum(t["max_score"] for t in reference["tests"]) > 0
    assert template["score"] == 0 and all("not written yet" in t["output"] for t in template["tests"])


def test_new_refuses_to_overwrite_and_names_what_is_in_the_way(example):
    root, again = example.root, example.again
    assert again.returncode == 2
    assert f"{root / 'grader' / 'assignments' / 'ml101_hw1'}" in again.stderr and "nothing was written" in again.stderr


def _graded(root, submission, assignment="ml101-hw1"):
    out = root / "build" / f"{submission.replace('/', '_')}.json"
    out.parent.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    completed = grader_cli(root, "grader", "run", assignment, submission, "-o", str(out))
    assert completed.returncode == 0, completed.stderr
    return json.loads(out.read_text())


def test_the_example_reference_gets_full_marks(example):
    root = example.root
    results = json.loads((root / "build" / "ref.json").read_text())  # written by the walkthrough's command
    assert [t["output"] for t in results["tests"] if t["status"] != "passed"] == []
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) == 10


def test_an_example_mistake_loses_its_own_check_only(example):
    root = example.root
    results = json.loads((root / "build" / "wrong.json").read_text())
    failed = {t["name"] for t in results["tests"] if t["status"] != "passed"}
    assert failed == {"Question 1: softmax stays finite when one row's scores are near 1000 and another's near -1000"}
    assert results["score"] == 9


def test_the_example_template_fails_the_public_checks_in_the_self_check(example):
    check = example.ran["-m grader check"]
    assert "Question 1: softmax" in check.stdout and "not written yet" in check.stdout


def test_the_example_passes_the_suite_s_tests_of_every_assignment(example):
    root = example.root
    completed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", *SUITE, "-k", "ml101-hw1"], cwd=root,
                               capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-4000:]
    passed = int(re.search(r"(\d+) passed", completed.stdout)[1])
    cases = tomllib.loads((root / "tests/corpus/ml101_hw1/cases.toml").read_text())
    assert passed >= len(cases) + 6, completed.stdout[-2000:]  # every case, and the tests of the assignment


def test_the_walkthrough_names_every_config_key_and_the_corpus_minimums():
    text = WALKTHROUGH.read_text()
    for key in ("id", "title", "files", "handout", "hidden_visibility", "provided", "reference_only", "[limits]",
                "[penalties]", "[settings]", "[baselines]"):
        assert f"| `{key}` |" in text, key
    source = (REPO / "grader" / "core" / "assignments.py").read_text()
    known = re.search(r'unknown = set\(config\) - \{(.*?)\}', source, re.S)[1]
    assert {k.strip().strip('"') for k in known.replace("\n", " ").split(",")} == \
        {"id", "title", "files", "handout", "hidden_visibility", "limits", "provided", "reference_only", "penalties",
         "settings", "baselines"}, "a config key was added: describe it in the walkthrough"
    assert "at least **6 correct**" in text and "at least **10 realistic wrong**" in text


# ----------------------------------------------------------------------------- the skeleton on its own

def test_the_skeleton_of_a_notebook_assignment_grades_as_it_is(tmp_path):
    root = repository_without_assignments(tmp_path / "repo")
    created = grader_cli(root, "grader", "new", "ml101_hw2", "--files", "net.ipynb")
    assert created.returncode == 0, created.stderr
    assert (root / "student_template/ml101_hw2/net.ipynb").is_file() and (root / "reference/ml101_hw2/net.ipynb").is_file()
    reference, template = (_graded(root, f"{folder}/ml101_hw2", "ml101-hw2")
                           for folder in ("reference", "student_template"))
    assert reference["score"] == sum(t["max_score"] for t in reference["tests"]) > 0
    assert template["score"] == 0 and all("not written yet" in t["output"] for t in template["tests"])


def test_the_skeleton_of_a_notebook_and_a_data_file(tmp_path):
    written = write_skeleton("ml101_hw2", ["net.ipynb", "predictions.pt"], root=tmp_path)
    relative = {str(p.relative_to(tmp_path)) for p in written}
    assert relative == {"grader/assignments/ml101_hw2/__init__.py", "grader/assignments/ml101_hw2/config.toml",
                        "grader/assignments/ml101_hw2/checks.py", "reference/ml101_hw2/net.py",
                        "tests/corpus/ml101_hw2/cases.toml"}
    config = tomllib.loads((tmp_path / "grader/assignments/ml101_hw2/config.toml").read_text())
    assert config["id"] == "ml101-hw2" and config["files"] == ["net.ipynb", "predictions.pt"]
    assert not set(config) - {"id", "title", "files", "handout", "hidden_visibility", "limits"}
    module = (tmp_path / "reference/ml101_hw2/net.py").read_text()
    assert '# %% tags=["graded"]' in module
    compile(strip_solutions(module, "net.py"), "net.py", "exec")
    compile((tmp_path / "grader/assignments/ml101_hw2/checks.py").read_text(), "checks.py", "exec")
    tomllib.loads((tmp_path / "tests/corpus/ml101_hw2/cases.toml").read_text())


def test_nothing_is_written_when_one_file_of_the_skeleton_exists(tmp_path):
    in_the_way = tmp_path / "tests" / "corpus" / "ml101_hw3"
    in_the_way.mkdir(parents=True)
    with pytest.raises(ScaffoldError, match=re.escape(str(in_the_way))):
        write_skeleton("ml101-hw3", ["a.py"], root=tmp_path)
    assert not (tmp_path / "grader").exists() and not (tmp_path / "reference").exists()


def test_a_folder_named_with_dashes_is_in_the_way_too(tmp_path):
    (tmp_path / "grader" / "assignments" / "ml101-hw3").mkdir(parents=True)
    with pytest.raises(ScaffoldError, match="ml101-hw3"):
        write_skeleton("ml101-hw3", ["a.py"], root=tmp_path)


@pytest.mark.parametrize("assignment_id, files, problem", [
    ("ML 101", ["a.py"], "cannot be an assignment id"),
    ("ml101-hw1", [], "name the files"),
    ("ml101-hw1", ["my-answers.py"], "must be a Python identifier"),
    ("ml101-hw1", ["src/a.py"], "plain file name"),
    ("ml101-hw1", ["a.py", "a.ipynb"], "the same module"),
    ("ml101-hw1", ["a.py", "a.py"], "named twice"),
    ("ml101-hw1", ["predictions.pt"], "must be code"),
])
def test_bad_requests_are_refused_with_the_reason(assignment_id, files, problem):
    with pytest.raises(ScaffoldError, match=problem):
        skeleton(assignment_id, files)


def test_a_folder_that_is_not_the_id_with_underscores_is_explained(tmp_path, monkeypatch):
    folder = tmp_path / "ml101-hw1"
    folder.mkdir()
    (folder / "config.toml").write_text('id = "ml101-hw1"\ntitle = "t"\nfiles = ["a.py"]\n')
    monkeypatch.setattr(assignments, "ASSIGNMENTS_DIR", tmp_path)
    with pytest.raises(assignments.ConfigError, match="dashes turned into underscores.*ml101_hw1"):
        assignments.all_assignments()
