"""A whole class graded in one command: a Gradescope export of 34 submissions mixing correct, wrong,
broken and hostile code, then resumed, then checked against the individual results."""
import csv
import json
import os
import shutil
import statistics
import time

import pytest

from conftest import CORPUS, REPO, run_cli, validate_results
from grader.staff.batch import discover

CS446 = CORPUS / "cs446_hw2"
HOSTILE = CORPUS / "cs446_hw2_hostile"


def make_class(root):
    """A Gradescope-style export; returns {folder: expected total or None when only 'graded' matters}."""
    expected, metadata = {}, []
    sources = [(p.name, p, 13.5 if p.name.startswith("correct") else None) for p in sorted(CS446.iterdir())
               if p.is_dir()]
    sources += [("reference", REPO / "reference" / "cs446_hw2", 13.5),
                ("template", REPO / "student_template" / "cs446_hw2", 0.0)]
    sources += [(f"hostile_{name}", HOSTILE / name, score) for name, score in
                [("sys_exit", 0.0), ("os_exit", 0.0), ("fork_bomb", 13.5), ("huge_output", 13.5),
                 ("monkeypatch", None), ("forge_protocol", 0.0), ("kill_parent", 0.0), ("infinite_loop", 0.0)]]
    for index, (name, source, score) in enumerate(sources):
        folder = root / f"submission_{1000 + index}"
        shutil.copytree(source, folder)
        expected[folder.name] = (name, score)
        metadata.append(f"submission_{1000 + index}:\n  :submitters:\n  - :name: Student {name}\n"
                        f"    :sid: '{index:04d}'\n    :email: s{index}@example.edu\n  :score: 0.0\n")
    broken = root / "submission_2000"
    broken.mkdir()
    (broken / "hw2_ResNet.py").write_text("class Block(nn.Module:\n    pass\n")
    expected[broken.name] = ("syntax_error", 0.0)
    metadata.append("submission_2000:\n  :submitters:\n  - :name: Student syntax_error\n    :sid: '2000'\n")
    copycat = root / "submission_2001"
    copycat.mkdir()
    text = (CS446 / "correct_sequential" / "hw2_ResNet.py").read_text()
    (copycat / "hw2_ResNet.py").write_text(text.replace("self.f", "self.body").replace("features", "trunk"))
    expected[copycat.name] = ("copycat", 13.5)
    metadata.append("submission_2001:\n  :submitters:\n  - :name: Student copycat\n    :sid: '2001'\n")
    (root / "submission_metadata.yml").write_text("".join(metadata))
    return expected


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    expected = make_class(root)
    out = tmp_path_factory.mktemp("graded")
    completed = run_cli("grade-all", "cs446-hw2", root, "-o", out, "--jobs", "2")
    assert completed.returncode == 0, completed.stderr[-3000:]
    return root, out, expected, completed


def test_class_is_large_and_read_from_the_metadata(graded_class):
    root, _, expected, _ = graded_class
    submissions = discover(root)
    assert len(submissions) == len(expected) >= 30
    names = {s.folder.name: s.names for s in submissions}
    assert names["submission_2001"] == "Student copycat"


def test_every_submission_has_valid_results_with_the_expected_score(graded_class):
    root, out, expected, _ = graded_class
    for submission in discover(root):
        results = json.loads((out / submission.student / "results.json").read_text())
        validate_results(results)
        name, score = expected[submission.folder.name]
        if score is not None:
            assert results["score"] == score, name
        assert results["extra_data"]["student"] == f"Student {name}"


