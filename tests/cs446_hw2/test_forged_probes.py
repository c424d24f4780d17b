"""Submissions that forge what the worker reports: each earns no more than its honest code does.

Each case in tests/corpus/cs446_hw2_hostile/forge_* is a wrong solution followed by a forgery (from the
line "# Forged" on): rebinding the probes, replacing the helpers they call, swapping a probe's code.
The same file without the forgery is its honest code, graded with the same seed."""
import pytest

from conftest import CORPUS

HOSTILE = CORPUS / "cs446_hw2_hostile"
FORGED = ["forge_skip_probe", "forge_every_probe"]


def _scores(results):
    return {t["number"]: t["score"] for t in results["tests"]}


@pytest.mark.parametrize("case", FORGED)
def test_forged_answers_earn_no_more_than_honest_code(graders, tmp_path, case):
    grader = graders("cs446-hw2")
    source = (HOSTILE / case / "hw2_ResNet.py").read_text()
    assert "# Forged" in source
    (tmp_path / "honest").mkdir()
    (tmp_path / "honest" / "hw2_ResNet.py").write_text(source[:source.index("# Forged")])
    for seed in (1, 2):
        forged = _scores(grader.grade(HOSTILE / case, seed=seed))
        honest = _scores(grader.grade(tmp_path / "honest", seed=seed))
        gained = {number: (honest[number], forged[number]) for number in honest
                  if forged[number] > honest[number] + 1e-9}
        assert not gained, f"{case} (seed {seed}) earned more by forging: {gained}"


def test_forging_the_all_zero_answer_does_not_earn_the_skip_connection(graders):
    results = graders("cs446-hw2").grade(HOSTILE / "forge_skip_probe", seed=3)
    skip = next(t for t in results["tests"] if t["number"] == "3a.4")
    assert skip["status"] == "failed" and skip["score"] == 0


def test_forging_every_probe_earns_none_of_the_public_facts_it_lacks(graders):
    results = graders("cs446-hw2").grade(HOSTILE / "forge_every_probe", seed=4)
    lost = {t["number"] for t in results["tests"] if t["status"] != "passed"}
    # its Block has no skip connection and its ResNet returns zeros (N, 1): the forged shapes, skip,
    # gradients and per-example scores are all refused
    assert {"3a.4", "3a.5", "3b.1", "3b.4", "3b.5"} <= lost, lost
