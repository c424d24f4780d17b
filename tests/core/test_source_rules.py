"""Rules read from the syntax tree: lookups spelled with constant strings count as the names they
spell, and code the tree cannot read is named for the course staff."""
import pytest

from grader.core.source_rules import dynamic_code, forbidden_uses, imported_modules, staff_note

MODULES, NAMES = ("torch.distributions", "scipy.stats"), ("MultivariateNormal",)


@pytest.mark.parametrize("source, expected", [
    ('import torch\nD = getattr(getattr(torch, "distri" "butions"), "Multivariate" "Normal")',
     [(2, "torch.distributions.MultivariateNormal")]),
    ('import torch\nD = getattr(torch, "distributions")', [(2, "torch.distributions")]),
    ('import importlib\nD = importlib.import_module("torch." + "distributions").MultivariateNormal',
     [(2, "torch.distributions.MultivariateNormal")]),
    ('from importlib import import_module\nstats = import_module("scipy.stats")', [(2, "scipy.stats")]),
    ('stats = __import__("scipy.stats", fromlist=["norm"])', [(1, "scipy.stats")]),
    ('module = some_helper()\nN = getattr(module, "MultivariateNormal")', [(2, "module.MultivariateNormal")]),
    ('import torch\nL = getattr(torch.linalg, "cholesky")\nx = torch.logsumexp(a, 0)', []),
])
def test_constant_lookups_count_as_the_names_they_spell(source, expected):
    assert forbidden_uses(source, "gmm.py", MODULES, NAMES) == expected


def test_imports_by_constant_name_are_folded():
    source = 'import importlib\nnp = importlib.import_module("num" "py")\nx = __import__("sc" + "ipy")'
    assert imported_modules(source, "f.py") == [(1, "importlib"), (2, "numpy"), (3, "scipy")]


def test_code_the_tree_cannot_read_is_named_for_the_staff():
    source = ('import torch\nname = "distributions"\nD = getattr(torch, name)\nE = eval("torch." + name)\n'
              'exec("x = 1")\nc = compile("1", "f", "eval")\nm = __import__(name)\nok = getattr(torch, "linalg")\n')
    assert dynamic_code(source, "gmm.py") == [(3, "getattr() of a computed name"), (4, "eval()"), (5, "exec()"),
                                               (6, "compile()"), (7, "__import__() of a computed name")]
    note = staff_note(source, "gmm.py")
    assert "course staff" in note and "line 4: eval()" in note
    assert staff_note("import torch\nx = getattr(torch, 'linalg')\n", "gmm.py") == ""


def test_a_rule_kept_as_far_as_the_source_shows_names_eval_for_the_staff_without_deducting():
    import types

    from grader.assignments.cs689_hw4 import checks
    from grader.core.checks import CheckInfo, Scored
    from grader.core.grading import Context, run_check

    def verdict(source):
        info = CheckInfo("3", 0.0, True, "rule", "no_ready_made_density", "3.0", penalty=2.0)
        ctx = Context(types.SimpleNamespace(), info, run_seed=0)
        ctx.source = lambda name: source  # the check reads gmm.py through ctx.source only
        return run_check(checks.no_ready_made_density, ctx)

    assert verdict("import torch\ndef log_posterior(X, mu, Sigma, pi):\n    return torch.linalg.cholesky(Sigma)\n") is None
    noted = verdict('import torch\nD = eval("torch.distri" + "butions")\n')
    assert isinstance(noted, Scored) and noted.points == 0 and "line 2: eval()" in noted.report
    broken = verdict('import torch\nD = getattr(getattr(torch, "distri" "butions"), "Multivariate" "Normal")\n')
    assert isinstance(broken, str) and "torch.distributions.MultivariateNormal" in broken
