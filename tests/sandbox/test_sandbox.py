"""The sandbox on its own: who the worker runs as, what it can read, how it ends."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import AS_ROOT, REPO, no_sandbox_processes_within
from grader.errors import NotAProbe, ProbeError, SubmissionError
from grader.sandbox.client import Limits, Sandbox
from tests.sandbox import sandbox_probes as probes

root_only = pytest.mark.skipif(not AS_ROOT, reason="a separate sandbox user exists only when grading as root")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox("tests.sandbox.sandbox_probes", Limits(call_timeout=2, import_timeout=5),
                 protected=[REPO / "reference"]) as box:
        yield box


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "student.py").write_text("VALUE = 41 + 1\nprint('imported')\n")
    return tmp_path


def test_worker_imports_the_submission_and_answers(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    try:
        assert worker.call(probes.answer, "student", "VALUE") == 42
    finally:
        worker.stop()
    assert "imported" in worker.output


def test_probes_are_bound_before_the_submission_is_imported(sandbox, tmp_path):
    """Rebinding the probes module's attributes at import swaps no probe: the worker dispatches from
    the table the zygote built before any submission ran."""
    (tmp_path / "student.py").write_text(
        "import sys\n"
        "probes = sys.modules['tests.sandbox.sandbox_probes']\n"
        "probes.whoami = lambda sub: 'forged'\n"
        "setattr(probes, 'answer', lambda sub, module, name: 'forged')\n"
        "VALUE = 42\n")
    worker = sandbox.spawn(tmp_path, ["student"])
    try:
        assert worker.call(probes.answer, "student", "VALUE") == 42
        assert worker.call(probes.whoami) != "forged"
    finally:
        worker.stop()


def test_only_the_probes_the_zygote_bound_can_be_asked(sandbox, submission, monkeypatch):
    """A function that is not a public function of a probes module is refused in the grading process; one
    added to a probes module after the zygote started is refused by the worker. Both are the grader's
    mistakes (ProbeError), never the student's."""
    def added_later(sub):
        return "late"

    added_later.__module__ = probes.__name__
    monkeypatch.setattr(probes, "added_later", added_later, raising=False)
    worker = sandbox.spawn(submission, ["student"])
    try:
        for not_a_probe in (probes._is_socket, print, lambda sub: 1, os.getuid):
            with pytest.raises(NotAProbe, match="is not a probe; a probe is a public function of "
                               "grader.sandbox.probes, grader.sandbox.torch_probes, tests.sandbox.sandbox_probes"):
                worker.call(not_a_probe)
        with pytest.raises(ProbeError, match="no probe tests.sandbox.sandbox_probes.added_later"):
            worker.call(added_later)
        assert worker.call(probes.answer, "student", "VALUE") == 42  # the worker still answers
    finally:
        worker.stop()


STUDENT_FUNCTIONS = textwrap.dedent("""
    import numpy as np

    def double_in_place(a):
        a *= 2
        return a

    def mean_loss(p, y):
        return -np.mean(np.log(p[np.arange(len(y)), y]))        # a numpy float64

    def mean_loss_0d(p, y):
        return np.asarray(-np.log(p[np.arange(len(y)), y]).mean(), dtype=np.float32)   # a 0-d array

    def appends(items, *, value):
        items.append(value)
        return len(items)

    def an_object():
        return object()
""")


def test_the_generic_probe_calls_plain_functions_and_keeps_shapes(sandbox, tmp_path):
    """Every worker answers the engine's generic probe, whatever the assignment's probes module: the result
    comes back with its shape (0-d included), and a change to an argument is noticed."""
    import numpy as np

    from grader.sandbox.probes import call_function

    (tmp_path / "student.py").write_text(STUDENT_FUNCTIONS)
    p, y = np.array([[0.5, 0.5], [0.25, 0.75]]), np.array([0, 1])
    worker = sandbox.spawn(tmp_path, ["student"])
    try:
        found = worker.call(call_function, "student", "double_in_place", np.arange(3.0))
        assert found["changed_input"] is True and found["result"].tolist() == [0.0, 2.0, 4.0]
        found = worker.call(call_function, "student", "mean_loss", p, y)
        assert found["changed_input"] is False and np.shape(found["result"]) == ()
        assert found["result"] == pytest.approx(-np.mean(np.log([0.5, 0.75])))
        found = worker.call(call_function, "student", "mean_loss_0d", p, y)
        assert isinstance(found["result"], np.ndarray) and found["result"].shape == ()
        assert found["result"].dtype == np.float32
        found = worker.call(call_function, "student", "appends", [1, 2], value=3)
        assert found == {"result": 3, "changed_input": True}
        with pytest.raises(SubmissionError, match="defines no `softmax`"):
            worker.call(call_function, "student", "softmax", p)
        with pytest.raises(SubmissionError, match="an_object returned a value of type object, which is not"):
            worker.call(call_function, "student", "an_object")
    finally:
        worker.stop()


def test_an_assignment_may_have_no_probes_of_its_own(tmp_path):
    """Workers of an assignment without probes.py answer the engine's probes."""
    from grader.sandbox.probes import call_function

    (tmp_path / "student.py").write_text(STUDENT_FUNCTIONS)
    with Sandbox("tests.sandbox.no_such_probes", Limits(call_timeout=5, import_timeout=10)) as box:
        worker = box.spawn(tmp_path, ["student"])
        try:
            assert worker.call(call_function, "student", "appends", [], value=1)["result"] == 1
            with pytest.raises(NotAProbe):
                worker.call(probes.whoami)  # the test's probes module is not this sandbox's
        finally:
            worker.stop()


