"""Hostile submissions, graded through the real command line: each is contained and costs only its own points."""
import json
import time

import pytest

from conftest import AS_ROOT, CORPUS, no_sandbox_processes_within
from conftest import grade_hostile as grade_hostile_submission

HOSTILE = CORPUS / "cs446_hw2_hostile"
FULL = 13.5


def grade_hostile(case, tmp_path, *extra):
    return grade_hostile_submission("cs446-hw2", HOSTILE / case, tmp_path, *extra)


def messages(results):
    return "\n".join(t.get("output", "") for t in results["tests"])


@pytest.fixture(autouse=True)
def no_leftover_processes():
    yield
    if AS_ROOT:
        assert no_sandbox_processes_within(), "a sandboxed process outlived the run"


@pytest.mark.skipif(not AS_ROOT, reason="file protection needs a separate sandbox user (run as root)")
def test_cannot_read_the_reference(tmp_path):
    results, _ = grade_hostile("read_reference", tmp_path)
    assert results["score"] == 0
    assert "could not be imported" not in messages(results)  # it imported fine; it just found nothing


@pytest.mark.skipif(not AS_ROOT, reason="file protection needs a separate sandbox user (run as root)")
def test_cannot_write_the_results(tmp_path):
    results, _ = grade_hostile("rewrite_results", tmp_path)
    time.sleep(1.5)  # give a surviving background writer every chance
    on_disk = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "forged" not in on_disk and on_disk["score"] == results["score"] == 0
    assert not (tmp_path / "out" / "results.json").is_symlink()
    assert (tmp_path / "out" / "results.json").stat().st_mode & 0o077 == 0


def test_monkeypatching_comparisons_changes_nothing(tmp_path):
    results, _ = grade_hostile("monkeypatch", tmp_path)
    lost = {t["number"] for t in results["tests"] if t["status"] != "passed"}
    assert {"3a.4", "3a.6", "3a.7"} <= lost  # exactly what its missing skip connection deserves


@pytest.mark.parametrize("case", ["sys_exit", "os_exit"])
def test_exit_at_import(tmp_path, case):
    results, _ = grade_hostile(case, tmp_path)
    assert results["score"] == 0
    assert "exit" in messages(results)


def test_infinite_loop_at_import_costs_one_timeout(tmp_path):
    results, elapsed = grade_hostile("infinite_loop", tmp_path)
    assert results["score"] == 0
    assert "did not finish within 20 s" in messages(results)
    assert elapsed < 60  # one import timeout, not one per check


def test_huge_allocation_fails_cleanly(tmp_path):
    results, _ = grade_hostile("huge_memory", tmp_path)
    assert results["score"] == 0
    assert "memory" in messages(results).lower()


@pytest.mark.skipif(not AS_ROOT, reason="a process limit per user needs a separate sandbox user")
def test_fork_bomb_is_contained(tmp_path):
    results, _ = grade_hostile("fork_bomb", tmp_path)
    assert results["score"] == FULL  # the forks were refused and reaped; the solution itself is right


def test_huge_output_is_truncated(tmp_path):
    results, _ = grade_hostile("huge_output", tmp_path)
    assert results["score"] == FULL
    assert (tmp_path / "out" / "results.json").stat().st_size < 200_000


@pytest.mark.skipif(not AS_ROOT, reason="signals to the grader are refused only across users")
def test_killing_other_processes_fails(tmp_path):
    results, _ = grade_hostile("kill_parent", tmp_path)
    assert len(results["tests"]) == 16 and results["score"] == 0  # no Block to grade; the run survived


def test_forged_protocol_messages_are_rejected(tmp_path):
    results, _ = grade_hostile("forge_protocol", tmp_path)
    assert results["score"] == 0


def test_file_size_limit(tmp_path):
    results, _ = grade_hostile("huge_file", tmp_path)
    assert results["score"] == 0
    assert "File too large" in messages(results) or "file larger than allowed" in messages(results)
