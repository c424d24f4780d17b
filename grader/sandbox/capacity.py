"""The CPU and memory this process may use, and how many checks or submissions to grade at once.

Inside a container, ``os.cpu_count()`` and the machine's memory describe the host, not what the
container may use: Gradescope's default container has half a CPU and 768 MB on a host of many
cores. The limits are those of the process's cgroup (v2's ``cpu.max`` and ``memory.max``, v1's CFS
quota and ``memory.limit_in_bytes``), the tightest along the path to the root, and the CPU affinity.
"""
import math
import os
from dataclasses import dataclass
from pathlib import Path

# A run with two checks at once: the grader, the zygote and two workers. The largest measured is
# cs689-hw4's, about 810 MB (PSS), since two workers each receive the mixture model; with one check at
# a time it stays near 650 MB. Below this limit, one check at a time.
TWO_CHECKS_MB = 1024
# One process of grade-all (its own grader, zygote and one worker at a time).
GRADE_ALL_JOB_MB = 768
UNLIMITED = 1 << 60  # v1 writes "no limit" as a huge page-aligned number


@dataclass(frozen=True)
class Capacity:
    cpus: float             # CPUs' worth of time per second (a quota of 50 ms per 100 ms is 0.5)
    memory_bytes: int       # the cgroup's memory limit, or the machine's memory where there is none
    source: str             # where the figures come from, for messages and tests

    @property
    def memory_mb(self):
        return self.memory_bytes / 2**20


def _read(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _cgroup_paths(proc):
    """{controller: path} of this process's cgroups (v2's single hierarchy is controller "")."""
    paths = {}
    for line in (_read(proc / "self" / "cgroup") or "").splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _mounts(proc):
    """[(mount point, root inside the hierarchy, filesystem type, super options)] of cgroup filesystems."""
    found = []
    for line in (_read(proc / "self" / "mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) >= 5 and len(after) >= 3 and after[0] in ("cgroup", "cgroup2"):
            found.append((Path(fields[4]), fields[3], after[0], set(after[2].split(","))))
    return found


def _folders(mount, mount_root, path):
    """The cgroup's folder and its ancestors' below the mount, innermost first."""
    relative = os.path.relpath(path, mount_root) if path.startswith(mount_root) else path.lstrip("/")
    folder = (mount / relative).resolve() if relative != "." else mount
    while True:
        yield folder
        if folder == mount or mount not in folder.parents:
            return
        folder = folder.parent


def _v2_limits(mount, mount_root, path):
    cpus, memory = math.inf, UNLIMITED
    for folder in _folders(mount, mount_root, path):
        quota = (_read(folder / "cpu.max") or "max").split()
        if quota[0] != "max":
            cpus = min(cpus, int(quota[0]) / int(quota[1] if len(quota) > 1 else 100000))
        limit = _read(folder / "memory.max") or "max"
        if limit != "max":
            memory = min(memory, int(limit))
    return cpus, memory


def _v1_cpu(mount, mount_root, path):
    cpus = math.inf
    for folder in _folders(mount, mount_root, path):
        quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        if quota and period and int(quota) > 0:
            cpus = min(cpus, int(quota) / int(period))
    return cpus


def _v1_memory(mount, mount_root, path):
    memory = UNLIMITED
    for folder in _folders(mount, mount_root, path):
        limit = _read(folder / "memory.limit_in_bytes")
        if limit and int(limit) < UNLIMITED:
            memory = min(memory, int(limit))
    return memory


def _machine_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return UNLIMITED


def capacity(proc=Path("/proc")) -> Capacity:
    """This process's CPU quota and memory limit (``proc`` is /proc; tests pass a fake one)."""
    proc = Path(proc)
    paths, cpus, memory, sources = _cgroup_paths(proc), math.inf, UNLIMITED, []
    for mount, mount_root, kind, options in _mounts(proc):
        if kind == "cgroup2" and "" in paths:
            c, m = _v2_limits(mount, mount_root, paths[""])
            cpus, memory = min(cpus, c), min(memory, m)
            sources.append("cgroup v2")
        elif kind == "cgroup" and "cpu" in options and "cpu" in paths:
            cpus = min(cpus, _v1_cpu(mount, mount_root, paths["cpu"]))
            sources.append("cgroup v1 cpu")
        elif kind == "cgroup" and "memory" in options and "memory" in paths:
            memory = min(memory, _v1_memory(mount, mount_root, paths["memory"]))
            sources.append("cgroup v1 memory")
    try:
        cores = len(os.sched_getaffinity(0)) if proc == Path("/proc") else os.cpu_count()
    except AttributeError:
        cores = os.cpu_count()
    return Capacity(cpus=min(cpus, cores or 1), memory_bytes=min(memory, _machine_memory()),
                    source=", ".join(sources) or "the machine")


def check_threads(limits: Capacity = None) -> int:
    """How many checks of one submission run at once: two (while one waits for its worker, the other
    computes), or one when there is less than a whole CPU or too little memory for two workers.
    ``GRADER_CHECK_THREADS`` overrides it."""
    if os.environ.get("GRADER_CHECK_THREADS", "").isdigit():
        return max(1, int(os.environ["GRADER_CHECK_THREADS"]))
    limits = limits or capacity()
    return 2 if limits.cpus >= 1 and limits.memory_mb >= TWO_CHECKS_MB else 1


def grade_all_jobs(limits: Capacity = None) -> int:
    """How many submissions grade-all grades at once: one per whole CPU, as many as the memory holds."""
    limits = limits or capacity()
    return max(1, min(int(limits.cpus), int(limits.memory_mb // GRADE_ALL_JOB_MB)))


def fit_torch_threads(limits: Capacity = None):
    """Caps this process's torch threads at its whole CPUs: torch starts one per core of the host, and in a
    container of half a CPU on a host of 64 cores those threads only spend the quota fighting each other."""
    import torch

    limits = limits or capacity()
    allowed = max(1, int(limits.cpus))
    if torch.get_num_threads() > allowed:
        torch.set_num_threads(allowed)
