"""What a worker can reach, under every combination of isolation layers this machine can show.

``all`` is whatever the kernel allows here (on this machine: mount, network and IPC namespaces and the
seccomp filter); ``seccomp`` is Gradescope's Docker (no namespaces: permissions and seccomp);
``permissions`` has no kernel layer at all. The outcome must be the same; only how it is reached differs.
"""
import os
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest

from conftest import AS_ROOT, REPO, no_sandbox_processes_within
from grader.sandbox import containment
from grader.sandbox.client import Limits, Sandbox
from tests.sandbox import sandbox_probes as probes

pytestmark = pytest.mark.skipif(not AS_ROOT, reason="a separate sandbox user exists only when grading as root")
MODES = ["all", "seccomp", "permissions"]


@pytest.fixture(scope="module", params=MODES)
def box(request, tmp_path_factory):
    export = tmp_path_factory.mktemp("export")
    (export / "other_student").mkdir()
    (export / "other_student" / "student.py").write_text("SOLUTION = 'theirs'\n")
    os.chmod(export, 0o755)
    previous = os.environ.get("GRADER_SANDBOX_LAYERS")
    os.environ["GRADER_SANDBOX_LAYERS"] = request.param
    try:
        with Sandbox("tests.sandbox.sandbox_probes", Limits(call_timeout=5, import_timeout=10),
                     protected=[REPO / "reference", export]) as sandbox:
            sandbox.active_layers()
            yield request.param, sandbox, export
    finally:
        os.environ.pop("GRADER_SANDBOX_LAYERS") if previous is None else \
            os.environ.__setitem__("GRADER_SANDBOX_LAYERS", previous)
    assert no_sandbox_processes_within()


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "student.py").write_text("VALUE = 42\n")
    return tmp_path


def test_the_requested_layers_are_in_force(box):
    mode, sandbox, _ = box
    layers = sandbox.active_layers()
    if mode == "all":
        assert {"mount", "network", "ipc", "seccomp"} <= layers  # this machine allows every one of them
    else:
        assert layers == ({"seccomp"} if mode == "seccomp" else set())


def private_files(export):
    found = [REPO / "reference" / "cs446_hw2" / "hw2_ResNet.py",
             REPO / "tests" / "corpus" / "cs446_hw2" / "correct_sequential" / "hw2_ResNet.py",
             export / "other_student" / "student.py"]
    found += sorted((REPO / "data").glob("*/hidden/*"))[:3] + sorted((REPO / "data").glob("*/cache/*"))[:1]
    if (REPO / ".git").is_dir():
        found.append(REPO / ".git" / "HEAD")
    return [p for p in found if p.exists()]


def test_nothing_private_in_the_checkout_or_the_export_can_be_read(box, submission):
    mode, sandbox, export = box
    dist = REPO / "dist"
    made_dist = not dist.exists()
    dist.mkdir(exist_ok=True)
    zipped = dist / f"leak-test-{uuid.uuid4().hex}.zip"
    zipped.write_bytes(b"PK reference inside")
    os.chmod(zipped, 0o644)
    try:
        if mode != "all":  # permissions are set when a sandbox starts: dist/ appeared after this one's
            from grader.sandbox.client import prepare_filesystem
            prepare_filesystem([], log=lambda _: None)
        worker = sandbox.spawn(submission, ["student"])
        try:
            paths = private_files(export) + [zipped]
            assert len(paths) >= 5
            for path in paths:
                assert worker.call(probes.read, str(path))["ok"] is False, path
            assert str(REPO) not in worker.call(probes.sys_path)
            assert worker.call(probes.read, "student.py")["ok"] is True
        finally:
            worker.stop()
    finally:
        zipped.unlink()
        if made_dist:
            dist.rmdir()


def test_nothing_outlives_the_worker_in_shared_temporary_folders(box, submission):
    _, sandbox, _ = box
    name = f"left-{uuid.uuid4().hex}"
    first = sandbox.spawn(submission, ["student"])
    try:
        for folder in containment.SHARED_TEMPORARY:
            assert first.call(probes.write, f"{folder}/{name}", "a solution") == "written"
    finally:
        first.stop()
    for folder in containment.SHARED_TEMPORARY:
        assert not os.path.exists(f"{folder}/{name}")
    second = sandbox.spawn(submission, ["student"])  # the same uid: the next student of a grade-all job
    try:
        for folder in containment.SHARED_TEMPORARY:
            assert second.call(probes.read, f"{folder}/{name}")["ok"] is False
    finally:
        second.stop()


def test_shared_memory_segments_die_with_the_worker(box, submission):
    _, sandbox, _ = box
    worker = sandbox.spawn(submission, ["student"])
    try:
        assert worker.call(probes.shared_memory_segment, 1 << 20) >= 0
    finally:
        worker.stop()
    with open("/proc/sysvipc/shm") as table:
        owners = [int(row.split()[7]) for row in table.read().splitlines()[1:]]
    assert sandbox.user[0] not in owners


def test_the_network_cannot_be_reached(box, submission):
    mode, sandbox, _ = box
    if mode == "permissions":
        pytest.skip("without a network namespace or seccomp the network is open (python -m grader doctor says so)")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    worker = sandbox.spawn(submission, ["student"])
    try:
        assert worker.call(probes.connect, "127.0.0.1", listener.getsockname()[1]) != "connected"
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        worker.stop()
        listener.close()


