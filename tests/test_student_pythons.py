"""The student zip on the other Pythons students have (3.10, 3.12, 3.13).

For each: the zip's requirements resolve for that Python (torch included: pip reads its metadata,
not its gigabytes), everything else installs, and the engine the zip ships byte-compiles and runs its
torch-free part there (the assignment's config, the notebook reader, the platform probe). Running
the checks themselves needs torch, whose wheels for those Pythons are CUDA builds of several GB on
this machine: that part is proven on 3.11 (test_student_machines.py). A venv per Python is slow, so
`make pythons` runs this file, and `make test` skips it."""
import glob
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from grader.core import assignments
from grader.staff.packaging import build_bundle

pytestmark = pytest.mark.skipif(not os.environ.get("GRADER_TEST_PYTHONS"), reason="slow: `make pythons` runs it")
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
ENGINE_SMOKE = """
import compileall, sys
sys.path.insert(0, "_checker")
assert compileall.compile_dir("_checker", quiet=1), "the engine does not compile"
sys.modules["torch"] = None  # not installed here: prove the rest does not need it
from grader.core import assignments, in_notebook, notebooks
from grader.sandbox import portable
assignment = assignments.get("eecs4404-a3")

print(assignment.files, assignment.data_dir.is_dir(), portable.zygote_supported())
"""


def interpreter(minor):
    found = sorted(glob.glob(str(PYENV / "versions" / f"{minor}.*" / "bin" / "python")))
    if not found:
        pytest.skip(f"no Python {minor} on this machine")
    return found[-1]


def run(*command, cwd=None):
    completed = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed


@pytest.mark.parametrize("minor", ["3.10", "3.12", "3.13"])
def test_student_zip_installs_and_its_engine_runs_on(minor, tmp_path):
    python = interpreter(minor)
    with zipfile.ZipFile(build_bundle(assignments.get("eecs4404-a3"), tmp_path / "zips")) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / "eecs4404_a3"
    venv = tmp_path / "venv"
    run(python, "-m", "venv", venv)
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    run(*pip, "install", "--dry-run", "--ignore-installed", "--only-binary=:all:", "--report", tmp_path / "plan.json",
        "-r", folder / "requirements.txt")
    planned = {item["metadata"]["name"].lower() for item in json.loads((tmp_path / "plan.json").read_text())["install"]}
    assert {"torch", "numpy", "nbformat", "tabulate", "gradescope-utils"} <= planned
    assert ("tomli" in planned) == (minor == "3.10")
    requirements = [line for line in (folder / "requirements.txt").read_text().splitlines()
                    if line.strip() and not line.startswith("#") and not line.startswith("torch")]
    run(*pip, "install", "--only-binary=:all:", *requirements)
    smoke = run(venv / "bin" / "python", "-c", ENGINE_SMOKE, cwd=folder)
    assert smoke.stdout.split() == ["['a3_network.ipynb']", "True", "True"], smoke.stdout
