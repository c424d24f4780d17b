"""Running untrusted code: the grading process's side of the sandbox.

A ``Sandbox`` starts one zygote (see ``zygote.py``) and asks it for a fresh worker per
check. Each worker gets its own copy of the submission, runs as the sandbox user when the
grader is root, and is killed, with everything it started, when the check ends. Anything
the student's code does wrong surfaces here as a ``SubmissionError`` whose message is
written for the student.
"""
import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from grader import REPO_ROOT
from grader.errors import ProbeError, SandboxError, SubmissionError
from grader.sandbox import protocol
from grader.sandbox.worker import probe_name


@dataclass
class Limits:
    """Resource limits of one worker; an assignment's config may override any of them."""
    cpu_seconds: int = 60
    memory_mb: int = 2048
    file_mb: int = 64
    processes: int = 32
    import_timeout: float = 30.0
    call_timeout: float = 30.0
    output_kb: int = 64
    submission_mb: int = 200
    total_seconds: float = 240.0  # once spent, a submission's remaining checks are not run

    def for_worker(self):
        return {"cpu_seconds": self.cpu_seconds, "memory_bytes": self.memory_mb << 20,
                "file_bytes": self.file_mb << 20, "processes": self.processes}


SPARE_UID_BASE = 64000  # sandbox uids are leased from here on: no account uses them
SPARE_UIDS = 1000
LEASE_DIR = Path("/run/lock/ml-autograder-uids")


