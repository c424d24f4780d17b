"""The sandbox side: a warm process that forks one worker per check.

The grading process starts this module with ``python -m grader.sandbox.zygote``. It imports
torch, numpy and the probes (the engine's and the assignment's) once, then waits for requests on a control
socket. For each request it forks a worker that drops to the sandbox user (when started
as root), applies resource limits, imports the submission and answers probe calls. A
worker therefore costs a fork rather than a cold torch import, and a check that crashes
its worker cannot disturb any other check.

The zygote itself never runs student code and never loads the reference or hidden data,
so a worker's memory holds nothing a student may not see. Each worker is forked by its own
supervisor, a root process and child subreaper: whatever the worker leaves behind is
re-parented to the supervisor and killed, with the worker, at ``reap``.
"""
import argparse
import ctypes
import json
import os
import resource
import signal
import socket
import sys
import time

from grader.sandbox import containment, protocol
from grader.sandbox.worker import probe_table, serve

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option, value):
    _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0)


def _children(of_pid):
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # Field 4 is the parent pid; the command name (field 2) may contain spaces.
        fields = stat[stat.rfind(b")") + 2:].split()
        if int(fields[1]) == of_pid:
            kids.append(int(entry))
    return kids


def _tasks_of_user(uid):
    count = 0
    for pid in containment.processes_of(uid):
        try:
            count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass  # it ended meanwhile
    return count


def _describe_status(status):
    if os.WIFSIGNALED(status):
        return {"signal": os.WTERMSIG(status)}
    return {"exit_code": os.WEXITSTATUS(status)}


def _reap(target, grace=0.0):
    """Kill every child (workers and whatever they left behind); report ``target``'s end, waiting up to
    ``grace`` seconds for it when it is ending by itself (a worker the kernel is killing for memory)."""
    result = {"running": True}
    deadline = time.monotonic() + grace
    try:
        while True:
            pid, status = os.waitpid(target, os.WNOHANG)
            if pid:
                result = _describe_status(status)
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
    except ChildProcessError:
        result = {"gone": True}
    for _ in range(1000):
        kids = _children(os.getpid())
        if not kids:
            break
        for kid in kids:
            try:
                os.kill(kid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for kid in kids:
            try:
                os.waitpid(kid, 0)
            except ChildProcessError:
                pass
    return result


def _vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _apply_limits(limits, tasks):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 2))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"], limits["file_bytes"]))
    address_space = limits["baseline_vm"] + limits["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))  # memfds and files held open are bounded too
    # RLIMIT_NPROC counts every task of the user, so allow what the user already runs (``tasks``).
    nproc = tasks + limits["processes"]
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _worker(channel, out_fd, request, probes, baseline_vm, parent_pid, layers):
    """Runs in the forked child; never returns."""
    folder = request["folder"]
    try:
        os.setsid()
        uid, gid = request.get("uid"), request.get("gid")
        if request.get("cgroup"):
            containment.join_cgroup(request["cgroup"])
        # Counted on the machine's /proc, before the worker's own shows only its namespace.
        tasks = _tasks_of_user(uid if uid is not None else os.getuid())
        if "pid" in layers:
            containment.mount_own_proc(request["view"])
        if "mount" in layers:
            containment.chroot_into(request["view"])
        _apply_limits(dict(request["limits"], baseline_vm=baseline_vm), tasks)
        if "user" in layers:
            containment.drop_capabilities()
        if uid is not None:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        # Set after the uid change, which clears it: the worker dies with its supervisor. (The first process
        # of a pid namespace sees its parent, outside, as pid 0.)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != (0 if "pid" in layers else parent_pid):
            os._exit(0)
        if "seccomp" in layers:
            containment.refuse_network()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        os.chdir(folder)
        for key, value in request["env"].items():
            os.environ[key] = value
        # The repository stays out of reach of imports: the engine's packages already know their own folders.
        sys.path[:] = [folder] + [p for p in sys.path if p and os.path.abspath(p) != _REPO_ROOT]
        import torch
        torch.set_num_threads(1)
    except BaseException:
        os._exit(70)

    serve(channel, request["modules"], folder, probes)


_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--probes", required=True)
    parser.add_argument("--view", required=True, help="an empty root-only folder: the mount point of workers' views")
    args = parser.parse_args()
    control = socket.socket(fileno=args.control_fd)
    # The grading process may run under a memory ceiling of its own (a soft limit); workers set theirs.
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))

    import numpy  # noqa: F401  (warm imports shared by every forked worker)
    import torch  # noqa: F401
    import torch.nn.functional  # noqa: F401
    probes = probe_table(args.probes)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    baseline_vm = _vm_bytes()
    layers = containment.detect_layers(args.view)
    os.environ.pop("GRADER_SANDBOX_LAYERS", None)
    control.send(json.dumps({"ready": True, "pid": os.getpid(), "layers": sorted(layers)}).encode())

    supervisors = {}  # worker pid -> (supervisor pid, socket to the supervisor)
    while True:
        try:
            raw = control.recv(1 << 16)
        except OSError:
            raw = b""
        if not raw:
            break
        request = json.loads(raw)
        if request["op"] == "spawn":
            ours, theirs = socket.socketpair()
            out_read, out_write = os.pipe()
            to_supervisor, from_zygote = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            sys.stdout.flush()
            sys.stderr.flush()
            supervisor = os.fork()
            if supervisor == 0:
                try:
                    control.close()
                    ours.close()
                    os.close(out_read)
                    to_supervisor.close()
                    for _, other in supervisors.values():
                        other.close()  # the supervisor of a check running beside this one is none of its business
                    request.update(view=args.view, probes=args.probes)
                    _supervise(from_zygote, theirs, out_write, request, probes, baseline_vm, layers)
                finally:
                    os._exit(70)
            theirs.close()
            os.close(out_write)
            from_zygote.close()
            worker = int(to_supervisor.recv(64))
            supervisors[worker] = (supervisor, to_supervisor)
            socket.send_fds(control, [json.dumps({"pid": worker}).encode()], [ours.fileno(), out_read])
            ours.close()
            os.close(out_read)
        elif request["op"] == "reap":
            status = {"gone": True}
            supervisor, channel = supervisors.pop(request["pid"], (None, None))
            if supervisor is not None:
                try:
                    channel.send(b"ended" if request.get("ended") else b"reap")
                    status = json.loads(channel.recv(1 << 12) or b'{"gone": true}')
                except OSError:
                    pass
                channel.close()
                os.waitpid(supervisor, 0)
            control.send(json.dumps(status).encode())
        elif request["op"] == "exit":
            break
    _reap(-1)
    # The staging folder (the view's parent) goes too, even when the grading process died without closing it.
    import shutil

    shutil.rmtree(os.path.dirname(args.view), ignore_errors=True)
    # Skip interpreter teardown: with torch loaded it costs a noticeable fraction of a run.
    os._exit(0)


