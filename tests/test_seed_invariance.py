"""The same submission earns the same score under every seed: hidden checks draw fresh values each run, but
never a different set of properties. Every corpus case is graded under SEED_SWEEP seeds (``make sweep``
runs 20; ``make test`` skips this file, it takes a while) and must earn one total and fail the same checks.
"""
import os

import pytest

from test_corpus import CORPORA, folder

SEEDS = int(os.environ.get("SEED_SWEEP", "0"))
CASES = [(a, case) for a, cases in sorted(CORPORA.items()) for case in sorted(cases)]

pytestmark = pytest.mark.skipif(SEEDS < 2, reason="set SEED_SWEEP=20 (make sweep) to grade every case under many seeds")


@pytest.mark.parametrize("assignment_id, case", CASES)
def test_score_does_not_depend_on_the_seed(graders, assignment_id, case):
    grader = graders(assignment_id)
    seen = {}
    for seed in range(1, SEEDS + 1):
        results = grader.grade(folder(assignment_id, case), seed=seed)
        failed = tuple(sorted(t["number"] for t in results["tests"] if t["status"] != "passed"))
        seen.setdefault((round(results["score"], 6), failed), []).append(seed)
    assert len(seen) == 1, f"{assignment_id} {case}: the score depends on the seed: " + "; ".join(
        f"seeds {seeds}: total {score:g}, failed {list(failed)}" for (score, failed), seeds in seen.items())
