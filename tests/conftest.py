"""Shared fixtures: one warm sandbox and one loaded reference per assignment for the whole run."""
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from grader.core import assignments
from grader.core.results import grade
from grader.sandbox.client import Sandbox

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus"
SCHEMA = json.loads((REPO / "tests" / "gradescope_results.schema.json").read_text())
AS_ROOT = os.geteuid() == 0


def _ours(pid):
    """Whether ``pid`` is this test process or one of its descendants."""
    me = os.getpid()
    while pid > 1:
        if pid == me:
            return True
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            return False
        pid = int(stat[stat.rfind(b")") + 2:].split()[1])
    return False


def sandbox_processes():
    """Processes still running under a sandbox uid that this test run leased, or that nobody holds any
    more (a leak). Uids leased by another test suite running on the machine are its own business."""
    from grader.sandbox.client import SPARE_UID_BASE, SPARE_UIDS, lease_holder

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                uid = os.stat(f"/proc/{entry}").st_uid
            except OSError:
                continue
            if SPARE_UID_BASE <= uid < SPARE_UID_BASE + SPARE_UIDS:
                holder = lease_holder(uid)
                if holder is None or _ours(holder):
                    found.append(int(entry))
    return found


def no_sandbox_processes_within(seconds=5.0):
    """True once no sandboxed process of this run is left (killed processes can take a moment to vanish)."""
    import time

    deadline = time.monotonic() + seconds
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    return sandbox_processes() == []


def validate_results(results):
    """Every results.json the suite sees must be one Gradescope accepts, with sane scores."""
    jsonschema.validate(results, SCHEMA)
    for test in results["tests"]:
        penalty = test["max_score"] == 0 and test["score"] < 0  # a broken rule deducts
        assert penalty or 0 <= test["score"] <= test["max_score"], test
    assert abs(results["score"] - max(0.0, sum(t["score"] for t in results["tests"]))) < 1e-9


def failed_checks(results):
    return {t["name"] for t in results["tests"] if t["status"] != "passed"}


def grade_reference_with(monkeypatch, assignment, checks):
    """The public results of ``assignment``'s reference graded by ``checks`` alone, in a sandbox of its own."""
    monkeypatch.setitem(vars(assignment), "checks", checks)
    grader = Grader(assignment)
    try:
        return grader.grade(assignment.reference_dir, public_only=True)
    finally:
        grader.sandbox.close()


def run_cli(*args, timeout=600):
    """``python -m grader ...`` as a user would run it; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def grade_hostile(assignment_id, source_folder, tmp_path, *extra):
    """Grade a hostile submission through the command line. Its ``__REFERENCE__`` and ``__RESULTS__``
    placeholders become the real paths, as an attacker who guessed them would write them.
    Returns (results, wall seconds)."""
    import shutil
    import time

    assignment = assignments.get(assignment_id)
    submission = tmp_path / "submission"
    shutil.copytree(source_folder, submission)
    results_path = tmp_path / "out" / "results.json"
    results_path.parent.mkdir()
    for source in submission.glob("*.py"):
        source.write_text(source.read_text()
                          .replace("__REFERENCE__", str(assignment.reference_dir / assignment.files[0]))
                          .replace("__RESULTS__", str(results_path)))
    started = time.monotonic()
    completed = run_cli("run", assignment_id, submission, "-o", results_path, *extra)
    elapsed = time.monotonic() - started
    assert completed.returncode == 0, completed.stderr
    results = json.loads(results_path.read_text())
    validate_results(results)
    return results, elapsed


class Grader:
    """Grades many submissions of one assignment with a shared sandbox and reference."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.reference = assignment.load_reference()
        self.sandbox = Sandbox(assignment.probes, assignment.sandbox_limits(), protected=assignment.protected_paths)

    def grade(self, submission, **kwargs):
        results = grade(self.assignment, submission, sandbox=self.sandbox, reference=self.reference, **kwargs)
        validate_results(results)
        return results

    def title(self, check_name):
        return next(info.title for info, _ in self.assignment.checks if info.name == check_name)


@pytest.fixture(scope="session")
def graders():
    made = {}

    def get(assignment_id):
        if assignment_id not in made:
            made[assignment_id] = Grader(assignments.get(assignment_id))
        return made[assignment_id]

    yield get
    for grader in made.values():
        grader.sandbox.close()
