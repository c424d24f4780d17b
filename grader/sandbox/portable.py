"""Where the zygote cannot run: one fresh Python process per check, on any operating system.

The zygote sandbox (``sandbox.py``, ``zygote.py``) is Linux's: it forks, and uses ``resource``,
``prctl`` and /proc. A student's laptop (macOS, Windows) may have none of these, and what the
self-check needs there is robustness rather than secrecy: each check still runs in a process of
its own, is stopped at its timeout with every process it started, and cannot disturb another
check. Workers are spawned as ``python -m grader.sandbox.portable`` and talk to the grader over their
standard input and output; what the student's code prints goes to standard error. One process is
always started ahead of need, importing torch and the probes while the previous check runs.

This module holds both sides: ``PortableSandbox`` (the grading process) and ``main`` (the worker).
"""
import argparse
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from grader.sandbox import protocol
from grader import REPO_ROOT
from grader.errors import SandboxError
from grader.sandbox.client import Sandbox, Worker

STARTUP_SECONDS = 120.0  # a cold torch import on a slow laptop, on top of the import time limit
_WINDOWS = sys.platform == "win32"


def zygote_supported():
    """Whether this system has what the zygote sandbox needs (``GRADER_SANDBOX=portable`` says no)."""
    if os.environ.get("GRADER_SANDBOX") == "portable":
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        import ctypes
        import resource  # noqa: F401

        ctypes.CDLL(None).prctl  # noqa: B018 (the lookup is the test)
    except (ImportError, AttributeError, OSError):
        return False
    return True


def sandbox_for(assignment, private=()):
    """The strongest sandbox this system supports for ``assignment`` (``private``: see Sandbox.for_assignment)."""
    return (Sandbox if zygote_supported() else PortableSandbox).for_assignment(assignment, private=private)


class PortableWorker(Worker):
    """A worker that is a spawned process of its own (same conversation as ``Worker``)."""

    def __init__(self, sandbox, process, folder, limits):
        self.sandbox, self.process, self.pid, self.folder = sandbox, process, process.pid, folder
        self.limits = dataclasses.replace(limits, import_timeout=limits.import_timeout + STARTUP_SECONDS)
        # The channel owns copies of the pipe descriptors; the Popen object closes its own.
        self.channel = protocol.PipeChannel(os.dup(process.stdout.fileno()), os.dup(process.stdin.fileno()),
                                            timeouts=True)
        self._output, self._dropped, self._stopped = bytearray(), 0, None
        self._drain = threading.Thread(target=self._read_output, args=(os.dup(process.stderr.fileno()),),
                                       daemon=True)
        self._drain.start()

    def _death(self, doing):
        # The channel closes a moment before the process can be waited for: give it that moment, so the
        # student reads how it ended (an exit status) rather than that it stopped answering.
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        return super()._death(doing)


class PortableSandbox(Sandbox):
    """Same interface as ``Sandbox``; no zygote, no uid change, no rlimits where ``resource`` is absent."""

    def __init__(self, probes: str, limits=None, protected=()):
        from grader.sandbox.client import Limits

        self.probes, self.limits = probes, limits or Limits()
        self.user = self._lease = None  # a student's own machine: their files are theirs anyway
        self.staging = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        self._lock = threading.Lock()
        self._workers = {}  # pid -> Popen of every started process not yet reaped
        self._closed = False
        self._spare = self._start()

    def _start(self):
        # The student's own PYTHONPATH stays (a notebook server may need it); the engine comes first.
        path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
        # Its own process group (session), so the whole tree it starts can be ended together.
        group = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if _WINDOWS else {"start_new_session": True}
        process = subprocess.Popen([sys.executable, "-m", "grader.sandbox.portable", "--probes", self.probes],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   cwd=self.staging, env=env, **group)
        self._workers[process.pid] = process
        return process

    def spawn(self, submission: Path, modules, provided=None) -> Worker:
        folder = self._stage(Path(submission), provided or {})
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox is closed")
            process, self._spare = self._spare, self._start()
        home = str(folder / "home")
        worker = PortableWorker(self, process, folder, self.limits)
        request = {"folder": str(folder / "submission"), "modules": list(modules),
                   "limits": self.limits.for_worker(), "env": {"HOME": home, "TMPDIR": home, "TEMP": home,
                                                                "TMP": home, "MPLCONFIGDIR": home}}
        try:
            protocol.send(worker.channel, request)
            worker.wait_imported(modules)
        except OSError:
            worker.stop()
            raise SandboxError("a worker process could not start (see its output)") from None
        except BaseException:
            worker.stop()
            raise
        return worker

    def reap(self, pid, ended=False):
        """End ``pid`` and its whole process group; say how it ended if it ended by itself."""
        process = self._workers.pop(pid, None)
        if process is None:
            return {"gone": True}
        try:
            code = process.wait(protocol.ENDING_GRACE) if ended else process.poll()
        except subprocess.TimeoutExpired:
            code = None
        _kill_tree(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            stream.close()
        if code is None:
            return {"running": True}
        return {"signal": -code} if code < 0 else {"exit_code": code}

    def alive(self):
        return not self._closed

    def log_tail(self):
        return ""

    def close(self, from_signal_handler=False):
        with self._lock:
            self._closed = True
        for pid in list(self._workers):
            self.reap(pid)
        shutil.rmtree(self.staging, ignore_errors=True)


def _kill_tree(process):
    if _WINDOWS:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True)
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    process.kill()
    process.wait()


def _apply_limits(limits):
    """The rlimits this system has (none on Windows; macOS ignores an address-space limit)."""
    try:
        import resource
    except ImportError:
        return
    wanted = [("RLIMIT_CORE", 0), ("RLIMIT_CPU", limits["cpu_seconds"]), ("RLIMIT_FSIZE", limits["file_bytes"])]
    for name, value in wanted:
        try:
            resource.setrlimit(getattr(resource, name), (value, value))
        except (AttributeError, ValueError, OSError):
            pass


def main():
    """The worker: warm up, wait for the grader's request, import the submission, answer probes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", required=True)
    args = parser.parse_args()
    # The conversation keeps the original standard input and output; the student's prints, at the
    # Python and at the C level, go to standard error, which the grader keeps as the check's output.
    channel = protocol.PipeChannel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    try:
        import numpy  # noqa: F401
        import torch

        torch.set_num_threads(1)
        from grader.sandbox.worker import probe_table

        probes = probe_table(args.probes)
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(70)
    try:
        request = protocol.receive(channel)
    except Exception:
        os._exit(0)  # the grader closed without using this spare
    folder = request["folder"]
    _apply_limits(request["limits"])
    os.chdir(folder)
    os.environ.update(request["env"])
    sys.path.insert(0, folder)
    from grader.sandbox.worker import serve

    serve(channel, request["modules"], folder, probes)


if __name__ == "__main__":
    main()