def _supervise(zygote, channel, out_fd, request, probes, baseline_vm, layers):
    """One per worker, as root: adopts whatever the worker leaves behind and kills exactly that tree.

    Workers of concurrent checks each have their own supervisor, so reaping one never touches another.
    The supervisor enters the worker's namespaces (see containment.py) first, so they end with it.
    """
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    supervisor = os.getpid()
    isolated = True
    try:
        containment.isolate(layers, request["view"], request["probes"], request["folder"],
                            request["limits"]["file_bytes"])
    except OSError as exc:
        print(f"sandbox: could not isolate the worker: {exc}", file=sys.stderr, flush=True)
        isolated = False
    if "memory" in layers:
        request["cgroup"] = containment.create_memory_cgroup(f"ml-autograder-{request.get('uid')}-{supervisor}",
                                                             request["limits"]["memory_bytes"])
    worker = os.fork()
    if worker == 0:
        zygote.close()
        try:
            if not isolated:
                os._exit(70)  # reported as the sandbox's failure, not the student's
            _worker(channel, out_fd, request, probes, baseline_vm, supervisor, layers)
        finally:
            os._exit(70)
    channel.close()
    os.close(out_fd)
    zygote.send(str(worker).encode())
    try:
        order = zygote.recv(16)  # "reap", "ended" (its channel closed), or end of file if the zygote is gone
    except OSError:
        order = b""
    status = _reap(worker, grace=protocol.ENDING_GRACE if order == b"ended" else 0.0)
    if request.get("cgroup"):
        containment.remove_cgroup(request["cgroup"])
    uid = request.get("uid")
    if uid is not None and request.get("leased") and not {"mount", "ipc"} <= layers:
        # Shared temporary folders and IPC: what the worker's uid (this sandbox's alone) left there goes now.
        containment.remove_left_behind(uid, folders=() if "mount" in layers else containment.SHARED_TEMPORARY)
    try:
        zygote.send(json.dumps(status).encode())
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