def test_other_processes_command_lines_are_hidden(box, submission):
    mode, sandbox, _ = box
    if mode != "all":
        pytest.skip("without a mount namespace /proc is the machine's (python -m grader doctor says so)")
    worker = sandbox.spawn(submission, ["student"])
    try:
        assert worker.call(probes.read, f"/proc/{os.getpid()}/cmdline")["ok"] is False
        assert worker.call(probes.read, f"/proc/{sandbox.zygote_pid}/cmdline")["ok"] is False
    finally:
        worker.stop()


def test_a_worker_holds_no_socket_but_its_own_channel(box, submission):
    _, sandbox, _ = box
    beside = sandbox.spawn(submission, ["student"])  # a check running at the same time
    try:
        worker = sandbox.spawn(submission, ["student"])
        try:
            assert worker.call(probes.open_sockets) == 1
        finally:
            worker.stop()
    finally:
        beside.stop()


@pytest.mark.parametrize("mode, mount_active", [("all", "yes"), ("seccomp", "no")])
def test_doctor_says_which_layers_are_in_force(mode, mount_active, monkeypatch):
    from conftest import run_cli

    monkeypatch.setenv("GRADER_SANDBOX_LAYERS", mode)
    completed = run_cli("doctor")
    assert completed.returncode == 0, completed.stderr[-2000:]
    rows = {line.split("  ")[0]: line for line in completed.stdout.splitlines()}
    assert rows["mount namespace (minimal view)"].split()[4] == mount_active
    assert rows["seccomp socket filter"].split()[3] == "yes"
    if mount_active == "no":
        assert "command lines are readable" in completed.stdout


def test_memory_held_outside_the_address_space_counts(submission, monkeypatch):
    """memfds are not mapped, so the address-space limit misses them; the worker's memory cgroup does not."""
    from grader.errors import SubmissionError

    monkeypatch.setenv("GRADER_SANDBOX_LAYERS", "all")

    with Sandbox("tests.sandbox.sandbox_probes", Limits(call_timeout=60, import_timeout=10, memory_mb=512)) as sandbox:
        if "memory" not in sandbox.active_layers():
            pytest.skip("no memory cgroup here (python -m grader doctor says so)")
        worker = sandbox.spawn(submission, ["student"])
        try:
            with pytest.raises(SubmissionError, match="ran out of memory"):
                worker.call(probes.hold_memfds, 16, 60)  # 960 MB in memfds under a 512 MB limit
        finally:
            worker.stop()
        # Only this sandbox's: other test suites on the machine make cgroups of their own beside it.
        mine = f"ml-autograder-{sandbox.user[0]}-"
        leftover = [p for p in os.listdir(containment._own_memory_cgroup()[0]) if p.startswith(mine)]
        assert leftover == []


def test_a_memory_cgroup_left_by_a_killed_supervisor_is_removed_by_the_next_lease(monkeypatch):
    from grader.sandbox.client import UidLease

    monkeypatch.setenv("GRADER_SANDBOX_LAYERS", "all")
    probe = containment.create_memory_cgroup("ml-autograder-probe-stale", 1 << 20)
    if probe is None:
        pytest.skip("no memory cgroup here")
    containment.remove_cgroup(probe)
    lease = UidLease()
    uid = lease.uid
    lease.release()
    stale = containment.create_memory_cgroup(f"ml-autograder-{uid}-999999", 1 << 20)
    try:
        lease = UidLease()  # the same uid again: the lowest free one
        lease.release()
        assert lease.uid != uid or not os.path.exists(stale)
    finally:
        containment.remove_cgroup(stale, attempts=1)


def test_a_checkout_under_tmp_stays_in_the_workers_view():
    """A CI clone made with ``mktemp -d`` lives under /tmp, which the worker gets a private tmpfs for:
    that tmpfs must lie beneath the checkout's read-only binds, not over them."""
    tmp_path = Path(tempfile.mkdtemp(prefix="checkout-", dir="/tmp"))  # under /tmp whatever pytest's basetemp
    root = tmp_path / "view"
    root.mkdir()
    if "mount" not in containment.detect_layers(str(root)):
        pytest.skip("no mount namespace here")
    checkout = tmp_path / "checkout"
    (checkout / "grader").mkdir(parents=True)
    (checkout / "grader" / "engine.py").write_text("ENGINE = True\n")
    staged = tmp_path / "staging" / "submission"
    staged.mkdir(parents=True)
    (staged / "student.py").write_text("VALUE = 42\n")
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(read)
            containment.view_paths = lambda *_: ([*containment.SYSTEM, str(checkout)], [], str(staged.parent))
            containment.unshare(containment.CLONE_NEWNS)
            containment.enter_view(str(root), "tests.sandbox.sandbox_probes", str(staged), 1 << 20)
            containment.chroot_into(str(root))
            seen = [os.path.exists(str(checkout / "grader" / "engine.py")),
                    os.path.exists(str(staged / "student.py")), os.listdir("/tmp") != []]
            os.write(write, repr(seen).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        seen = pipe.read()
    os.waitpid(child, 0)
    shutil.rmtree(tmp_path)
    # The checkout and the staged copy are visible; /tmp holds only the path leading to them.
    assert seen == "[True, True, True]"
