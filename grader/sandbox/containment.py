"""The kernel's isolation layers around one worker, applied by its root supervisor before the worker runs.

Layers (each detected once when the zygote starts; ``GRADER_SANDBOX_LAYERS`` can narrow them, for
example ``permissions`` to force the fallback):

- ``mount``: a private mount namespace in which the worker is chrooted into a minimal view: the system's
  libraries (read-only), Python and its packages, the worker's side of the engine and the probes, the
  assignment's public data, and its own staged copy. Fresh size-limited tmpfs on ``/tmp``, ``/var/tmp``
  and ``/dev/shm`` that vanish with the worker, and a ``/proc`` that shows only the worker's own user.
- ``network``: a fresh network namespace (only a loopback that is down: no socket reaches anything).
- ``ipc``: a fresh System V IPC namespace (shared memory segments die with the worker).
- ``seccomp``: a filter that refuses every socket but a Unix one, and io_uring (which could make one).
- ``memory``: a memory cgroup of the worker's own (beneath the grader's), so memory held outside the
  address space (memfds, tmpfs, shared memory) counts against the worker's limit too.

Without ``mount`` (Gradescope's Docker refuses it) the sandbox falls back to permissions: the repository's
private folders are closed to other users, the repository leaves the worker's ``sys.path``, and whatever
the worker's uid (leased machine-wide) leaves in the shared temporary folders and System V IPC is
removed when the worker is reaped.
"""
import ctypes
import errno
import os
import platform
import socket
import stat
import sys
from pathlib import Path

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWPID = 0x00020000, 0x08000000, 0x40000000, 0x20000000
CLONE_NEWUSER = 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
NAMESPACE_LAYERS = ("mount", "network", "ipc", "pid")
# "user": without root, a user namespace is what lets the other namespace layers be made at all.
ALL_LAYERS = ("user", *NAMESPACE_LAYERS, "seccomp", "memory")
SHARED_TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm")
DEVICES = ("null", "zero", "full", "random", "urandom")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")

_libc = ctypes.CDLL(None, use_errno=True)
LINUX = sys.platform.startswith("linux")
if LINUX:
    _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    _libc.unshare.argtypes = [ctypes.c_int]
    _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]


def _checked(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def unshare(flags):
    _checked(_libc.unshare(flags), "unshare")


def mount(source, target, fstype=None, flags=0, data=None):
    encode = lambda s: None if s is None else str(s).encode()  # noqa: E731
    _checked(_libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def requested_layers():
    """The layers allowed by GRADER_SANDBOX_LAYERS (default: all); ``permissions`` or ``none`` allow none."""
    text = os.environ.get("GRADER_SANDBOX_LAYERS", "").strip()
    if not text or text == "all":
        return set(ALL_LAYERS)
    wanted = {w.strip() for w in text.split(",") if w.strip()} - {"permissions", "none"}
    unknown = wanted - set(ALL_LAYERS)
    if unknown:
        raise ValueError(f"GRADER_SANDBOX_LAYERS: unknown layers {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(ALL_LAYERS)}, permissions)")
    return wanted


# ------------------------------------------------------------------------------ seccomp

# (audit architecture, socket, io_uring_setup) per machine; x32 numbers (bit 30) are refused outright.
_SECCOMP_ARCH = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _network_filter():
    """The filter with its jumps laid out: allow, then refuse, at the end."""
    arch, nr_socket, nr_io_uring = _SECCOMP_ARCH[platform.machine()]
    ld_w_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    return [
        (ld_w_abs, 0, 0, 4),                    # 0: seccomp_data.arch
        (jeq, 1, 0, arch),                      # 1: this ABI -> 3
        (ret, 0, 0, SECCOMP_RET_KILL_PROCESS),  # 2: another ABI: its numbers mean other calls
        (ld_w_abs, 0, 0, 0),                    # 3: seccomp_data.nr
        (jge, 5, 0, 0x40000000),                # 4: x32 system calls -> refuse (10)
        (jeq, 4, 0, nr_io_uring),               # 5: io_uring can open sockets itself -> refuse (10)
        (jeq, 0, 2, nr_socket),                 # 6: socket() -> 7, else allow (9)
        (ld_w_abs, 0, 0, 16),                   # 7: args[0], the address family
        (jeq, 0, 1, socket.AF_UNIX),            # 8: AF_UNIX -> allow (9), else refuse (10)
        (ret, 0, 0, SECCOMP_RET_ALLOW),         # 9
        (ret, 0, 0, SECCOMP_RET_ERRNO | errno.EACCES),  # 10
    ]


def refuse_network():
    """Install the socket filter on the calling thread's process (inherited by everything it starts)."""
    program = _network_filter()
    array = (_SockFilter * len(program))(*[_SockFilter(*instruction) for instruction in program])
    fprog = _SockFprog(len(program), array)
    _checked(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0), "prctl(NO_NEW_PRIVS)")
    _checked(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.cast(ctypes.pointer(fprog), ctypes.c_void_p),
                         0, 0), "prctl(SECCOMP)")