class UidLease:
    """A uid that no other sandbox on this machine uses while the lease is held.

    Every sandbox, in this invocation or any other one running at the same time, holds an exclusive
    ``flock`` on its uid's lock file, so one student's ``kill(-1)`` or process count can never reach
    a submission graded by someone else. The lock dies with its holder, so a crashed grader frees its
    uid. On release, whatever still runs under the uid is killed: nothing a submission starts outlives
    its sandbox. GRADER_SANDBOX_USER names a fixed account instead (one grader per machine only)."""

    def __init__(self):
        import fcntl
        import pwd

        fixed = os.environ.get("GRADER_SANDBOX_USER")
        if fixed:
            entry = pwd.getpwnam(fixed)
            self.uid, self.gid, self._file = entry.pw_uid, entry.pw_gid, None
            return
        LEASE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        taken = {e.pw_uid for e in pwd.getpwall()}
        for uid in range(SPARE_UID_BASE, SPARE_UID_BASE + SPARE_UIDS):
            if uid in taken:
                continue
            handle = open(LEASE_DIR / str(uid), "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            # A group of its own too: files a worker creates are shared with no other sandbox.
            self.uid, self.gid, self._file = uid, uid, handle
            kill_user_processes(uid)  # a holder that crashed may have left some behind
            from grader.sandbox import containment

            containment.remove_stale_cgroups(uid)  # and memory cgroups its killed supervisors could not remove
            return
        raise SandboxError(f"all {SPARE_UIDS} sandbox uids from {SPARE_UID_BASE} are in use")

    @property
    def user(self):
        return self.uid, self.gid

    def release(self):
        if self._file is not None:
            kill_user_processes(self.uid)
            self._file.close()
            self._file = None


def kill_user_processes(uid):
    """SIGKILL every process running as ``uid`` until none is left (a fork bomb may race the first pass)."""
    from grader.sandbox.containment import processes_of

    for _ in range(100):
        found = processes_of(uid)
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def lease_holder(uid):
    """The pid holding ``uid``'s lease, or None when nobody holds it (for tests and ``doctor``)."""
    import fcntl

    path = LEASE_DIR / str(uid)
    try:
        handle = open(path)
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = handle.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def _grant_traverse(path: Path, log):
    """Let other users reach ``path`` (search permission on its folders, nothing more)."""
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            log(f"sandbox: gave other users search permission on {folder} (to reach {path})")


def _deny_others(path: Path, log):
    if path.exists():
        mode = path.stat().st_mode
        if mode & stat.S_IRWXO:
            path.chmod(mode & ~stat.S_IRWXO)
            log(f"sandbox: removed other users' access to {path}")


def private_paths():
    """What no submission may read in any layout (a TA's checkout, Gradescope's /autograder): the repository's
    history, tests and corpus, built zips, the reference, and every assignment's hidden data and caches."""
    paths = [REPO_ROOT / name for name in ("reference", "tests", "dist", "build")]
    if (REPO_ROOT / ".git").is_dir():  # a worktree's .git is a file naming a folder elsewhere
        paths.append(REPO_ROOT / ".git")
    for data in sorted((REPO_ROOT / "data").glob("*")):
        paths += [data / "hidden", data / "cache"]
    return paths


def prepare_filesystem(protected, log=lambda message: print(message, file=sys.stderr)):
    """As root: the sandbox user must reach Python and the engine, and must not reach ``protected`` nor
    the repository's private folders. This is the whole protection when the kernel refuses a mount
    namespace, and a second line when it does not."""
    needed = {Path(sys.base_prefix), Path(sys.prefix), REPO_ROOT / "grader"}
    needed.update(Path(p) for p in sys.path if p and Path(p).is_dir() and "site-packages" in p)
    for path in needed:
        _grant_traverse(path.resolve(), log)
    for path in [*protected, *private_paths()]:
        _deny_others(Path(path), log)


@contextlib.contextmanager
def grader_memory_ceiling(megabytes=None):
    """A memory ceiling for the grading process itself while it grades (a soft address-space limit,
    GRADER_MEMORY_MB above what it maps now, 3072 by default): past it an allocation raises MemoryError,
    which the run reports as the autograder's failure, instead of the machine's OOM killer ending the
    process with no results. The ceiling is lifted on the way out, so that reporting the failure has
    memory to do it with (native code starved of memory may crash instead of raising)."""
    try:
        import resource
    except ImportError:
        yield None  # Windows
        return
    megabytes = megabytes or int(os.environ.get("GRADER_MEMORY_MB", "3072"))
    try:
        with open("/proc/self/status") as f:
            mapped = next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:")), 0)
    except OSError:
        yield None  # not Linux: the address-space limit means something else there
        return
    before = resource.getrlimit(resource.RLIMIT_AS)
    soft, hard = before
    ceiling = mapped + (megabytes << 20)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    if soft == resource.RLIM_INFINITY or ceiling < soft:
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield ceiling
    finally:
        resource.setrlimit(resource.RLIMIT_AS, before)


# Signals by name: Windows has none of the resource-limit ones (the portable sandbox runs there too).
_SIGNAL_EXPLANATIONS = {getattr(signal, name): text for name, text in [
    ("SIGXCPU", "used more CPU time than allowed ({cpu} s)"),
    ("SIGXFSZ", "wrote a file larger than allowed ({file} MB)"),
    ("SIGSEGV", "crashed (segmentation fault)"),
    ("SIGBUS", "crashed (bus error)"),
    ("SIGABRT", "aborted"),
    ("SIGKILL", "was killed (often: it ran out of memory)"),
] if hasattr(signal, name)}


class Worker:
    """One sandboxed process with the submission imported; lives for one check."""

    def __init__(self, sandbox, pid, channel_fd, output_fd, folder, limits: Limits):
        self.sandbox, self.pid, self.folder, self.limits = sandbox, pid, folder, limits
        self.channel = socket.socket(fileno=channel_fd)
        self._output, self._dropped = bytearray(), 0
        self._drain = threading.Thread(target=self._read_output, args=(output_fd,), daemon=True)
        self._drain.start()
        self._stopped = None

    def _read_output(self, fd):
        keep = self.limits.output_kb * 1024
        try:
            while chunk := os.read(fd, 1 << 16):
                room = keep - len(self._output)
                self._output += chunk[:max(room, 0)]
                self._dropped += max(len(chunk) - max(room, 0), 0)
        except OSError:
            pass
        finally:
            os.close(fd)

    @property
    def output(self) -> str:
        text = self._output.decode("utf-8", "replace")
        if self._dropped:
            text += f"\n[... {self._dropped} more bytes of output not kept]"
        return text

    def _death(self, doing):
        status = self.stop(ended=True)
        if "signal" in status:
            sig = status["signal"]
            why = _SIGNAL_EXPLANATIONS.get(sig, "was ended by signal {name}").format(
                cpu=self.limits.cpu_seconds, file=self.limits.file_mb, name=signal.Signals(sig).name)
            return SubmissionError(f"The process running your code {why} while {doing}.")
        if "exit_code" in status:
            if status["exit_code"] == 70 and doing.startswith("starting"):
                return SandboxError("the sandbox worker could not start (see the grader log)")
            return SubmissionError(
                f"The process running your code ended (exit status {status['exit_code']}) while {doing}. "
                "Calls such as exit(), sys.exit() or os._exit() end it; keep scripts under "
                "`if __name__ == \"__main__\":`.")
        return SubmissionError(f"The process running your code stopped answering while {doing}.")

    def _receive(self, timeout, doing):
        try:
            return protocol.receive(self.channel, timeout)
        except protocol.ChannelTimeout:
            self.stop()
            return SubmissionError(
                f"Your code did not finish within {timeout:g} s while {doing} and was stopped. "
                "Look for an infinite loop or work far larger than the task needs.")
        except protocol.ChannelClosed:
            return self._death(doing)
        except protocol.ChannelGarbled as exc:
            self.stop()
            return SubmissionError(
                f"The grader could not read what the process running your code sent while {doing} ({exc}). "
                "Writing to files or descriptors your code did not open itself can cause this.")

    def wait_imported(self, modules):
        doing = f"importing {', '.join(m + '.py' for m in modules)}"
        reply = self._receive(self.limits.import_timeout, "starting the sandbox and " + doing)
        if isinstance(reply, Exception):
            raise reply
        if not reply["ok"]:
            error = reply["error"]
            raise SubmissionError(f"{error['module']}.py could not be imported.\n" + format_error(error))

    def call(self, probe, *args, timeout=None, doing=None, **kwargs):
        """Run ``probe`` (a function of a probes module, see ``worker.probe_name``) in the worker."""
        name = probe_name(probe, self.sandbox.probes)
        doing = doing or f"running {probe.__name__}"
        try:
            protocol.send(self.channel, {"probe": name, "args": list(args), "kwargs": kwargs})
        except OSError:
            raise self._death(doing) from None
        reply = self._receive(timeout or self.limits.call_timeout, doing)
        if isinstance(reply, Exception):
            raise reply
        if not reply["ok"]:
            if reply["error"].get("origin") == "grader":
                raise ProbeError(f"The probe {probe.__name__!r} raised while {doing}: {reply['error']['type']}: "
                                 f"{reply['error']['message']}")
            raise SubmissionError(f"Your code raised an error while {doing}.\n" + format_error(reply["error"]))
        return reply["value"]

    def stop(self, ended=False):
        """End the worker; ``ended``: its channel closed, so it is ending by itself (say how, once it has)."""
        if self._stopped is None:
            self._stopped = self.sandbox.reap(self.pid, ended=ended)
            self.channel.close()
            self._drain.join(timeout=5)
            shutil.rmtree(self.folder, ignore_errors=True)
        return self._stopped


def format_error(error):
    lines = [f"{error['type']}: {error['message']}"]
    for frame in error.get("frames", []):
        lines.append(f"  at {frame['file']}, line {frame['line']}, in {frame['function']}: {frame['code']}")
    return "\n".join(lines)


class Sandbox:
    """A warm zygote that hands out sandboxed workers; one per grading session, reusable."""

    def __init__(self, probes: str, limits: Limits = None, protected=()):
        """``probes``: the assignment's probes module (workers answer its probes and the engine's; it may not
        exist, for an assignment that needs only the engine's)."""
        self.probes, self.limits = probes, limits or Limits()
        self._lease = UidLease() if os.geteuid() == 0 else None
        self.user = self._lease.user if self._lease else None
        if self.user is not None:
            prepare_filesystem(protected)
        self.staging = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
        # Others may enter the staging folder but not list it, so no worker can find another's files.
        self.staging.chmod(0o711)
        view = self.staging / ".view"  # where each worker's supervisor mounts the worker's view (containment.py)
        view.mkdir(mode=0o700)
        self.layers = set()  # the isolation layers in force, known once the zygote is ready
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile()
        env = {"PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": str(REPO_ROOT),
               "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
        if "GRADER_SANDBOX_LAYERS" in os.environ:  # read by the zygote, which keeps it from its workers
            env["GRADER_SANDBOX_LAYERS"] = os.environ["GRADER_SANDBOX_LAYERS"]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.zygote", "--control-fd", str(theirs.fileno()),
             "--probes", probes, "--view", str(view)],
            pass_fds=(theirs.fileno(),), cwd=REPO_ROOT, env=env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        theirs.close()
        self._lock = threading.Lock()
        self._ready = False

    def _request(self, message, with_fds=False):
        with self._lock:
            self._ensure_ready()
            self._control.send(json.dumps(message).encode())
            if with_fds:
                raw, fds, _, _ = socket.recv_fds(self._control, 1 << 16, 2)
            else:
                raw, fds = self._control.recv(1 << 16), []
            if not raw:
                raise SandboxError(f"the sandbox's zygote stopped: {self.log_tail()}")
            return json.loads(raw), fds

    def _ensure_ready(self):
        if not self._ready:
            self._control.settimeout(120)
            try:
                raw = self._control.recv(1 << 16)
            except socket.timeout:
                raw = b""
            self._control.settimeout(None)
            if not raw:
                raise SandboxError(f"the sandbox's zygote did not start: {self.log_tail()}")
            ready = json.loads(raw)
            self.zygote_pid, self.layers = ready["pid"], set(ready.get("layers", ()))
            self._ready = True

    def alive(self):
        return self._process.poll() is None

    def log_tail(self):
        self._log.seek(0)
        return self._log.read()[-2000:].decode("utf-8", "replace")

    def _stage(self, submission: Path, provided):
        folder = Path(tempfile.mkdtemp(dir=self.staging))
        copy = folder / "submission"
        # symlinks=True: a link is copied as a link, so root never reads a target for the student.
        # _checker is the engine inside a student bundle: no part of the submission.
        shutil.copytree(submission, copy, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".git", "_checker", ".ipynb_checkpoints"))
        size = sum(p.stat().st_size for p in copy.rglob("*") if p.is_file() and not p.is_symlink())
        if size > self.limits.submission_mb << 20:
            shutil.rmtree(folder)
            raise SubmissionError(f"The submission is {size >> 20} MB; at most {self.limits.submission_mb} MB "
                                  "is accepted.")
        for name, source in provided.items():
            target = copy / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.is_symlink() or target.exists():
                target.unlink()  # the course's own copy replaces whatever the student sent
            shutil.copyfile(source, target)
        (folder / "home").mkdir()
        if self.user is not None:
            for path in [folder, *folder.rglob("*")]:
                os.lchown(path, *self.user)
        folder.chmod(0o700)
        return folder

    def spawn(self, submission: Path, modules, provided=None) -> Worker:
        """A worker with ``modules`` of ``submission`` imported; raises SubmissionError if that fails.
        ``provided`` ({name: path}) are course files placed beside the submission, replacing any the student sent."""
        folder = self._stage(Path(submission), provided or {})
        home = str(folder / "home")
        request = {"op": "spawn", "folder": str(folder / "submission"), "modules": list(modules),
                   "limits": self.limits.for_worker(),
                   "uid": self.user and self.user[0], "gid": self.user and self.user[1],
                   # only a leased uid is this sandbox's alone: what it leaves in shared folders may be removed
                   "leased": bool(self._lease and self._lease._file),
                   "env": {"HOME": home, "TMPDIR": home, "MPLCONFIGDIR": home}}
        reply, fds = self._request(request, with_fds=True)
        worker = Worker(self, reply["pid"], fds[0], fds[1], folder, self.limits)
        try:
            worker.wait_imported(modules)
        except BaseException:
            worker.stop()
            raise
        return worker

    def reap(self, pid, ended=False):
        """Kill ``pid`` and everything the workers left behind; say how ``pid`` ended. ``ended``: it is
        ending by itself, so wait a moment for its exit status (the kernel may still be killing it)."""
        try:
            reply, _ = self._request({"op": "reap", "pid": pid, "ended": ended})
            return reply
        except (OSError, SandboxError):
            return {"gone": True}

    def close(self, from_signal_handler=False):
        """Stop the zygote (it kills every worker first) and remove the staging folder.

        A signal handler may interrupt a thread that holds the control lock, so it sends without it:
        at shutdown a message racing another request is harmless, a deadlock is not."""
        try:
            if from_signal_handler:
                self._control.send(json.dumps({"op": "exit"}).encode())
            else:
                with self._lock:
                    self._control.send(json.dumps({"op": "exit"}).encode())
        except OSError:
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._control.close()
        if self._lease is not None:
            self._lease.release()
        shutil.rmtree(self.staging, ignore_errors=True)

    def active_layers(self):
        """The kernel isolation layers the workers run under (see containment.py); starts the zygote if needed."""
        with self._lock:
            self._ensure_ready()
        return set(self.layers)

    @classmethod
    def for_assignment(cls, assignment, private=()):
        """``private``: further folders no worker may read (grade-all's export folder)."""
        return cls(assignment.probes, assignment.sandbox_limits(), protected=[*assignment.protected_paths, *private])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def limits_from_config(config: dict) -> Limits:
    known = asdict(Limits())
    unknown = set(config) - set(known)
    if unknown:
        raise ValueError(f"unknown limits: {', '.join(sorted(unknown))} (known: {', '.join(known)})")
    return Limits(**config)