@root_only
def test_worker_runs_as_the_unprivileged_user(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    try:
        uid = sandbox.user[0]
        assert 64000 <= uid < 65000 and worker.call(probes.whoami) == {"uid": uid, "gid": uid, "groups": []}
        assert worker.call(probes.read, str(submission / "student.py"))["ok"] is False  # the original, not its copy
        assert worker.call(probes.read, "student.py")["ok"] is True
        # absent from a mount namespace's view, closed by permissions without one
        assert worker.call(probes.read, str(REPO / "reference" / "cs446_hw2" / "hw2_ResNet.py"))["error"] in \
            {"PermissionError", "FileNotFoundError"}
    finally:
        worker.stop()


def test_worker_memory_holds_no_reference(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    try:
        files = worker.call(probes.loaded_module_files)
        assert any("torch" in f for f in files)
        assert not [f for f in files if f.startswith(str(REPO / "reference"))]
    finally:
        worker.stop()


def test_a_hanging_call_times_out_and_is_killed(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    started = time.monotonic()
    with pytest.raises(SubmissionError, match="did not finish within 2 s"):
        worker.call(probes.sleep, 30)
    assert time.monotonic() - started < 5
    assert worker.stop() == {"running": True}


@root_only
def test_processes_left_behind_are_killed(sandbox, submission):
    worker = sandbox.spawn(submission, ["student"])
    worker.call(probes.leave_orphan)
    time.sleep(0.3)
    worker.stop()
    assert no_sandbox_processes_within()


def test_import_error_names_the_file_and_line(sandbox, tmp_path):
    (tmp_path / "student.py").write_text("x = 1\ny = x / 0\n")
    with pytest.raises(SubmissionError) as error:
        sandbox.spawn(tmp_path, ["student"])
    message = str(error.value)
    assert "student.py could not be imported" in message
    assert "ZeroDivisionError" in message and "student.py, line 2" in message
    assert "frozen" not in message and "zygote" not in message


@root_only
def test_concurrent_jobs_run_as_different_users_and_cannot_signal_each_other(submission):
    limits = Limits(call_timeout=5, import_timeout=10)
    with Sandbox("tests.sandbox.sandbox_probes", limits) as first, \
            Sandbox("tests.sandbox.sandbox_probes", limits) as second:
        victim, attacker = first.spawn(submission, ["student"]), second.spawn(submission, ["student"])
        try:
            assert victim.call(probes.whoami)["uid"] != attacker.call(probes.whoami)["uid"]
            assert attacker.call(probes.kill, victim.pid) == "PermissionError"
            assert victim.call(probes.answer, "student", "VALUE") == 42
        finally:
            victim.stop()
            attacker.stop()


def test_alive_reports_a_dead_zygote(submission):
    box = Sandbox("tests.sandbox.sandbox_probes", Limits(call_timeout=2, import_timeout=5))
    try:
        worker = box.spawn(submission, ["student"])
        worker.stop()
        assert box.alive()
        box._process.kill()
        box._process.wait()
        assert not box.alive()
    finally:
        box.close()


@root_only
def test_sandbox_uids_are_leased_machine_wide_and_freed_with_their_holder(tmp_path):
    """Two grader invocations (separate processes) never share a uid; a lease dies with its holder,
    and whatever still runs under the uid is killed when the next holder takes it."""
    import subprocess
    import sys

    from grader.sandbox.client import UidLease, lease_holder

    held = UidLease()
    try:
        assert lease_holder(held.uid) == os.getpid()
        other = subprocess.run(
            [sys.executable, "-c", "from grader.sandbox.client import UidLease; print(UidLease().uid)"],
            capture_output=True, text=True, cwd=REPO, check=True)
        assert int(other.stdout) != held.uid
        # A process left under the uid (as if a submission escaped its worker) dies at release.
        straggler = subprocess.Popen(["sleep", "60"], user=held.uid, group=held.gid, extra_groups=[])
    finally:
        held.release()
    assert straggler.wait(timeout=5) == -9
    assert lease_holder(held.uid) is None


def test_an_error_in_the_probes_own_code_is_the_graders(sandbox, submission):
    """With none of the student's code on the stack, an exception is a grader error; a missing name or an
    exception raised inside the student's code (even deep in a library it called) is the student's."""
    from grader.errors import ProbeError

    (submission / "student.py").write_text("import numpy as np\n\ndef bad(n):\n    return np.zeros(3)[n]\n")
    worker = sandbox.spawn(submission, ["student"])
    try:
        with pytest.raises(ProbeError, match="IndexError"):
            worker.call(probes.index_own_list, 7)
        with pytest.raises(SubmissionError, match="student.py, line 4"):
            worker.call(probes.call_student, "student", "bad", 9)
        with pytest.raises(SubmissionError, match="defines no `absent`"):
            worker.call(probes.missing_name, "student", "absent")
    finally:
        worker.stop()


def test_the_grader_memory_ceiling_raises_inside_and_is_lifted_outside():
    """Reporting a grader that ran out of memory needs memory: the ceiling must not outlive the grading."""
    program = textwrap.dedent("""
        import resource
        from grader.sandbox.client import grader_memory_ceiling
        before = resource.getrlimit(resource.RLIMIT_AS)
        with grader_memory_ceiling(64):
            try:
                bytearray(512 << 20)
                print("allocated inside")
            except MemoryError:
                print("refused inside")
        bytearray(512 << 20)
        print("allocated outside", resource.getrlimit(resource.RLIMIT_AS) == before)
    """)
    completed = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split("\n")[:2] == ["refused inside", "allocated outside True"]
