import types

import pytest

from grader.engine import assignments
from grader.engine.checks import CheckInfo, Context, check, collect, seed_for


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
