"""The student zip's self-check on the other Pythons students have (3.10, 3.12, 3.13), for real.

For each Python: a fresh venv installs the zip's `requirements.txt` exactly as a student's
`pip install -r requirements.txt` would (torch included: on this Linux machine that is PyPI's
build, several GB with its GPU libraries, which run on the CPU), and `python check.py` then
runs as an ordinary user on every assignment, twice: as a Linux laptop runs it (the zygote) and
as macOS or Windows would (fork, `resource` and prctl removed: the portable path). Both must give
the grader's own public verdicts. A venv per Python takes minutes, so `make pythons` (run by
.ci/run) runs this file and `make test` skips it."""
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.core import assignments
from test_corpus import CORPORA, folder
from test_student_machines import (NOT_LINUX, ORDINARY_UID, a_case_failing_public_checks, failures_in_table,
                                   public_failures, unpacked_bundle)

pytestmark = [
    pytest.mark.skipif(not os.environ.get("GRADER_TEST_PYTHONS"), reason="slow: `make pythons` runs it"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an ordinary user"),
]
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
ASSIGNMENTS = sorted(assignments.all_assignments())


def interpreter(minor):
    found = sorted(PYENV.glob(f"versions/{minor}.*/bin/python"))
    if not found:
        pytest.skip(f"no Python {minor} on this machine")
    return found[-1]


def run(*command, **options):
    completed = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=1800, **options)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed


@pytest.fixture
def student_home():
    home = Path(tempfile.mkdtemp(prefix="student-"))  # pytest's own folders are private to root
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)  # a venv with torch is several GB


def self_check(python, target, home, portable):
    env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    if portable:
        env["PYTHONPATH"] = str(NOT_LINUX)
    return subprocess.run([str(python), "check.py"], cwd=target, capture_output=True, text=True, env=env,
                          user=ORDINARY_UID, group=ORDINARY_UID, extra_groups=[], timeout=900)


@pytest.mark.parametrize("minor", ["3.10", "3.12", "3.13"])
def test_student_zip_installs_and_checks_every_assignment_on(minor, graders, student_home):
    venv = student_home / "venv"
    run(interpreter(minor), "-m", "venv", venv)
    python = venv / "bin" / "python"
    requirements = unpacked_bundle(assignments.get(ASSIGNMENTS[0]), student_home) / "requirements.txt"
    run(python, "-m", "pip", "install", "--disable-pip-version-check", "--only-binary=:all:", "-r", requirements)
    installed = run(python, "-c", "import sys, importlib.util, torch; "
                    "print(sys.version_info[:2], torch.__version__, importlib.util.find_spec('tomli') is not None)")
    assert installed.stdout.startswith(f"({minor.replace('.', ', ')})"), installed.stdout
    assert installed.stdout.split()[-1] == str(minor == "3.10"), "tomli is what Python 3.10 lacks, and only it"

    for assignment_id in ASSIGNMENTS:
        assignment = assignments.get(assignment_id)
        correct = next(case for case, spec in CORPORA[assignment_id].items() if spec.get("full"))
        wrong = a_case_failing_public_checks(assignment_id)
        for case, portable in [(correct, False), (wrong, False), (wrong, True)]:
            expected = public_failures(graders, assignment_id, folder(assignment_id, case))
            target = unpacked_bundle(assignment, student_home)
            if any(folder(assignment_id, case).glob("*.ipynb")):  # the case's notebook may be named otherwise
                for template in target.glob("*.ipynb"):
                    template.unlink()
            for path in folder(assignment_id, case).iterdir():
                if path.is_file():
                    shutil.copy(path, target / path.name)
            for path in [student_home, target, *target.rglob("*")]:
                os.chown(path, ORDINARY_UID, ORDINARY_UID)
            completed = self_check(python, target, student_home, portable)
            where = f"{assignment_id}/{case} on Python {minor}{' (portable)' if portable else ''}:\n"
            assert completed.returncode == (1 if expected else 0), where + completed.stdout + completed.stderr
            assert failures_in_table(completed.stdout) == expected, where + completed.stdout + completed.stderr
            shutil.rmtree(target)
