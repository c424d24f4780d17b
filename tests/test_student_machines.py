"""The student zip's self-check where students are: without fork, `resource` or prctl (macOS,
Windows), as an ordinary user, and from inside a notebook (Jupyter's history, Colab's notebook)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from grader.core import assignments
from grader.staff.packaging import build_bundle
from test_corpus import CORPORA, folder

NOT_LINUX = REPO / "tests" / "student_machine"  # its sitecustomize removes fork, resource and prctl
ORDINARY_UID = 65534


def public_failures(graders, assignment_id, submission):
    """What the grader's own sandbox says of the public checks: the verdicts to reproduce."""
    results = graders(assignment_id).grade(submission, public_only=True)
    return {t["number"] for t in results["tests"] if t["status"] != "passed"}


def failures_in_table(stdout):
    return set(re.findall(r"^\s*(\S+)\s.*\bFAILED$", stdout, flags=re.MULTILINE))


def a_case_failing_public_checks(assignment_id):
    assignment = assignments.get(assignment_id)
    public = {info.name for info, _ in assignment.checks if info.public}
    return next(case for case, spec in CORPORA[assignment_id].items()
                if not spec.get("full") and public & set(spec.get("fails", [])))


@pytest.fixture(scope="module")
def student_home():
    home = Path(tempfile.mkdtemp(prefix="student-"))  # pytest's own folders are private to root
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def unpacked_bundle(assignment, home):
    with zipfile.ZipFile(build_bundle(assignment, home / "zips")) as archive:
        archive.extractall(home)
    return home / assignment.folder


def test_the_simulated_system_has_no_fork_resource_or_prctl():
    probe = "from grader.sandbox.portable import zygote_supported; print(zygote_supported())"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(NOT_LINUX), str(REPO)]))
    env.pop("GRADER_SANDBOX", None)
    completed = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, cwd=REPO)
    assert completed.stdout.strip() == "False", completed.stderr
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                               env={k: v for k, v in os.environ.items() if k != "GRADER_SANDBOX"})
    assert completed.stdout.strip() == "True", completed.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an ordinary user")
@pytest.mark.parametrize("assignment_id", sorted(assignments.all_assignments()))
def test_check_py_without_fork_resource_or_prctl_gives_the_grader_s_public_verdicts(
        graders, student_home, assignment_id):
    from grader.sandbox.client import prepare_filesystem

    assignment = assignments.get(assignment_id)
    case = a_case_failing_public_checks(assignment_id)
    expected = public_failures(graders, assignment_id, folder(assignment_id, case))
    assert expected, f"{case} fails no public check"
    prepare_filesystem([], log=lambda message: None)  # let the ordinary user reach this Python
    target = unpacked_bundle(assignment, student_home)
    for path in folder(assignment_id, case).iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)
    for path in [student_home, *student_home.rglob("*")]:
        os.chown(path, ORDINARY_UID, ORDINARY_UID)
    env = {"PATH": os.environ["PATH"], "HOME": str(student_home), "LANG": "C.UTF-8",
           "PYTHONPATH": str(NOT_LINUX)}
    completed = subprocess.run([sys.executable, "check.py"], cwd=target, capture_output=True, text=True, env=env,
                               user=ORDINARY_UID, group=ORDINARY_UID, extra_groups=[], timeout=600)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert failures_in_table(completed.stdout) == expected, completed.stdout + completed.stderr


class FakeKernelShell:
    """What check_running_notebook reads of IPython's shell: the kernel's input history."""

    kernel = object()

    def __init__(self, sources):
        self.history_manager = type("History", (), {"input_hist_raw": ["", *sources]})()


def test_notebook_line_checks_what_the_jupyter_kernel_ran(capsys):
    from grader.core.in_notebook import check_running_notebook

    solved = nbformat.read(REPO / "reference" / "eecs4404_a3" / "a3_network.ipynb", as_version=4)
    # Run in order, with a first wrong try at a cell run again later, and the self-check line itself.
    sources = [cell.source for cell in solved.cells if cell.cell_type == "code"]
    history = ["import numpy as np\ndef relu_forward(x):\n    return x  # a first try\n", *sources,
               "%run eecs4404_a3/check.py"]
    assert check_running_notebook("eecs4404-a3", FakeKernelShell(history)) == 0
    out = capsys.readouterr().out
    assert "public checks passed" in out and "tag" not in out


def test_notebook_line_in_colab_checks_the_notebook_colab_hands_over(graders, capsys, monkeypatch):
    import types

    from grader.core.in_notebook import check_running_notebook

    case = a_case_failing_public_checks("amcs215-a9")
    notebook_path = next(folder("amcs215-a9", case).glob("*.ipynb"))
    notebook = nbformat.read(notebook_path, as_version=4)
    message = types.ModuleType("google.colab._message")
    message.blocking_request = lambda request, timeout_sec: {"ipynb": notebook} if request == "get_ipynb" else None
    colab = types.ModuleType("google.colab")
    colab._message = message
    for name, module in {"google": types.ModuleType("google"), "google.colab": colab,
                         "google.colab._message": message}.items():
        monkeypatch.setitem(sys.modules, name, module)
    expected = public_failures(graders, "amcs215-a9", notebook_path.parent)
    assert check_running_notebook("amcs215-a9", FakeKernelShell([])) == 1
    assert failures_in_table(capsys.readouterr().out) == expected
