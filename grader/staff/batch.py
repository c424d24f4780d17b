"""Grading a whole class: ``python -m grader grade-all ASSIGNMENT SUBMISSIONS_DIR -o OUT_DIR``.

Each of ``jobs`` processes starts one sandbox and loads the reference once, then grades one
submission after another; each result is written as soon as it exists
(``OUT_DIR/<student>/results.json``), so an interrupted run (Ctrl-C stops it at once) loses
nothing and a rerun grades only what is missing. At the end come ``grades.csv``, a summary table and a histogram of totals.
"""
import csv
import json
import os
import re
import signal
import statistics
import threading
import traceback
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.util import Finalize
from pathlib import Path

from tabulate import tabulate

from grader.sandbox import capacity

METADATA = "submission_metadata.yml"


@dataclass
class Submission:
    student: str  # a file-system-safe name, unique in the class
    folder: Path
    names: str = ""  # the submitters as Gradescope lists them


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", name).strip("._") or "unnamed"


def _plain(key):
    """Gradescope's export writes Ruby-style keys (':submitters:'); accept both spellings."""
    return key.lstrip(":") if isinstance(key, str) else key


def discover(root: Path):
    """The submissions in a Gradescope export (with submission_metadata.yml) or a folder of folders."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder of submissions")
    found = []
    metadata = root / METADATA
    if metadata.exists():
        import yaml

        try:
            entries = yaml.safe_load(metadata.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{metadata}: not valid YAML ({exc})") from None
        for folder_name, entry in sorted(entries.items()):
            entry = {_plain(k): v for k, v in (entry or {}).items()}
            submitters = [{_plain(k): v for k, v in s.items()} for s in entry.get("submitters") or []]
            names = ", ".join(str(s.get("name", "")) for s in submitters)
            ids = "+".join(str(s.get("sid") or s.get("email") or s.get("name") or "") for s in submitters)
            found.append(Submission(_safe(f"{ids}_{folder_name}" if ids else folder_name), root / folder_name, names))
    else:
        found = [Submission(_safe(p.name), p) for p in sorted(root.iterdir()) if p.is_dir()]
    return found


# -------------------------------------------------------------- one process of the pool

_worker_state = {}


def _start_worker(assignment_id, export=None):
    from grader.core import assignments
    from grader.sandbox.portable import sandbox_for

    # Ctrl-C is the main process's to handle: it stops the pool, and each process then closes its sandbox.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    assignment = assignments.get(assignment_id)
    # Each pool process's sandbox leases its own uid, so concurrent students never share one; no worker
    # may read the export, where every other student's files are.
    private = [export] if export else []
    _worker_state.update(assignment=assignment, private=private,
                         sandbox=sandbox_for(assignment, private=private),
                         reference=assignment.load_reference())
    # Pool processes end without running atexit handlers; multiprocessing's finalizers do run.
    Finalize(None, lambda: _worker_state["sandbox"].close(), exitpriority=10)


def _stop_worker(*_):
    """On SIGTERM from the pool: close the sandbox (its zygote kills every worker), then leave at once."""
    import shutil
    import time

    sandbox = _worker_state.get("sandbox")
    if sandbox is not None:
        sandbox.close(from_signal_handler=True)
        time.sleep(0.3)  # a check thread may still be copying a submission into the staging folder
        shutil.rmtree(sandbox.staging, ignore_errors=True)
    os._exit(1)


def _grade_one(submission: Submission, out: Path, seed):
    from grader.core.results import failed_results, grade, write_results
    from grader.sandbox.client import grader_memory_ceiling

    state = _worker_state
    for _ in range(2):  # a second attempt only after restarting a dead sandbox
        if not state["sandbox"].alive():
            # A dead zygote would fail every later submission of this job: start a new one, and grade
            # this submission again, since its checks may have been failed by the sandbox, not by its code.
            state["sandbox"].close()
            state["sandbox"] = type(state["sandbox"]).for_assignment(state["assignment"], private=state["private"])
        try:
            with grader_memory_ceiling():
                results = grade(state["assignment"], submission.folder, sandbox=state["sandbox"],
                                reference=state["reference"], seed=seed, threads=1)
        except Exception:  # the grader's own failure (MemoryError too) still yields a results file and a row
            results = failed_results(state["assignment"], traceback.format_exc())
        if state["sandbox"].alive():
            break
    results.setdefault("extra_data", {})["student"] = submission.names or submission.student
    write_results(results, out)
    return submission.student


# -------------------------------------------------------------- the whole class

def grade_all(assignment, submissions_dir, out_dir, jobs=None, force=False, seed=None, progress=True):
    """Grade every submission not yet graded (all of them with ``force``); return (graded, skipped, submissions):
    how many were graded now, how many already had results, and every submission found."""
    from tqdm import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        out_dir.chmod(0o700)  # other students' results are no business of the sandbox user
    submissions = discover(submissions_dir)
    todo = [s for s in submissions if force or _needs_grading(out_dir / s.student / "results.json")]
    jobs = max(1, min(jobs or capacity.grade_all_jobs(), len(todo) or 1))
    if todo:
        tasks = [(s, out_dir / s.student / "results.json", seed) for s in todo]
        with _InterruptFlag() as interrupted, tqdm(total=len(tasks), unit="submission", disable=not progress,
                                                   desc=f"grading {assignment.id}") as bar:
            _grade_in_pools(assignment, Path(submissions_dir).resolve(), tasks, jobs, interrupted, bar.update)
    return len(todo), len(submissions) - len(todo), submissions


def _needs_grading(results_path):
    """No results yet, or results saying the autograder failed on it (such a submission is regraded)."""
    from grader.core.results import grader_failed

    try:
        return grader_failed(json.loads(results_path.read_text()))
    except (OSError, ValueError):
        return True


def _grade_in_pools(assignment, export, tasks, jobs, interrupted, done):
    """Grade ``tasks`` with ``jobs`` processes. A process that dies (the machine's OOM killer, say) breaks
    its pool: the submissions it had in flight are graded again one at a time in a pool of their own, and
    one that breaks even that gets results saying the autograder failed, marked for regrading. The rest
    of the class goes on in a fresh pool; the run always finishes."""
    queue, suspects = deque(tasks), deque()
    while queue or suspects:
        alone = bool(suspects)
        source, width = (suspects, 1) if alone else (queue, jobs)
        # "spawn": each process imports torch itself rather than inheriting a forked copy with threads.
        executor = ProcessPoolExecutor(width, mp_context=get_context("spawn"), initializer=_start_worker,
                                       initargs=(assignment.id, str(export)))
        running = {}
        try:
            broken = False
            while (source or running) and not broken:
                while source and len(running) < width:
                    task = source.popleft()
                    running[executor.submit(_grade_task, task)] = task
                finished, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
                interrupted.raise_if_set()
                for future in finished:
                    try:
                        future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    except Exception:  # outside the grading itself (writing the file, say)
                        _write_failed(assignment, running[future], traceback.format_exc())
                    del running[future]
                    done()
            if broken:
                if alone:
                    for task in running.values():
                        _write_failed(assignment, task, "The grading process died while grading this submission "
                                      "(it may have exhausted the machine's memory). Regrade it; a rerun of "
                                      "grade-all does.")
                        done()
                else:
                    suspects.extend(running.values())
                running.clear()
            executor.shutdown(wait=True)
        except KeyboardInterrupt:
            # Results already written stay; a rerun grades the rest. Each process closes its sandbox on SIGTERM
            # (ProcessPoolExecutor has no terminate() of its own).
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.terminate()
            executor.shutdown(wait=True, cancel_futures=True)
            raise


def _write_failed(assignment, task, error):
    from grader.core.results import failed_results, write_results

    submission, out, _ = task
    results = failed_results(assignment, error)
    results["extra_data"]["student"] = submission.names or submission.student
    write_results(results, out)


class _InterruptFlag:
    """Ctrl-C while grading, noted by a handler that only sets a flag. A KeyboardInterrupt raised
    straight from the signal can land inside a finalizer, where Python reports and drops it, and the
    run would then carry on; the loop checks the flag twice a second instead."""

    def __init__(self):
        self._set = threading.Event()
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, lambda *_: self._set.set())
        return self

    def __exit__(self, *_):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def raise_if_set(self):
        if self._set.is_set():
            raise KeyboardInterrupt


def _grade_task(task):
    return _grade_one(*task)


def collect(out_dir, submissions):
    """(student, results) for every submission that has a results file."""
    rows = []
    for submission in submissions:
        path = Path(out_dir) / submission.student / "results.json"
        if path.exists():
            rows.append((submission, json.loads(path.read_text())))
    return rows


def write_reports(assignment, out_dir, graded):
    """grades.csv, the summary (returned as text and written to summary.txt) and histogram.png."""
    from grader.core.reports import question_of
    from grader.core.results import BY_HAND_TAG, GRADER_ERROR_TAG, GRADER_FAILED, grader_failed

    out_dir = Path(out_dir)
    questions = sorted({info.question for info, _ in assignment.checks})
    maximum = sum(info.points for info, _ in assignment.checks)
    with open(out_dir / "grades.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "submitters", "total", *questions])
        for submission, results in graded:
            if grader_failed(results):  # no grade: never a 0 in the grade book
                writer.writerow([submission.student, submission.names, GRADER_FAILED, *("" for _ in questions)])
                continue
            per_question = {q: sum(t["score"] for t in results["tests"] if question_of(t) == q) for q in questions}
            writer.writerow([submission.student, submission.names, f"{results['score']:g}",
                             *(f"{per_question[q]:g}" for q in questions)])

    failed = [submission.student for submission, results in graded if grader_failed(results)]
    graded = [(submission, results) for submission, results in graded if not grader_failed(results)]
    totals = [results["score"] for _, results in graded]
    lines = [f"{assignment.id}: {len(graded)} submissions graded, maximum {maximum:g} points", ""]
    if failed:
        lines += [f"{GRADER_FAILED} ({len(failed)}, not counted below; running grade-all again "
                  f"regrades them): {', '.join(failed)}", ""]
    for key, heading in [("grader_errors", "not judged: grader errors (see each results.json)"),
                         ("by_hand", "to grade by hand (each check's output says why)")]:
        # no verdict on the student for these checks: 0 until someone looks
        held = [(submission.student, results["extra_data"][key]) for submission, results in graded
                if results.get("extra_data", {}).get(key)]
        if held:
            lines += [tabulate([[student, ", ".join(numbers)] for student, numbers in held],
                               headers=[heading, "checks"], tablefmt="simple", disable_numparse=True), ""]
    if totals:
        lines.append(tabulate([["mean", f"{statistics.mean(totals):.2f}"], ["median", f"{statistics.median(totals):g}"],
                               ["full marks", sum(t >= maximum for t in totals)], ["zero", sum(t == 0 for t in totals)]],
                              tablefmt="simple", headers=["total", ""], disable_numparse=True))
        rows = []
        for q in questions:
            tests = [[t for t in results["tests"] if question_of(t) == q] for _, results in graded]
            full = sum(all(t["status"] == "passed" for t in ts) for ts in tests)
            rows.append([q, f"{100 * full / len(tests):.0f}%"])
        lines += ["", tabulate(rows, headers=["question", "all checks passed"], tablefmt="simple")]
        failures = Counter(f"{t['number']} {t['name']}" for _, results in graded for t in results["tests"]
                           if t["status"] != "passed" and not {GRADER_ERROR_TAG, BY_HAND_TAG} & set(t.get("tags", ())))
        lines += ["", tabulate([[name[:90], count] for name, count in failures.most_common(8)],
                               headers=["most often failed check", "submissions"], tablefmt="simple")]
        _histogram(totals, maximum, out_dir / "histogram.png", assignment.id)
    summary = "\n".join(lines)
    (out_dir / "summary.txt").write_text(summary + "\n")
    return summary


def _histogram(totals, maximum, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    ax.hist(totals, bins=min(20, max(5, len(set(totals)))), range=(0, maximum), color="C0", edgecolor="white")
    ax.set_xlabel("total points")
    ax.set_ylabel("submissions")
    ax.set_title(f"{title}: totals of {len(totals)} submissions")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
