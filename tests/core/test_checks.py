import types

import pytest

from grader.core import assignments
from grader.core.checks import CheckInfo, check, collect
from grader.core.grading import Context, Graded, seed_for


def test_checks_are_numbered_per_question_in_definition_order():
    module = types.ModuleType("fake_checks")

    @check("1b", points=1, public=True)
    def first(ctx):
        """First property"""

    @check("1a", points=2)
    def second(ctx):
        """Second property"""

    @check("1b", points=0.5)
    def third(ctx):
        """Third property"""

    module.first, module.second, module.third = first, second, third
    found = [(info.number, info.title, info.points, info.public) for info, _ in collect(module)]
    assert found == [("1b.1", "First property", 1.0, True), ("1a.1", "Second property", 2.0, False),
                     ("1b.2", "Third property", 0.5, False)]


def test_each_check_has_its_own_seed_stream():
    assert seed_for(7, "a") == seed_for(7, "a")
    assert len({seed_for(7, "a"), seed_for(7, "b"), seed_for(8, "a")}) == 3


def test_public_checks_cannot_reach_the_reference():
    info = CheckInfo("3a", 1.0, True, "t", "t")
    ctx = Context(types.SimpleNamespace(reference=object()), info, run_seed=1)
    with pytest.raises(RuntimeError, match="may not use the reference"):
        _ = ctx.reference


@pytest.mark.parametrize("assignment", sorted(assignments.all_assignments()))
def test_every_assignment_is_complete(assignment):
    a = assignments.get(assignment)
    assert a.checks, "no checks"
    assert all(info.number.rsplit(".", 1)[0] == info.question for info, _ in a.checks)
    assert any(info.public for info, _ in a.checks) and any(not info.public for info, _ in a.checks)
    for name in a.files:
        assert (a.reference_dir / name).is_file(), f"reference/{a.folder}/{name} is missing"


def test_a_scored_check_earns_its_share_and_fills_the_leaderboard():
    from grader.core.checks import Scored
    from grader.core.grading import run_check
    from grader.core.results import gradescope_results

    info = CheckInfo("8", 9.0, False, "NLL scaled between baselines", "nll")
    ctx = Context(types.SimpleNamespace(reference=None), info, run_seed=1)
    # a share above the maximum is clipped, and the report is shown whatever the score
    assert run_check(lambda _: Scored(12.0, "r"), ctx).points == 9.0
    verdict = run_check(lambda _: Scored(3.5, "NLL 12.1 between 15.6 and 11.0", {"Test NLL": (12.1, "asc")}), ctx)
    checks = [(info, None), (CheckInfo("8", 1.0, True, "file is valid", "valid"), None)]
    assignment = types.SimpleNamespace(id="fake", hidden_visibility="after_published")
    results = gradescope_results(Graded(assignment, checks, [verdict, None], seed=1, public_only=False, seconds=0.0))
    scored = next(t for t in results["tests"] if t["name"].startswith("NLL"))
    assert scored["score"] == 3.5 and scored["max_score"] == 9.0 and scored["status"] == "failed"
    assert "NLL 12.1 between 15.6 and 11.0" in scored["output"]
    assert results["score"] == 4.5
    assert results["leaderboard"] == [{"name": "Test NLL", "value": 12.1, "order": "asc"}]


def test_a_broken_rule_deducts_its_penalty_but_never_below_zero():
    from grader.core.results import gradescope_results

    rule = CheckInfo("3", 0.0, True, "Uses only the allowed imports", "imports", "3.0", penalty=2.0)
    earned = CheckInfo("3", 1.0, True, "log_posterior matches", "matches", "3.1")
    assignment = types.SimpleNamespace(id="fake", hidden_visibility="after_published")

    def results(verdicts):
        graded = Graded(assignment, [(rule, None), (earned, None)], verdicts, seed=1, public_only=True, seconds=0.0)
        return gradescope_results(graded)
    kept = results([None, None])
    assert [(t["score"], t["max_score"], t["status"]) for t in kept["tests"]] == [(0.0, 0.0, "passed"),
                                                                                  (1.0, 1.0, "passed")]
    broken = results(["imports torch.distributions", None])
    assert [(t["score"], t["status"]) for t in broken["tests"]] == [(-2.0, "failed"), (1.0, "passed")]
    assert broken["tests"][0]["output"] == "imports torch.distributions\n"
    assert broken["score"] == 0.0  # the total is clipped at zero


def test_a_bug_in_a_check_is_a_grader_error_held_for_the_staff():
    from grader.core.checks import GraderError
    from grader.core.grading import run_check

    info = CheckInfo("3a", 1.0, False, "t", "buggy")
    ctx = Context(types.SimpleNamespace(), info, run_seed=1)

    def buggy(ctx):
        return {}["missing"]
    verdict = run_check(buggy, ctx)
    assert isinstance(verdict, GraderError) and "KeyError" in verdict.detail and "buggy" in verdict.detail
