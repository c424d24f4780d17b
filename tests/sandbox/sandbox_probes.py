"""Probes for testing the sandbox itself (loaded by the zygote like an assignment's probes)."""
import os
import sys
import time


def whoami(sub):
    return {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}


def read(sub, path):
    try:
        with open(path, "rb") as f:
            return {"ok": True, "size": len(f.read())}
    except OSError as exc:
        return {"ok": False, "error": type(exc).__name__}


def loaded_module_files(sub):
    return sorted(str(getattr(m, "__file__", None)) for m in list(sys.modules.values()))


def sleep(sub, seconds):
    time.sleep(seconds)
    return "woke"


def leave_orphan(sub):
    """Double-fork a process that escapes the worker's session and would sleep for ten minutes."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    return "left"


def answer(sub, module, name):
    return getattr(sub.modules[module], name)


def kill(sub, pid):
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
        return "killed"
    except OSError as exc:
        return type(exc).__name__


def write(sub, path, text):
    try:
        with open(path, "w") as f:
            f.write(text)
        return "written"
    except OSError as exc:
        return type(exc).__name__


def connect(sub, host, port):
    import socket

    try:
        with socket.create_connection((host, port), timeout=2):
            return "connected"
    except OSError as exc:
        return type(exc).__name__


def sys_path(sub):
    return list(sys.path)


def open_sockets(sub):
    """How many of the worker's descriptors are sockets (its channel to the grader is one)."""
    import stat

    return sum(1 for fd in range(3, 1024) if _is_socket(fd, stat))


def _is_socket(fd, stat):
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False


def shared_memory_segment(sub, size):
    """A System V shared memory segment of ``size`` bytes; its id."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    IPC_PRIVATE, IPC_CREAT = 0, 0o1000
    return libc.shmget(IPC_PRIVATE, ctypes.c_size_t(size), IPC_CREAT | 0o600)


def hold_memfds(sub, count, megabytes):
    """Memory held outside the address space: ``count`` memfds of ``megabytes`` each, kept open."""
    held = []
    for _ in range(count):
        fd = os.memfd_create("held")
        block = b"\1" * (1 << 20)
        for _ in range(megabytes):
            os.write(fd, block)
        held.append(fd)
    sub.state["memfds"] = held
    return len(held)


def index_own_list(sub, position):
    """A probe with a bug of its own: it indexes a list of the grader's past its end."""
    return [1, 2, 3][position]


def call_student(sub, module, name, *args):
    """Calls the student's function: whatever it raises is the student's."""
    return getattr(sub.modules[module], name)(*args)


def missing_name(sub, module, name):
    return sub.attr(module, name)


def start_child(sub):
    """A child process that would outlive the worker if nothing ended it; returns its pid."""
    import subprocess

    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid


def exit_now(sub, code):
    os._exit(code)


def processes(sub):
    """The process ids this worker can list in /proc."""
    return sorted(int(name) for name in os.listdir("/proc") if name.isdigit())


def capabilities(sub):
    """The worker's effective and bounding capability sets, as /proc/self/status shows them."""
    with open("/proc/self/status") as f:
        return {line.split(":")[0]: int(line.split()[1], 16) for line in f if line.startswith(("CapEff", "CapBnd"))}