# ------------------------------------------------------------------------------ the worker's view

def _covered(path, bound):
    return any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound)


def view_paths(probes_module, submission_folder):
    """(read-only binds, private-folder binds) for a worker: each a path as the worker names it."""
    repo = Path(__file__).resolve().parents[2]
    readonly = [p for p in SYSTEM if os.path.lexists(p)]
    python = {sys.base_prefix, sys.prefix, sys.exec_prefix}
    python.update(p for p in sys.path if p and os.path.isdir(p))
    # Never a folder holding the repository (the repository itself, or a PYTHONPATH such as /home/ta).
    real_repo = os.path.realpath(repo)
    python = {p for p in python if not (real_repo + "/").startswith(os.path.realpath(p).rstrip("/") + "/")}
    readonly += sorted(python, key=len)
    # The sandbox wing and what it imports from the package; never the core, the staff tools or the checks.
    readonly += [str(repo / "grader" / name) for name in ("__init__.py", "errors.py", "sandbox")]
    # The probes' module and the packages leading to it (their __init__ files only).
    parts = probes_module.split(".")
    for depth in range(1, len(parts)):
        init = repo.joinpath(*parts[:depth], "__init__.py")
        if init.exists():
            readonly.append(str(init))
    readonly.append(str(repo.joinpath(*parts[:-1], parts[-1] + ".py")))
    if parts[:2] == ["grader", "assignments"] and len(parts) > 2:
        # The public data (hidden/ and cache/ are masked below): the checkout's, or the student zip's, which
        # keeps it beside the engine (a zip has no reference folder: see assignments.IN_STUDENT_ZIP).
        public = repo / "data" / parts[2] if (repo / "reference").is_dir() else repo.parent / "data"
        if public.is_dir():
            readonly.append(str(public))
    masked = [str(repo / "data" / parts[2] / name) for name in ("hidden", "cache")] \
        if parts[:2] == ["grader", "assignments"] and len(parts) > 2 else []
    return readonly, [p for p in masked if os.path.isdir(p)], str(Path(submission_folder).parent)


def _make_path(root, path, directory=True):
    """Create ``path`` inside ``root`` (folders along it, then a folder or an empty file), never following links."""
    target = root
    parts = [p for p in Path(path).parts if p != "/"]
    for index, part in enumerate(parts):
        target = os.path.join(target, part)
        last = index == len(parts) - 1
        if os.path.lexists(target):
            continue
        if last and not directory:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644))
        else:
            os.mkdir(target, 0o755)
    return target


def _locked_flags(path):
    """The flags of the mount holding ``path`` that a remount inside a user namespace must keep."""
    found = os.statvfs(path).f_flag
    flags = found & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    return flags | (MS_RELATIME if found & 4096 else 0)  # ST_RELATIME differs from MS_RELATIME


def _bind(root, path, readonly=True, flags=MS_NOSUID):
    source = os.path.realpath(path)
    target = _make_path(root, path, directory=os.path.isdir(source))
    mount(source, target, None, MS_BIND | MS_REC)
    if readonly:
        try:
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags | _locked_flags(source))
        except OSError:
            # As root the worker runs as another uid, which cannot write the grader's files anyway. In a user
            # namespace it runs as the grader's own uid: a view it could write to is no view.
            if os.geteuid() != 0:
                raise
    return target


