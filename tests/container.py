"""A Gradescope-like container on this machine: a memory and a CPU cgroup (v1, or v2 where its
controllers are enabled), made below this process's own cgroups and removed afterwards.

    with Container(memory_mb=768, cpus=0.5) as box:
        subprocess.run(box.command(["bash", "run_autograder"]))
        box.peak_mb  # the cgroup's own high-water mark (page cache included)
"""
import os
import time
import uuid
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _own_path(controller):
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


def available():
    """Why no container can be made here, or None when one can."""
    if os.geteuid() != 0:
        return "needs root"
    if (CGROUP / "memory").is_dir() and (CGROUP / "cpu").is_dir():
        return None
    if "memory" in (Path(CGROUP, "cgroup.controllers").read_text() if (CGROUP / "cgroup.controllers").exists() else ""):
        return None
    return "no v1 memory and cpu controllers, and no v2 memory controller"


class Container:
    def __init__(self, memory_mb, cpus):
        self.memory_mb, self.cpus, self.name = memory_mb, cpus, f"grader-test-{uuid.uuid4().hex[:10]}"
        self.folders = []

    def __enter__(self):
        period = 100_000
        if (CGROUP / "memory").is_dir() and (CGROUP / "cpu").is_dir():
            memory = CGROUP / "memory" / _own_path("memory").lstrip("/") / self.name
            cpu = CGROUP / "cpu" / _own_path("cpu").lstrip("/") / self.name
            for folder in (memory, cpu):
                folder.mkdir()
                self.folders.append(folder)
            (memory / "memory.limit_in_bytes").write_text(str(self.memory_mb << 20))
            if (memory / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                (memory / "memory.memsw.limit_in_bytes").write_text(str(self.memory_mb << 20))
            (cpu / "cpu.cfs_period_us").write_text(str(period))
            (cpu / "cpu.cfs_quota_us").write_text(str(int(self.cpus * period)))
            self._peak = memory / "memory.max_usage_in_bytes"
        else:
            folder = CGROUP / _own_path("").lstrip("/") / self.name
            folder.mkdir()
            self.folders.append(folder)
            (folder / "memory.max").write_text(str(self.memory_mb << 20))
            if (folder / "memory.swap.max").exists():
                (folder / "memory.swap.max").write_text("0")
            (folder / "cpu.max").write_text(f"{int(self.cpus * period)} {period}")
            self._peak = folder / "memory.peak"
        return self

    def command(self, argv):
        """``argv`` run inside the container (the shell joins the cgroups, then execs it)."""
        joins = " && ".join(f"echo $$ > {folder / 'cgroup.procs'}" for folder in self.folders)
        return ["sh", "-c", f'{joins} && exec "$@"', "sh", *map(str, argv)]

    @property
    def peak_mb(self):
        try:
            return int(self._peak.read_text()) / 2**20
        except OSError:
            return float("nan")

    def reset_peak(self):
        try:
            self._peak.write_text("0")
        except OSError:
            pass

    def __exit__(self, *exc):
        for folder in self.folders:
            deadline = time.monotonic() + 10
            while True:
                try:
                    folder.rmdir()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
