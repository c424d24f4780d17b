"""The same submission earns the same score under every seed: hidden checks draw fresh values each run, but
never a different set of properties. Every corpus case is graded under SEED_SWEEP seeds (``make sweep``
runs 20; ``make test`` skips this file, it takes a while) and must earn one total and fail the same checks.

The first run grades every check and records which ones drew from the run's seed (ctx.seed, ctx.rng and
what is built on them); a check that never did gives the same verdict under any seed, so the other runs
grade only the seeded checks, and the total of each run is the first run's total with those replaced.
"""
import dataclasses
import os

import pytest

from grader.core import grading
from test_corpus import CORPORA, folder

SEEDS = int(os.environ.get("SEED_SWEEP", "0"))
CASES = [(a, case) for a, cases in sorted(CORPORA.items()) for case in sorted(cases)]

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


def _verdicts(results):
    return {t["number"]: t["score"] for t in results["tests"]}, \
        {t["number"] for t in results["tests"] if t["status"] != "passed"}


@pytest.mark.parametrize("assignment_id, case", CASES)
def test_score_does_not_depend_on_the_seed(graders, monkeypatch, assignment_id, case):
    grader = graders(assignment_id)
    monkeypatch.setattr(grading, "Context", RecordingContext)
    RecordingContext.seeded = set()
    first = grader.grade(folder(assignment_id, case), seed=1)
    scores, failed = _verdicts(first)
    seeded = [(info, func) for info, func in grader.assignment.checks if info.name in RecordingContext.seeded]
    if not seeded:
        return
    numbers = {info.number for info, _ in seeded}
    # grade only the seeded checks from now on (numbers kept as in the whole assignment)
    monkeypatch.setitem(vars(grader.assignment), "checks",
                        [(dataclasses.replace(info), func) for info, func in seeded])
    seen = {}
    for seed in range(2, SEEDS + 1):
        results = grader.grade(folder(assignment_id, case), seed=seed)
        run_scores, run_failed = _verdicts(results)
        total = round(sum({**scores, **run_scores}.values()), 6)
        seen.setdefault((total, tuple(sorted((failed - numbers) | run_failed))), []).append(seed)
    seen.setdefault((round(sum(scores.values()), 6), tuple(sorted(failed))), []).append(1)
    assert len(seen) == 1, f"{assignment_id} {case}: the score depends on the seed: " + "; ".join(
        f"seeds {seeds}: total {score:g}, failed {list(failed)}" for (score, failed), seeds in seen.items())