def enter_view(root, probes_module, submission_folder, tmp_bytes):
    """In a fresh mount namespace (the caller unshared it): build the worker's view at ``root``.
    The worker then chroots into it (``chroot_into``) before dropping privileges."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    readonly, masked, private = view_paths(probes_module, submission_folder)
    # The private temporary folders first: what is bound next may lie beneath them (a checkout in /tmp).
    for path in SHARED_TEMPORARY:
        if path == "/dev/shm":
            continue
        mount("tmpfs", _make_path(root, path), "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
    bound = []
    for path in readonly:
        if _covered(path, bound) or not os.path.lexists(path):
            continue
        if os.path.islink(path) and path in SYSTEM:
            os.symlink(os.readlink(path), os.path.join(root, path.lstrip("/")))  # /bin -> usr/bin
        else:
            _bind(root, path)
        bound.append(path)
    for path in masked:
        mount("tmpfs", os.path.join(root, path.lstrip("/")), "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY,
              "size=4k,mode=0755")
    _bind(root, private, readonly=False)  # the worker's own staged copy and home, beneath the private /tmp
    dev = _make_path(root, "/dev")
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        _bind(root, f"/dev/{name}", readonly=False, flags=0)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    mount("tmpfs", _make_path(root, "/dev/shm"), "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")
    _mount_proc(_make_path(root, "/proc"))
    if os.path.isdir("/sys"):
        try:
            _bind(root, "/sys")
        except OSError:
            pass  # nothing needs it; numpy and torch fall back to other ways of counting cores
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755")


def _mount_proc(proc):
    """A /proc of its own that lists only the worker's own user's processes; in a user namespace, which may
    not make one for the machine's pid namespace, the machine's (the worker then mounts its own over it)."""
    try:
        mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    except OSError:
        mount("/proc", proc, None, MS_BIND | MS_REC)


def chroot_into(root):
    os.chroot(root)
    os.chdir("/")


def enter_user_namespace():
    """Without root: a user namespace in which this process may make the others. The grader's own uid and
    gid map to themselves, so files keep their owners; every other id shows as the overflow id."""
    uid, gid = os.getuid(), os.getgid()
    unshare(CLONE_NEWUSER)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


PR_CAPBSET_DROP, _CAP_LAST = 24, 63
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def drop_capabilities():
    """In the worker, in a user namespace, once its view is built: every capability goes (a worker with
    CAP_SYS_ADMIN or CAP_SYS_CHROOT in its namespace could undo the view), from every set, for good."""
    for capability in range(_CAP_LAST + 1):
        if _libc.prctl(PR_CAPBSET_DROP, capability, None, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            _checked(-1, "PR_CAPBSET_DROP")
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable; two 32-bit words each, all zero
    _checked(_libc.capset(header, data), "capset")


def isolate(layers, view_root, probes_module, submission_folder, tmp_bytes):
    """In the supervisor before it forks the worker: the namespace layers among ``layers`` (as root, or in a
    user namespace of its own without root). A new pid namespace takes effect at the fork: the worker is its
    first process, and when the worker ends the kernel ends every process it started."""
    if "user" in layers:
        enter_user_namespace()
    flags = (CLONE_NEWNS if "mount" in layers else 0) | (CLONE_NEWNET if "network" in layers else 0) | \
        (CLONE_NEWIPC if "ipc" in layers else 0) | (CLONE_NEWPID if "pid" in layers else 0)
    if flags:
        unshare(flags)
    if "mount" in layers:
        enter_view(view_root, probes_module, submission_folder, tmp_bytes)


def mount_own_proc(view_root):
    """As root, in the worker (the first process of its pid namespace), before it enters its view: a /proc
    that lists the namespace's processes only (the view's /proc was mounted in the supervisor's)."""
    mount("proc", os.path.join(view_root, "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")


def processes_of(uid):
    """The pids of every process running as ``uid``, as this process's /proc lists them."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except OSError:
                pass  # it ended meanwhile
    return found


def detect_layers(view_root):
    """The layers that work here (tried in a throw-away child), among those requested."""
    wanted = requested_layers()
    if not LINUX:
        return set()
    if os.geteuid() == 0:
        wanted.discard("user")  # root makes the namespaces directly
    found = set()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        works = []
        if os.geteuid() != 0:
            try:
                if "user" not in wanted:
                    raise OSError("no user namespace wanted")
                enter_user_namespace()
                works.append("user")
            except OSError:
                wanted.difference_update(NAMESPACE_LAYERS)
        for name, flag in (("network", CLONE_NEWNET), ("ipc", CLONE_NEWIPC), ("mount", CLONE_NEWNS)):
            if name not in wanted:
                continue
            try:
                unshare(flag)
                if name == "mount":
                    mount(None, "/", None, MS_REC | MS_PRIVATE)
                    mount("tmpfs", view_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k")
                    os.mkdir(os.path.join(view_root, "proc"))
                    _mount_proc(os.path.join(view_root, "proc"))
                works.append(name)
            except OSError:
                pass
        if "pid" in wanted and "mount" in works:  # the worker mounts its namespace's /proc in its view
            try:
                unshare(CLONE_NEWPID)
                first = os.fork()
                if first == 0:
                    try:
                        mount_own_proc(view_root)
                        os._exit(0 if os.getpid() == 1 and os.listdir(os.path.join(view_root, "proc", "1")) else 1)
                    finally:
                        os._exit(1)
                _, status = os.waitpid(first, 0)
                if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                    works.append("pid")
            except OSError:
                pass
        if "memory" in wanted and os.geteuid() == 0:
            folder = create_memory_cgroup(f"ml-autograder-probe-{os.getpid()}", 1 << 30)
            if folder is not None:
                works.append("memory")
                remove_cgroup(folder)
        if "seccomp" in wanted and platform.machine() in _SECCOMP_ARCH:
            try:
                refuse_network()
                try:
                    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
                except PermissionError:
                    works.append("seccomp")
            except OSError:
                pass
        os.write(write, ",".join(works).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        found = {w for w in pipe.read().decode().split(",") if w}
    os.waitpid(child, 0)
    return found


# ------------------------------------------------------------------------------ a memory cgroup per worker

CGROUP_ROOT = "/sys/fs/cgroup"


def _own_memory_cgroup():
    """(folder of this process's memory cgroup, the file that takes a limit), or None."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):  # cgroup v1
            return os.path.join(CGROUP_ROOT, "memory", path.lstrip("/")), "memory.limit_in_bytes"
    for line in lines:
        if line.startswith("0::"):  # cgroup v2: only where the memory controller is delegated to children
            folder = os.path.join(CGROUP_ROOT, line[3:].lstrip("/"))
            try:
                with open(os.path.join(folder, "cgroup.subtree_control")) as f:
                    if "memory" in f.read().split():
                        return folder, "memory.max"
            except OSError:
                return None
    return None


def create_memory_cgroup(name, limit_bytes):
    """A new memory cgroup limited to ``limit_bytes``, beneath this process's own; its folder, or None."""
    own = _own_memory_cgroup()
    if own is None:
        return None
    parent, limit_file = own
    folder = os.path.join(parent, name)
    try:
        os.mkdir(folder)
    except OSError:
        return None
    try:
        with open(os.path.join(folder, limit_file), "w") as f:
            f.write(str(limit_bytes))
    except OSError:
        remove_cgroup(folder)
        return None
    return folder


def remove_stale_cgroups(uid):
    """Remove the memory cgroups left by sandboxes of ``uid`` whose supervisor was killed before it could
    (only the holder of ``uid``'s lease calls this, so none of them is in use). Returns how many."""
    own = _own_memory_cgroup()
    if own is None:
        return 0
    try:
        names = [n for n in os.listdir(own[0]) if n.startswith(f"ml-autograder-{uid}-")]
    except OSError:
        return 0
    return sum(remove_cgroup(os.path.join(own[0], name), attempts=1) for name in names)


def join_cgroup(folder):
    with open(os.path.join(folder, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))


def remove_cgroup(folder, attempts=200):
    """Remove a cgroup once its last process is gone (a killed process can take a moment to leave it)."""
    import time

    for _ in range(attempts):
        try:
            os.rmdir(folder)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(0.01)
    return False


# ------------------------------------------------------------------------------ the permissions fallback

def _remove(path):
    """Remove ``path`` (a file, link or folder tree) without following any link."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode):
        try:
            entries = os.listdir(path)
        except OSError:
            entries = []
        for entry in entries:
            _remove(os.path.join(path, entry))
        try:
            os.rmdir(path)
        except OSError:
            pass
    else:
        try:
            os.unlink(path)
        except OSError:
            pass


def remove_left_behind(uid, folders=SHARED_TEMPORARY, depth=3):
    """Remove what ``uid`` owns in the shared temporary folders (only where it could write), and its
    System V shared memory. The uid is leased to one sandbox machine-wide, so nothing else is touched.
    Returns the number of entries removed."""
    removed = 0

    def sweep(folder, level):
        nonlocal removed
        try:
            entries = os.listdir(folder)
        except OSError:
            return
        for entry in entries:
            path = os.path.join(folder, entry)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if info.st_uid == uid:
                _remove(path)
                removed += 1
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH and level < depth:
                sweep(path, level + 1)  # a shared writable folder (say /tmp/.X11-unix) may hold its files

    for folder in folders:
        sweep(folder, 1)
    removed += _remove_shared_memory(uid)
    return removed


def _remove_shared_memory(uid):
    removed = 0
    try:
        with open("/proc/sysvipc/shm") as table:
            rows = table.read().splitlines()[1:]
    except OSError:
        return 0
    IPC_RMID = 0
    for row in rows:
        fields = row.split()
        if len(fields) > 7 and int(fields[7]) == uid:  # key shmid perms size cpid lpid nattch uid ...
            if _libc.shmctl(int(fields[1]), IPC_RMID, None) == 0:
                removed += 1
    return removed


def describe(layers, as_root):
    """Rows (layer, active, what it leaves open) for ``python -m grader doctor``."""
    rows = [("sandbox user (leased uid)", as_root,
             "" if as_root else "the submission runs as you" + (
                 "; the namespaces below keep it from what you can read" if "user" in layers and "mount" in layers
                 else " and can read what you can read"))]
    if not as_root:
        rows.append(("user namespace (makes the others without root)", "user" in layers,
                     "" if "user" in layers else "no namespace below can be made"))
    rows.append(("mount namespace (minimal view)", "mount" in layers,
                 "" if "mount" in layers else
                 "permissions instead: the checkout's private folders and the export are closed; "
                 "other world-readable files on the machine stay readable"))
    rows.append(("private /tmp, /var/tmp, /dev/shm", "mount" in layers,
                 "" if "mount" in layers else "shared; the worker's leftovers are removed when it is reaped"))
    rows.append(("/proc limited to the worker's user", "mount" in layers,
                 "" if "mount" in layers else "other processes' command lines are readable"))
    rows.append(("pid namespace", "pid" in layers,
                 "" if "pid" in layers else "the worker sees the processes of its sandbox user (other checks of the "
                 "same submission); its leftovers are killed when it is reaped"))
    rows.append(("network namespace", "network" in layers,
                 "" if "network" in layers else ("sockets refused by seccomp" if "seccomp" in layers
                                                 else "the network is open")))
    rows.append(("seccomp socket filter", "seccomp" in layers,
                 "" if "seccomp" in layers else "no second line against sockets"))
    rows.append(("memory cgroup per worker", "memory" in layers,
                 "" if "memory" in layers else "memfds and shared memory escape the address-space limit "
                 "(bounded by open files x file size)"))
    rows.append(("IPC namespace", "ipc" in layers,
                 "" if "ipc" in layers else "System V shared memory is shared; removed when the worker is reaped"))
    return rows

