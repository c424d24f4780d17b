"""The portable sandbox (a spawned process per check), used where the zygote's Linux calls are missing."""
import os
import time

import pytest

from grader.sandbox.portable import PortableSandbox
from grader.errors import SubmissionError
from grader.sandbox.client import Limits
from tests.sandbox import sandbox_probes as probes


@pytest.fixture(scope="module")
def sandbox():
    with PortableSandbox("tests.sandbox.sandbox_probes", Limits(call_timeout=2, import_timeout=5)) as box:
        yield box


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "student.py").write_text("VALUE = 41 + 1\nprint('imported')\n")
    return tmp_path


def _gone(pid, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie of ours counts as gone once reaped
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def test_worker_imports_the_submission_answers_and_keeps_its_output(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    try:
        assert worker.call(probes.answer, "student", "VALUE") == 42
    finally:
        worker.stop()
    assert worker.output.strip() == "imported"


def test_each_check_gets_a_fresh_process_that_does_not_see_the_original_folder(sandbox, submission):
    first, second = sandbox.spawn(submission, ["student"]), sandbox.spawn(submission, ["student"])
    try:
        assert first.pid != second.pid
        assert first.call(probes.read, "student.py")["ok"] is True  # its own staged copy
    finally:
        first.stop()
        second.stop()


def test_a_hanging_call_times_out_and_its_processes_are_killed(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    child = worker.call(probes.start_child)
    started = time.monotonic()
    with pytest.raises(SubmissionError, match="did not finish within 2 s"):
        worker.call(probes.sleep, 30)
    assert time.monotonic() - started < 5
    assert worker.stop() == {"running": True}
    assert _gone(worker.pid) and _gone(child)


def test_a_worker_that_exits_costs_only_its_check(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    with pytest.raises(SubmissionError, match=r"ended \(exit status 3\)"):
        worker.call(probes.exit_now, 3)
    fresh = sandbox.spawn(submission, ["student"])
    try:
        assert fresh.call(probes.answer, "student", "VALUE") == 42
    finally:
        fresh.stop()


def test_import_error_names_the_file_and_line(sandbox, tmp_path):
    (tmp_path / "student.py").write_text("x = 1\ny = x / 0\n")
    with pytest.raises(SubmissionError) as error:
        sandbox.spawn(tmp_path, ["student"])
    message = str(error.value)
    assert "student.py could not be imported" in message
    assert "ZeroDivisionError" in message and "student.py, line 2" in message
    assert "portable" not in message


def test_close_ends_the_spare_and_every_worker(submission):
    box = PortableSandbox("tests.sandbox.sandbox_probes", Limits(call_timeout=2, import_timeout=5))
    worker = box.spawn(submission, ["student"])
    pids = [worker.pid, box._spare.pid]
    box.close()
    assert all(_gone(pid) for pid in pids)
