"""The same submission earns the same score under every seed: hidden checks draw fresh values each run, but
never a different set of properties. Every corpus case is graded under SEED_SWEEP seeds (``make sweep``
runs 20; ``make test`` skips this file, it takes a while) and must earn one total and fail the same checks.

The first run of a check records whether it drew from the run's seed (ctx.seed, ctx.rng and what is built
on them); one that never did gives the same verdict under any seed, so only the seeded checks are graded
again under the other seeds. A check's verdict depends only on the seed and the files it reads, so a check
already swept on the same files (the reference's, which most cases of a ``complete_from_reference`` corpus
keep for the parts they do not change) is not graded again: its verdicts are taken from that sweep.
"""
import hashlib
import os

import pytest

from grader.core import grading
from test_corpus import CORPORA, folder

SEEDS = int(os.environ.get("SEED_SWEEP", "0"))
CASES = [(a, case) for a, cases in sorted(CORPORA.items()) for case in sorted(cases)]
# (assignment, check, digest of the files it reads) -> {seed: (score, passed)}, for the whole run
SWEPT = {}

pytestmark = pytest.mark.skipif(SEEDS < 2, reason="set SEED_SWEEP=20 (make sweep) to grade every case under many seeds")


class RecordingContext(grading.Context):
    """A Context that notes the checks that read the run's seed once they are running."""
    seeded = set()

    def __init__(self, *args, **kwargs):
        self._running = False
        super().__init__(*args, **kwargs)
        self._running = True

    def _note(self):
        if self._running:
            RecordingContext.seeded.add(self.info.name)

    @property
    def seed(self):
        self._note()
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = value

    @property
    def rng(self):
        self._note()
        return self._rng

    @rng.setter
    def rng(self, value):
        self._rng = value


def _key(assignment, submission, info):
    digest = hashlib.sha256()
    for name in sorted(info.files or assignment.files):
        path = submission / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"\0missing\0"))
    return assignment.id, info.name, digest.hexdigest()


def _grade(grader, monkeypatch, submission, checks, seed):
    """{check name: (score, passed)} of ``checks`` alone under ``seed``."""
    monkeypatch.setitem(vars(grader.assignment), "checks", checks)
    results = grader.grade(submission, seed=seed)
    by_number = {t["number"]: (t["score"], t["status"] == "passed") for t in results["tests"]}
    return {info.name: by_number[info.number] for info, _ in checks}


@pytest.mark.parametrize("assignment_id, case", CASES)
def test_score_does_not_depend_on_the_seed(graders, monkeypatch, assignment_id, case):
    grader = graders(assignment_id)
    submission = folder(assignment_id, case)
    every = list(grader.assignment.checks)
    keys = {info.name: _key(grader.assignment, submission, info) for info, _ in every}
    todo = [(info, func) for info, func in every if keys[info.name] not in SWEPT]
    if todo:
        monkeypatch.setattr(grading, "Context", RecordingContext)
        RecordingContext.seeded = set()
        first = _grade(grader, monkeypatch, submission, todo, 1)
        seeded = [(info, func) for info, func in todo if info.name in RecordingContext.seeded]
        later = {seed: _grade(grader, monkeypatch, submission, seeded, seed) if seeded else {}
                 for seed in range(2, SEEDS + 1)}
        for info, _ in todo:
            SWEPT[keys[info.name]] = {1: first[info.name], **{seed: verdicts.get(info.name, first[info.name])
                                                               for seed, verdicts in later.items()}}
    seen = {}
    for seed in range(1, SEEDS + 1):
        verdicts = {info.number: SWEPT[keys[info.name]][seed] for info, _ in every}
        total = round(sum(score for score, _ in verdicts.values()), 6)
        failed = tuple(sorted(number for number, (_, passed) in verdicts.items() if not passed))
        seen.setdefault((total, failed), []).append(seed)
    assert len(seen) == 1, f"{assignment_id} {case}: the score depends on the seed: " + "; ".join(
        f"seeds {seeds}: total {score:g}, failed {list(failed)}" for (score, failed), seeds in seen.items())
