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


def start_child(sub):
    """A child process that would outlive the worker if nothing ended it; returns its pid."""
    import subprocess

    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]).pid


def exit_now(sub, code):
    os._exit(code)