def test_csv_and_summary_agree_with_the_individual_results(graded_class):
    root, out, expected, completed = graded_class
    with open(out / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(expected)
    totals = []
    for row in rows:
        results = json.loads((out / row["student"] / "results.json").read_text())
        assert float(row["total"]) == results["score"]
        for question in ("3a", "3b"):
            assert float(row[question]) == sum(t["score"] for t in results["tests"]
                                               if t["number"].startswith(question + "."))
        totals.append(results["score"])
    assert f"{statistics.mean(totals):.2f}" in completed.stdout
    assert f"graded {len(expected)}, skipped 0" in completed.stdout
    assert (out / "histogram.png").read_bytes()[:4] == b"\x89PNG"
    assert "most often failed check" in (out / "summary.txt").read_text()


def test_similarity_report_ranks_the_renamed_copy_first(graded_class):
    root, out, expected, _ = graded_class
    student = {expected[s.folder.name][0]: s.student for s in discover(root)}
    lines = (out / "similarity.txt").read_text().splitlines()
    top = lines[lines.index(next(line for line in lines if line.startswith("-----"))) + 1]
    assert student["copycat"] in top and student["correct_sequential"] in top, top


def test_rerun_skips_graded_submissions_and_regrades_missing_ones(graded_class):
    root, out, expected, _ = graded_class
    started = time.monotonic()
    again = run_cli("grade-all", "cs446-hw2", root, "-o", out, "--jobs", "2")
    assert f"graded 0, skipped {len(expected)}" in again.stdout
    assert time.monotonic() - started < 30  # nothing was graded
    lost = [s for s in discover(root)][:2]
    for submission in lost:
        (out / submission.student / "results.json").unlink()  # as if interrupted before these two
    resumed = run_cli("grade-all", "cs446-hw2", root, "-o", out, "--jobs", "2")
    assert f"graded 2, skipped {len(expected) - 2}" in resumed.stdout
    for submission in lost:
        validate_results(json.loads((out / submission.student / "results.json").read_text()))


def test_a_plain_folder_of_folders_and_a_bad_export(tmp_path):
    plain = tmp_path / "plain"
    for name in ("alice", "bob"):
        shutil.copytree(CS446 / "correct_functional", plain / name)
    out = tmp_path / "out"
    completed = run_cli("grade-all", "cs446-hw2", plain, "-o", out, "--jobs", "1")
    assert completed.returncode == 0 and "graded 2, skipped 0" in completed.stdout
    assert json.loads((out / "alice" / "results.json").read_text())["score"] == 13.5
    (plain / "submission_metadata.yml").write_text("submission_1: [unclosed\n")
    bad = run_cli("grade-all", "cs446-hw2", plain, "-o", out)
    assert bad.returncode == 2 and "submission_metadata.yml: not valid YAML" in bad.stderr


def test_no_sandboxed_process_outlives_the_class(graded_class):
    from conftest import AS_ROOT, no_sandbox_processes_within

    if AS_ROOT:
        assert no_sandbox_processes_within()


def test_ctrl_c_in_the_middle_loses_nothing(tmp_path):
    import signal
    import subprocess
    import sys

    plain = tmp_path / "class"
    sources = sorted(p for p in CS446.iterdir() if p.is_dir())
    cases = [f"student_{i:02d}" for i in range(30)]  # enough that Ctrl-C lands in the middle
    for i, case in enumerate(cases):
        shutil.copytree(sources[i % len(sources)], plain / case)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade-all", "cs446-hw2", str(plain), "-o", str(out),
                                "--jobs", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*/results.json"))) < 2:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    process.communicate(timeout=60)
    done = len(list(out.glob("*/results.json")))
    assert 2 <= done < len(cases)
    for path in out.glob("*/results.json"):
        validate_results(json.loads(path.read_text()))  # whatever was written is whole
    settle = time.monotonic() + 15
    while time.monotonic() < settle and _zygotes():
        time.sleep(0.2)
    assert _zygotes() == [], "an interrupted run left sandbox processes behind"
    resumed = run_cli("grade-all", "cs446-hw2", plain, "-o", out, "--jobs", "2")
    assert f"graded {len(cases) - done}, skipped {done}" in resumed.stdout
    assert len(list(out.glob("*/results.json"))) == len(cases)


def _zygotes():
    """Sandbox processes of the interrupted run: not those of this test session's own fixtures."""
    return [p for p in os.listdir("/proc") if p.isdigit() and b"grader.sandbox.zygote" in _cmdline(p)
            and _cwd(p) == str(REPO) and os.getpid() not in _ancestors(int(p))]


def _cwd(pid):
    """A zygote runs in its repository: another checkout's test suite, running beside this one, is not ours."""
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def _ancestors(pid):
    found = []
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            break
        pid = int(stat[stat.rfind(b")") + 2:].split()[1])
        found.append(pid)
    return found


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def test_a_job_whose_zygote_died_restarts_it_and_still_grades_correctly(tmp_path):
    from grader.staff import batch
    from grader.staff.batch import Submission

    import resource

    ceiling = resource.getrlimit(resource.RLIMIT_AS)
    batch._start_worker("cs446-hw2")  # in this process: its memory ceiling is undone below
    try:
        batch._worker_state["sandbox"]._process.kill()  # as if the OOM killer took the zygote
        batch._worker_state["sandbox"]._process.wait()
        out = tmp_path / "alice" / "results.json"
        batch._grade_one(Submission("alice", CS446 / "correct_modulelist"), out, seed=5)
        assert json.loads(out.read_text())["score"] == 13.5
        assert batch._worker_state["sandbox"].alive()
    finally:
        batch._worker_state["sandbox"].close()
        resource.setrlimit(resource.RLIMIT_AS, ceiling)


def test_a_class_of_notebooks(tmp_path):
    """Notebooks under any name, graded as a folder of folders; similarity reads code cells, not outputs."""
    import nbformat

    solved = REPO / "reference" / "eecs4404_a3" / "a3_network.ipynb"
    sources = {"alice": (solved, "a3_network.ipynb"),
               "bob": (REPO / "student_template" / "eecs4404_a3" / "a3_network.ipynb", "a3_network.ipynb"),
               "carol": (CORPUS / "eecs4404_a3" / "wrong_sgd_ascent" / "a3_network.ipynb", "A3 (1).ipynb")}
    for student, (source, name) in sources.items():
        (tmp_path / "class" / student).mkdir(parents=True)
        shutil.copy(source, tmp_path / "class" / student / name)
    copied = nbformat.read(solved, as_version=4)
    for cell in copied.cells:
        cell.source = cell.source.replace("grad_a", "delta").replace("shifted", "exps")
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=" * 500})]
    (tmp_path / "class" / "dave").mkdir()
    nbformat.write(copied, tmp_path / "class" / "dave" / "Copy of a3_network.ipynb")
    out = tmp_path / "graded"
    completed = run_cli("grade-all", "eecs4404-a3", tmp_path / "class", "-o", out, "--jobs", "2")
    assert completed.returncode == 0, completed.stderr[-3000:]
    scores = {s: json.loads((out / s / "results.json").read_text())["score"] for s in sources.keys() | {"dave"}}
    assert scores == {"alice": 15.5, "bob": 0.0, "carol": 14.0, "dave": 15.5}
    lines = (out / "similarity.txt").read_text().splitlines()
    top = lines[lines.index(next(line for line in lines if line.startswith("-----"))) + 1]
    assert "alice" in top and "dave" in top, top
    assert not [line for line in lines if "bob" in line], "the template's own code must not count as shared"
