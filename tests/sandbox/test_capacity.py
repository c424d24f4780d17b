"""The grader sizes itself to its container: cgroup v1 and v2 limits, and the choices made from them."""
import json
import subprocess
import sys

import pytest

import container
from conftest import REPO
from grader.sandbox import capacity
from grader.sandbox.capacity import Capacity, check_threads, grade_all_jobs


def fake_proc(tmp_path, cgroup_lines, mounts):
    """A /proc/self with ``cgroup`` and ``mountinfo``; ``mounts`` is [(mount point, root, type, options)]."""
    (tmp_path / "proc" / "self").mkdir(parents=True)
    (tmp_path / "proc" / "self" / "cgroup").write_text("\n".join(cgroup_lines) + "\n")
    info = [f"{30 + i} 23 0:{40 + i} {root} {point} rw,relatime - {kind} {kind} rw,{options}"
            for i, (point, root, kind, options) in enumerate(mounts)]
    (tmp_path / "proc" / "self" / "mountinfo").write_text("\n".join(info) + "\n")
    return tmp_path / "proc"


def write(folder, **files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text + "\n")


def test_v2_quota_and_limit_the_tightest_along_the_path(tmp_path):
    fs = tmp_path / "cg2"
    write(fs / "outer", cpu__max="200000 100000", memory__max=str(768 << 20))
    write(fs / "outer" / "inner", cpu__max="50000 100000", memory__max="max")
    proc = fake_proc(tmp_path, ["0::/outer/inner"], [(fs, "/", "cgroup2", "")])
    found = capacity.capacity(proc)
    assert found.cpus == 0.5 and found.memory_bytes == 768 << 20 and found.source == "cgroup v2"


def test_v2_without_limits_is_the_machine(tmp_path):
    fs = tmp_path / "cg2"
    write(fs, cpu__max="max 100000", memory__max="max")
    found = capacity.capacity(fake_proc(tmp_path, ["0::/"], [(fs, "/", "cgroup2", "")]))
    assert found.memory_bytes == capacity._machine_memory() and found.cpus >= 1


def test_v1_cpu_and_memory_controllers_inside_a_docker_namespace(tmp_path):
    # Docker mounts the container's own cgroup as the hierarchy's root: /proc/self/cgroup says "/docker/<id>"
    # while the mount's root is the same path, so the limits are in the mount point itself.
    cpu, memory = tmp_path / "cpu", tmp_path / "memory"
    write(cpu, cpu__cfs_quota_us="50000", cpu__cfs_period_us="100000")
    write(memory, memory__limit_in_bytes=str(768 << 20))
    proc = fake_proc(tmp_path, ["4:memory:/docker/abc", "2:cpu,cpuacct:/docker/abc", "1:name=systemd:/docker/abc"],
                     [(cpu, "/docker/abc", "cgroup", "cpu,cpuacct"), (memory, "/docker/abc", "cgroup", "memory")])
    found = capacity.capacity(proc)
    assert (found.cpus, found.memory_mb) == (0.5, 768)
    assert check_threads(found) == 1


def test_v1_unlimited_values_mean_no_limit(tmp_path):
    cpu, memory = tmp_path / "cpu", tmp_path / "memory"
    write(cpu / "job", cpu__cfs_quota_us="-1", cpu__cfs_period_us="100000")
    write(memory / "job", memory__limit_in_bytes="9223372036854771712")
    proc = fake_proc(tmp_path, ["4:memory:/job", "2:cpu:/job"],
                     [(cpu, "/", "cgroup", "cpu"), (memory, "/", "cgroup", "memory")])
    found = capacity.capacity(proc)
    assert found.memory_bytes == capacity._machine_memory() and found.cpus >= 1


@pytest.mark.parametrize("cpus, memory_mb, threads, jobs", [
    (0.5, 768, 1, 1),     # Gradescope's default container
    (2, 768, 1, 1),       # two CPUs but no room for two workers of cs689-hw4
    (1, 1024, 2, 1),      # a whole CPU and room for two
    (8, 16384, 2, 8),     # a TA's laptop
    (32, 4096, 2, 5),     # many cores, little memory: as many jobs as the memory holds
])
def test_threads_and_jobs_from_the_limits(cpus, memory_mb, threads, jobs):
    limits = Capacity(cpus=cpus, memory_bytes=memory_mb << 20, source="test")
    assert (check_threads(limits), grade_all_jobs(limits)) == (threads, jobs)


def test_environment_overrides_the_thread_count(monkeypatch):
    monkeypatch.setenv("GRADER_CHECK_THREADS", "2")
    assert check_threads(Capacity(cpus=0.5, memory_bytes=768 << 20, source="test")) == 2


@pytest.mark.skipif(container.available() is not None, reason=str(container.available()))
def test_a_real_cgroup_is_read_from_inside():
    probe = "import json, torch; from grader.sandbox import capacity; c = capacity.capacity(); " \
            "capacity.fit_torch_threads(c); " \
            "print(json.dumps([c.cpus, c.memory_mb, capacity.check_threads(c), torch.get_num_threads()]))"
    with container.Container(memory_mb=768, cpus=0.5) as box:
        done = subprocess.run(box.command([sys.executable, "-c", probe]), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [0.5, 768, 1, 1]
