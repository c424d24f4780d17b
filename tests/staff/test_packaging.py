"""The Gradescope autograder zip and the student zip of every assignment."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from conftest import CORPUS, REPO, validate_results
from grader.core import assignments
from grader.staff.packaging import build_autograder, build_bundle
from grader.staff.templates import BEGIN, END

ALL = sorted(assignments.all_assignments())


def solution_lines(assignment):
    """Every substantial line inside a solution block of the reference that is not also given
    code outside the blocks (a call the starter code makes anyway is no secret), nor a line of the
    engine's own generic code (``model.train()`` is no secret either)."""
    hidden = set()
    given = {line.strip() for wing in ("core", "sandbox") for path in (REPO / "grader" / wing).rglob("*.py")
             for line in path.read_text().splitlines()}
    for path in assignment.reference_dir.rglob("*.py"):
        inside = False
        for line in path.read_text().splitlines():
            if BEGIN.match(line):
                inside = True
            elif END.match(line):
                inside = False
            elif len(line.strip()) >= 12 and not line.strip().startswith("#"):
                (hidden if inside else given).add(line.strip())
    return hidden - given


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return {a: (build_autograder(assignments.get(a), out), build_bundle(assignments.get(a), out)) for a in ALL}


@pytest.mark.parametrize("assignment", ALL)
def test_autograder_zip_has_gradescope_layout(dist, assignment):
    a = assignments.get(assignment)
    with zipfile.ZipFile(dist[assignment][0]) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        runner = archive.read("run_autograder").decode()
        setup = archive.read("setup.sh").decode()
        pins = archive.read("requirements.lock").decode()
    assert {"setup.sh", "run_autograder", "requirements.lock", ".python-version", "grader/__main__.py"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert all(f"reference/{a.folder}/{name}" in names for name in a.files)
    other = {n.split("/")[2] for n in names if n.startswith("grader/assignments/") and n.count("/") > 2}
    assert other == {a.folder}, "only this assignment's checks go in its autograder"
    assert f'ASSIGNMENT="{a.id}"' in runner and 'RESULTS="$ROOT/results/results.json"' in runner
    assert "torch==2.13.0+cpu" in pins and 'LOCK="$SOURCE/requirements.lock"' in setup
    assert 'chmod 700 "$SOURCE/reference"' in setup
    for script in ("setup.sh", "run_autograder"):
        with zipfile.ZipFile(dist[assignment][0]) as archive:
            source = archive.read(script)
        assert subprocess.run(["bash", "-n"], input=source).returncode == 0, f"{script} has a syntax error"


@pytest.mark.parametrize("assignment", ALL)
def test_student_zip_leaks_no_solution_and_no_hidden_data(dist, assignment):
    a = assignments.get(assignment)
    secrets = solution_lines(a)
    assert secrets, "the reference should have solution blocks to hide"
    with zipfile.ZipFile(dist[assignment][1]) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    assert not [n for n in names if "hidden" in n.split("/") or "/reference/" in f"/{n}"]
    engine = {n.split("/")[3] for n in names if n.startswith(f"{a.folder}/_checker/grader/") and n.count("/") > 3}
    assert engine == {"core", "sandbox", "assignments"}, "the course staff's wing stays out of the student zip"
    for name, data in contents.items():
        text = data.decode("utf-8", "replace")
        if name.endswith(".ipynb"):  # JSON escapes quotes: read the cells as a student sees them
            text = "\n".join(cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                              for cell in json.loads(text)["cells"])
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, name
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{name} contains solution lines: {leaked[:3]}"
    for name in a.files:  # what students write is there; what they produce (predictions) is not
        assert (f"{a.folder}/{name}" in names) == (a.template_dir / name).exists(), name


def unzip(archive, target):
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            path = z.extract(info, target)
            os.chmod(path, info.external_attr >> 16 or 0o644)


@pytest.mark.parametrize("assignment, solved, submitted_as", [
    ("cs446-hw2", CORPUS / "cs446_hw2" / "correct_odd_order" / "hw2_ResNet.py", "hw2_ResNet.py"),
    ("eecs4404-a3", CORPUS / "eecs4404_a3" / "correct_colab_copy" / "Copy of a3_network.ipynb", "a3_network.ipynb"),
])
def test_student_zip_self_check_works_on_its_own(dist, tmp_path, assignment, solved, submitted_as):
    unzip(dist[assignment][1], tmp_path)
    folder = tmp_path / assignments.get(assignment).folder
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    untouched = subprocess.run([sys.executable, "check.py"], cwd=folder, capture_output=True, text=True, env=env)
    assert untouched.returncode == 1 and "not written yet" in untouched.stdout
    shutil.copy(solved, folder / submitted_as)
    solved = subprocess.run([sys.executable, "check.py"], cwd=folder, capture_output=True, text=True, env=env)
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "public checks passed" in solved.stdout


def run_gradescope(autograder_zip, root, submission_files):
    """Lay out a Gradescope-like /autograder in ``root`` and run run_autograder there."""
    unzip(autograder_zip, root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    for name, source in submission_files.items():
        shutil.copy(source, root / "submission" / name)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)
    completed = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True,
                               timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    validate_results(results)
    return results, completed


@pytest.mark.parametrize("case, files, expected", [
    ("reference", {"hw2_ResNet.py": REPO / "reference/cs446_hw2/hw2_ResNet.py"}, 13.5),
    ("broken", {"hw2_ResNet.py": CORPUS / "cs446_hw2/wrong_block_no_skip/hw2_ResNet.py"}, 5.5),
    ("empty", {}, 0),
    ("misnamed", {"hw2_resnet.py": REPO / "reference/cs446_hw2/hw2_ResNet.py"}, 0),
])
def test_gradescope_end_to_end(dist, tmp_path, case, files, expected):
    results, completed = run_gradescope(dist["cs446-hw2"][0], tmp_path / "autograder", files)
    assert results["score"] == expected, completed.stdout + completed.stderr
    visibilities = {t["visibility"] for t in results["tests"]}
    assert visibilities == {"visible", "after_published"}
    assert "Hidden checks worth 7 points" in results["output"]
    if case == "misnamed":
        assert "rename it to 'hw2_ResNet.py'" in results["tests"][0]["output"]
    if case == "empty":
        assert "no file named 'hw2_ResNet.py'" in results["tests"][0]["output"]
    if os.geteuid() == 0:
        assert (tmp_path / "autograder" / "results" / "results.json").stat().st_mode & 0o077 == 0
        assert (tmp_path / "autograder" / "source" / "reference").stat().st_mode & 0o007 == 0


def test_gradescope_end_to_end_with_a_colab_notebook(dist, tmp_path):
    # Colab names a download "Copy of ..." and drops the cell tags; Gradescope keeps the name.
    notebook = CORPUS / "eecs4404_a3" / "correct_colab_copy" / "Copy of a3_network.ipynb"
    results, completed = run_gradescope(dist["eecs4404-a3"][0], tmp_path / "autograder", {notebook.name: notebook})
    assert results["score"] == sum(info.points for info, _ in assignments.get("eecs4404-a3").checks), \
        completed.stdout + completed.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an ordinary user")
def test_student_self_check_as_an_ordinary_user(dist):
    # A student's machine: not root, so no separate sandbox user; limits and worker processes still apply.
    from grader.sandbox.client import prepare_filesystem

    prepare_filesystem([], log=lambda message: None)  # let the ordinary user reach this Python
    home = Path(tempfile.mkdtemp(prefix="student-"))  # pytest's own folders are private to root
    home.chmod(0o755)
    unzip(dist["cs446-hw2"][1], home)
    shutil.copy(CORPUS / "cs446_hw2" / "wrong_block_relu_before_add" / "hw2_ResNet.py", home / "cs446_hw2")
    for path in [home, *home.rglob("*")]:
        os.chown(path, 65534, 65534)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8"}
    try:
        completed = subprocess.run([sys.executable, "check.py"], cwd=home / "cs446_hw2", capture_output=True,
                                   text=True, env=env, user=65534, group=65534, extra_groups=[], timeout=300)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "3a.4" in completed.stdout and "FAILED" in completed.stdout
    assert "1 of 10 public checks failed" in completed.stdout
