"""The stack a deployment installs: requirements.lock, make install and Gradescope's setup.sh.

The tests marked ``deployment`` build whole environments (a few minutes each); `make test-deploy`
runs them (and CI), `make test` does not."""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from conftest import REPO
from grader.core import assignments
from grader.staff.packaging import build_autograder

LOCK = REPO / "requirements.lock"
PYTHON_VERSION = (REPO / ".python-version").read_text().strip()
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def locked_pins():
    """{normalised name: version} of every package in requirements.lock."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[normalise(match[1])] = match[2]
    return pins


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def hashes_of(name):
    entry = re.search(rf"^{re.escape(name)}==\S+((?:\s+\\\n\s+--hash=sha256:[0-9a-f]+)+)", LOCK.read_text(), re.M)
    return re.findall(r"sha256:([0-9a-f]{64})", entry[1]) if entry else []


def test_lock_pins_every_requirement_with_hashes():
    pins = locked_pins()
    for line in [*(REPO / "requirements.txt").read_text().splitlines(),
                 *(REPO / "requirements-tools.txt").read_text().splitlines()]:
        if line and not line.startswith("#"):
            name, version = line.split("==")
            expected = f"{version}+cpu" if name == "torch" else version
            assert pins.get(normalise(name)) == expected, f"requirements.lock pins {name} at {pins.get(normalise(name))}"
    assert len(pins) > 40, "indirect dependencies are locked too"
    for name in pins:
        assert hashes_of(name), f"{name} has no hash in requirements.lock"


def test_this_suite_runs_on_the_locked_stack():
    """Every locked package is installed here at its locked version, on the locked Python minor version,
    so what the suite passes on is what setup.sh and make install build."""
    assert platform.python_version().rsplit(".", 1)[0] == PYTHON_VERSION.rsplit(".", 1)[0]
    installed = {normalise(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differs = {name: (version, installed.get(name)) for name, version in locked_pins().items()
               if installed.get(name) != version}
    assert not differs, f"locked vs installed: {differs}"


def test_autograder_zip_carries_the_lock_and_the_python_version(tmp_path):
    archive = build_autograder(assignments.get("cs446-hw2"), tmp_path)
    with zipfile.ZipFile(archive) as z:
        assert z.read("requirements.lock") == LOCK.read_bytes()
        assert z.read(".python-version").decode().strip() == PYTHON_VERSION


def test_make_install_takes_torch_alone_from_the_cpu_index(tmp_path):
    """A TA without a wheel cache gets torch's CPU build: torch is installed on its own, by hash, with the
    CPU index (TORCH_INDEX overrides it), before the rest of the lock."""
    venv = tmp_path / "venv"

    def plan(*overrides):
        return subprocess.run(["make", "-n", "-B", "install", f"VENV={venv}", *overrides], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.replace("\\\n", " ")

    default, mirror = plan(), plan("TORCH_INDEX=https://mirror.example/cpu")
    torch_step = next(line for line in default.splitlines() if "torch.lock" in line and "pip install" in line)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in torch_step
    assert "--require-hashes" in torch_step and "--no-deps" in torch_step
    assert "--extra-index-url https://mirror.example/cpu" in mirror
    assert default.index("torch.lock") < default.index(f"-r {LOCK.name}")
    extract = next(line for line in default.splitlines() if line.startswith("awk"))
    venv.mkdir()
    subprocess.run(extract, shell=True, cwd=REPO, check=True)
    entry = (venv / "torch.lock").read_text()
    assert entry.startswith(f"torch=={locked_pins()['torch']} ") and locked_pins()["torch"].endswith("+cpu")
    assert re.findall(r"sha256:([0-9a-f]{64})", entry) == hashes_of("torch") and "numpy" not in entry


def _standin_interpreter(install_dir):
    """uv's managed-Python folder with this machine's CPython of the locked version already in it, as
    `uv python install` would leave it: the download is the one step of setup.sh that is stood in.
    The standard library is copied, not linked, so that the sandbox user reads it as on Gradescope."""
    source = PYENV / PYTHON_VERSION
    if not (source / "bin" / "python3").exists():
        pytest.skip(f"no Python {PYTHON_VERSION} at {source}")
    target = install_dir / f"cpython-{PYTHON_VERSION}-linux-{platform.machine()}-gnu"
    minor = f"python{PYTHON_VERSION.rsplit('.', 1)[0]}"
    (target / "bin").mkdir(parents=True)
    shutil.copy2(source / "bin" / minor, target / "bin" / minor)
    for alias in ("python3", "python"):
        (target / "bin" / alias).symlink_to(minor)
    shutil.copytree(source / "lib" / minor, target / "lib" / minor, symlinks=True,
                    ignore=shutil.ignore_patterns("site-packages", "test", "__pycache__", "idlelib", "tkinter"))
    (target / "lib" / minor / "site-packages").mkdir()
    for library in (source / "lib").glob("libpython*"):
        shutil.copy2(library, target / "lib" / library.name, follow_symlinks=False)


def _standin_torch_index(folder):
    """A package index serving only the locked torch wheel, standing in for the CPU index."""
    wheels = folder / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
                    "-d", str(wheels), "-r", "/dev/stdin"], check=True, text=True,
                   input=f"torch=={locked_pins()['torch']} " + " ".join(f"--hash=sha256:{h}" for h in hashes_of("torch")))
    (wheel,) = wheels.glob("torch-*.whl")
    (folder / "simple" / "torch").mkdir(parents=True)
    (folder / "simple" / "torch" / "index.html").write_text(
        f'<html><body><a href="{wheel.as_uri()}#sha256={hashes_of("torch")[0]}">{wheel.name}</a></body></html>')
    return (folder / "simple").as_uri()


@pytest.mark.deployment
@pytest.mark.parametrize("ubuntu, base_python", [("22.04", "3.10"), ("20.04", "3.8")])
def test_setup_sh_on_a_stock_ubuntu_python_then_full_marks(tmp_path, ubuntu, base_python):
    """setup.sh in a fake /autograder whose python3 is Ubuntu's (3.10 on 22.04, 3.8 on 20.04), with
    apt, the interpreter download and the CPU index stood in: it must end with the locked Python and
    exactly the locked packages, and run_autograder must then give the reference full marks."""
    found = sorted(PYENV.glob(f"{base_python}.*"))
    if not found:
        pytest.skip(f"no Python {base_python} under {PYENV}")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build_autograder(assignments.get("cs446-hw2"), tmp_path / "dist")) as z:
        for info in z.infolist():
            os.chmod(z.extract(info, root / "source"), info.external_attr >> 16 or 0o644)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(found[-1] / "bin" / f"python{base_python}")
    apt_log = tmp_path / "apt.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {apt_log}\n')
    (bin_dir / "apt-get").chmod(0o755)
    _standin_interpreter(root / "python")
    no_links = tmp_path / "no-find-links"
    no_links.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PYENV", "UV_"))}
    env.update(PATH=f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", AUTOGRADER_ROOT=str(root),
               TORCH_INDEX_URL=_standin_torch_index(tmp_path / "cpu-index"),
               PIP_FIND_LINKS=str(no_links),  # torch must come from the index, not from a local wheel folder
               UV_PYTHON_INSTALL_MIRROR=(tmp_path / "no-downloads").as_uri())  # any download would fail
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=1800)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-6000:]
    assert "install -y --no-install-recommends python3 python3-venv" in apt_log.read_text()

    python = root / "venv" / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True).stdout.strip() == PYTHON_VERSION
    freeze = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze", "--exclude", "pip"],
                            capture_output=True, text=True, check=True).stdout
    installed = {normalise(line.split("==")[0]): line.split("==")[1] for line in freeze.split()}
    assert installed == locked_pins()
    assert not (root / "bootstrap").exists()

    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(REPO / "reference" / "cs446_hw2" / "hw2_ResNet.py", root / "submission")
    run = subprocess.run(["bash", str(root / "run_autograder")], env={**env, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    shutil.rmtree(root, ignore_errors=True)  # 1.5 GB
    total = sum(info.points for info, _ in assignments.get("cs446-hw2").checks)
    failed = [f"{t['number']} {t['name']}: {t.get('output', '')[:800]}" for t in results["tests"] if t["status"] != "passed"]
    assert results["score"] == total, run.stdout + run.stderr + "\n".join(failed[:3])


# ---------------------------------------------------------------- when the grader itself fails

def test_a_failed_run_is_no_grade_and_says_so():
    from conftest import validate_results
    from grader.core.reports import score_table
    from grader.core.results import GRADER_FAILED, failed_results

    results = failed_results(assignments.get("cs446-hw2"), "Traceback ...\nMemoryError")
    validate_results(results)
    assert results["visibility"] == "hidden"  # the student sees no score until the staff regrade
    assert "not a score of 0" in results["output"] and "regrade" in results["output"]
    assert results["tests"][0]["name"] == GRADER_FAILED and "MemoryError" in results["tests"][0]["output"]
    assert results["extra_data"]["grader_failed"] is True
    assert GRADER_FAILED in score_table([("someone", results)])


def test_grade_all_reports_show_a_failed_run_as_no_grade(tmp_path):
    import csv

    from grader.staff.batch import Submission, write_reports
    from grader.core.results import GRADER_FAILED, failed_results

    assignment = assignments.get("cs446-hw2")
    passed = {"score": 13.5, "tests": [{"number": "3a.1", "name": "x", "score": 13.5, "status": "passed"}]}
    graded = [(Submission("ann", tmp_path), passed), (Submission("bob", tmp_path), failed_results(assignment, "boom"))]
    summary = write_reports(assignment, tmp_path, graded)
    rows = {row["student"]: row for row in csv.DictReader(open(tmp_path / "grades.csv"))}
    assert rows["bob"]["total"] == GRADER_FAILED and rows["ann"]["total"] == "13.5"
    assert f"{GRADER_FAILED} (1, not counted below" in summary and "bob" in summary
    assert "1 submissions graded" in summary


def _gradescope_root(tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build_autograder(assignments.get("cs446-hw2"), tmp_path / "dist")) as z:
        for info in z.infolist():
            os.chmod(z.extract(info, root / "source"), info.external_attr >> 16 or 0o644)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(REPO / "reference" / "cs446_hw2" / "hw2_ResNet.py", root / "submission")
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 13.5}')  # a stale file must not count
    return root


def _results_after(root, python, wrap=lambda argv: argv):
    from conftest import validate_results

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(python))
    done = subprocess.run(wrap(["bash", str(root / "run_autograder")]), env=env, capture_output=True, text=True,
                          timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    validate_results(results)
    return results, done


def test_run_autograder_when_the_grading_process_is_killed(tmp_path):
    root = _gradescope_root(tmp_path)
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\nkill -9 $$\n")
    python.chmod(0o755)
    results, done = _results_after(root, python)
    assert results["extra_data"]["grader_failed"] is True and results["visibility"] == "hidden"
    assert results["tests"][0]["name"] == "AUTOGRADER FAILED: regrade this submission"
    assert "status 137" in results["tests"][0]["output"] and "memory" in results["tests"][0]["output"]
    assert "AUTOGRADER FAILED" in done.stderr  # the staff's view of the run's output


def test_run_autograder_when_the_container_runs_out_of_memory(tmp_path):
    """A real kill: the grader in a 100 MB container (importing torch alone needs twice that)."""
    import container

    if container.available():
        pytest.skip(container.available())
    root = _gradescope_root(tmp_path)
    with container.Container(memory_mb=100, cpus=1) as box:
        results, done = _results_after(root, sys.executable, box.command)
    assert results["extra_data"]["grader_failed"] is True, done.stdout + done.stderr
    assert "status 137" in results["extra_data"]["grader_error"]
