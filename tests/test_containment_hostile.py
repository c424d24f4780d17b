"""The hostile corpus against the sandbox's containment, through the real command line, under every layer
this machine offers (``all``) and under Gradescope's fallback (``seccomp``: no namespaces, permissions and
the socket filter). Threat model: tests/corpus/README.md."""
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile

import pytest

from conftest import AS_ROOT, CORPUS, REPO, grade_hostile, no_sandbox_processes_within, run_cli, validate_results
from grader.core.results import grader_failed

HOSTILE = CORPUS / "cs446_hw2_hostile"
FULL = 13.5
root_only = pytest.mark.skipif(not AS_ROOT, reason="file protection needs a separate sandbox user (run as root)")


@pytest.fixture(params=["all", "seccomp"])
def layers(request, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX_LAYERS", request.param)  # inherited by the grader's command line
    yield request.param
    if AS_ROOT:
        assert no_sandbox_processes_within(), "a sandboxed process outlived the run"


def messages(results):
    return "\n".join(t.get("output", "") for t in results["tests"])


@root_only
def test_a_checkout_gives_nothing_away(layers, tmp_path):
    if layers != "all" and (REPO / ".git").is_file():
        pytest.skip("a git worktree's history lives in another checkout, which only a mount namespace hides")
    dist = REPO / "dist"
    made = not dist.exists()
    dist.mkdir(exist_ok=True)
    leak = dist / "cs446-hw2-leaktest.zip"
    with zipfile.ZipFile(leak, "w") as archive:  # what `make autograders` leaves, readable by everyone
        archive.write(REPO / "reference" / "cs446_hw2" / "hw2_ResNet.py", "reference/cs446_hw2/hw2_ResNet.py")
    leak.chmod(0o644)
    try:
        results, _ = grade_hostile("cs446-hw2", HOSTILE / "read_checkout", tmp_path)
    finally:
        leak.unlink()
        if made:
            dist.rmdir()
    assert results["score"] == 0
    assert "could not be imported" not in messages(results)  # it ran and found nothing


@root_only
def test_the_network_is_out_of_reach(layers, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    submission = tmp_path / "network"
    shutil.copytree(HOSTILE / "network", submission)
    source = submission / "hw2_ResNet.py"
    source.write_text(source.read_text().replace("__PORT__", str(listener.getsockname()[1])))
    try:
        results, _ = grade_hostile("cs446-hw2", submission, tmp_path)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert results["score"] == FULL  # the connections failed; the solution itself is right


@root_only
def test_students_of_one_class_cannot_reach_each_other(layers, tmp_path):
    export = tmp_path / "export"
    # Graded in this order by one job (one sandbox uid): the solution is left behind first.
    for name, case in (("a_drop", "drop_solution"), ("b_pick_up", "pick_up_solution"), ("c_export", "read_export")):
        shutil.copytree(HOSTILE / case, export / name)
    export.chmod(0o755)
    out = tmp_path / "out"
    completed = run_cli("grade-all", "cs446-hw2", export, "-o", out, "--jobs", "1")
    assert completed.returncode == 0, completed.stderr[-3000:]
    scores = {name: json.loads((out / name / "results.json").read_text())["score"]
              for name in ("a_drop", "b_pick_up", "c_export")}
    assert scores == {"a_drop": FULL, "b_pick_up": 0, "c_export": 0}
    for folder in ("/dev/shm", "/tmp", "/var/tmp"):
        assert not os.path.exists(f"{folder}/hw2_solution.py")


def test_a_tiny_frame_claiming_a_billion_elements_is_refused(tmp_path):
    """Run in a process of its own, so that its peak memory is the run's alone."""
    submission = tmp_path / "submission"
    shutil.copytree(HOSTILE / "stride0_answer", submission)
    out = tmp_path / "results.json"
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    completed = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "grader", "run", "cs446-hw2",
                                str(submission), "-o", str(out)], cwd=REPO, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    peak_mb = int(completed.stdout.split()[-1]) / 1024
    assert peak_mb < 1500  # materialising one answer alone would take 4000 MB
    results = json.loads(out.read_text())
    validate_results(results)
    assert results["score"] < FULL
    assert "refused" in messages(results) and "expanded or overlapping view" in messages(results)


def test_the_grader_out_of_memory_says_so_instead_of_a_zero(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_MEMORY_MB", "1")  # a ceiling the grading process cannot stay under
    out = tmp_path / "results.json"
    completed = run_cli("run", "cs446-hw2", REPO / "reference" / "cs446_hw2", "-o", out)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(out.read_text())
    validate_results(results)
    assert grader_failed(results) and "not a score of 0" in results["output"] and results["extra_data"]["grader_error"]


def test_grade_all_survives_a_grading_process_that_dies(tmp_path):
    export = tmp_path / "export"
    for index in range(6):
        shutil.copytree(CORPUS / "cs446_hw2" / "correct_sequential", export / f"student_{index}")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade-all", "cs446-hw2", str(export), "-o",
                                str(out), "--jobs", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    killed = _kill_a_pool_process(process.pid)
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    assert killed, "no pool process was found to kill"
    for index in range(6):  # those in flight were graded again, on their own
        results = json.loads((out / f"student_{index}" / "results.json").read_text())
        validate_results(results)
        assert results["score"] == FULL
    assert (out / "grades.csv").exists() and (out / "summary.txt").exists() and "graded 6" in stdout


def _kill_a_pool_process(parent, timeout=300):
    """SIGKILL one of ``parent``'s pool processes once it is grading (its sandbox's zygote is running)."""
    import signal
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _children(parent):
            if any(b"grader.sandbox.zygote" in _cmdline(kid) for kid in _children(pid)):
                os.kill(pid, signal.SIGKILL)
                return True
        time.sleep(0.2)
    return False


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_a_deflate_bomb_is_refused_before_torch_load(tmp_path):
    import torch

    from grader.core import assignments
    from grader.sandbox import protocol
    from grader.core.checks import CheckInfo
    from grader.core.grading import Context, Session
    from grader.errors import SubmissionError

    plain = tmp_path / "plain.pt"
    torch.save(torch.zeros(64 << 20, dtype=torch.uint8), plain)  # 64 MB of zeros
    submission = tmp_path / "submission"
    submission.mkdir()
    bomb = submission / "note_predictions.pt"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as packed:
        for entry in source.infolist():
            packed.writestr(entry.filename, source.read(entry.filename))
    assert bomb.stat().st_size < 1 << 20
    assert torch.load(bomb, weights_only=True).numel() == 64 << 20  # torch itself would unpack it
    with pytest.raises(protocol.TooLarge, match="unpack"):
        protocol.load_untrusted(bomb, 20 << 20)
    assignment = assignments.get("cs689-hw4")
    session = Session(assignment, submission, sandbox=None, reference=None, seed=0, budget=10)
    session.missing.pop("note_predictions.pt", None)
    ctx = Context(session, CheckInfo("8", 9.0, False, "t", "t"), run_seed=0)
    with pytest.raises(SubmissionError, match="note_predictions.pt cannot be graded"):
        ctx.data_file("note_predictions.pt", 20 << 20)


def test_a_saved_expanded_tensor_is_refused(tmp_path):
    import torch

    from grader.sandbox import protocol

    path = tmp_path / "note_predictions.pt"
    torch.save({"mu": torch.zeros(1).expand(10**9)}, path)  # torch.save keeps the view: one number stored
    assert path.stat().st_size < 10_000
    with pytest.raises(protocol.TooLarge, match="expanded or overlapping"):
        protocol.load_untrusted(path, 20 << 20)
    legacy = tmp_path / "legacy.pt"
    torch.save(torch.zeros(3), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(protocol.TooLarge, match="not a zip archive"):
        protocol.load_untrusted(legacy, 20 << 20)


def test_a_notebook_linked_to_the_reference_earns_nothing(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "a3_network.ipynb").symlink_to(REPO / "reference" / "eecs4404_a3" / "a3_network.ipynb")
    out = tmp_path / "results.json"
    completed = run_cli("run", "eecs4404-a3", submission, "-o", out)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(out.read_text())
    validate_results(results)
    assert results["score"] == 0 and "is a link" in messages(results)


def test_similarity_leaves_out_oversized_files_and_says_so(tmp_path):
    from grader.core import assignments
    from grader.staff import similarity
    from grader.staff.batch import Submission

    students = []
    for name in ("huge_a", "huge_b", "small"):
        folder = tmp_path / name
        shutil.copytree(CORPUS / "cs446_hw2" / "correct_sequential", folder)
        students.append(Submission(name, folder))
    for name in ("huge_a", "huge_b"):
        with open(tmp_path / name / "hw2_ResNet.py", "a") as source:
            source.write("".join(f"value_{i} = {i} * 2 + 1\n" for i in range(40_000)))  # about 900 KB
    report = tmp_path / "similarity.txt"
    similarity.report(assignments.get("cs446-hw2"), students, report)
    text = report.read_text()
    assert "Not compared" in text and "huge_a: hw2_ResNet.py holds more than 256 KB" in text
    assert "huge_b" in text.split("Not compared")[1]
