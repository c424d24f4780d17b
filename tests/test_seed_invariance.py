"""The same submission earns the same score under every seed: hidden checks draw fresh values each run, but
never a different set of properties. Every corpus case is graded under SEED_SWEEP seeds (``make sweep``
runs 20; ``make test`` skips this file, it takes a while) and must earn one total and fail the same checks.

The first run of a check records whether it drew from the run's seed (ctx.seed, ctx.rng and what is built
on them); one that never did gives the same verdict under any seed, so only the seeded checks are graded
again under the other seeds. A check's verdict depends only on the seed and the code it can reach, so a check
already swept on the same code is not graded again: its verdicts are taken from that sweep. What a check
can reach is over-approximated from the syntax trees: every string its own code and the grader functions it
names (helpers, probes) hold is a name it may ask for; in each submitted module (a notebook as the module
gathered from it) it reaches those top-level definitions, the ones they name in turn, and every statement
that is not a definition. Most corpus cases change one function, so most checks of a case reach nothing
that another case's sweep did not already see. A check that reads a file's text itself keys on the
whole file, as does a module that does not parse.
"""
import ast
import functools
import hashlib
import inspect
import os
import textwrap

import pytest

from grader.core import assignments, grading, notebooks
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


@functools.cache
def _reach(func):
    """(strings, reads_files): the strings in ``func`` and in the grader functions it names, transitively, and
    whether any of them reads a submitted file's text (``ctx.source``, ``ctx.data_file``)."""
    strings, reads_files, seen, todo = set(), False, set(), [func]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        tree = ast.parse(textwrap.dedent(inspect.getsource(current)))
        for node in ast.walk(tree):
            value = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            elif isinstance(node, ast.Attribute):
                reads_files |= node.attr in ("source", "data_file")
                owner = current.__globals__.get(node.value.id) if isinstance(node.value, ast.Name) else None
                value = getattr(owner, node.attr, None) if inspect.ismodule(owner) else None
            elif isinstance(node, ast.Name):
                value = current.__globals__.get(node.id)
            if inspect.isfunction(value) and value.__module__.startswith("grader."):
                todo.append(value)
            elif isinstance(value, str):
                strings.add(value)
            elif isinstance(value, (list, tuple, set, frozenset)):
                strings.update(v for v in value if isinstance(v, str))
    return frozenset(strings), reads_files


def _reached_code(source, names):
    """(code, used): the parts of a module that asking for ``names`` can run, i.e. every statement but the
    definitions, and the definitions of those names and of the names they use, transitively (as syntax
    trees, so that moved lines change nothing); and every name those definitions use (another module's,
    imported, among them)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, set()
    for node in ast.walk(tree):  # docstrings run nothing (each corpus case describes its mistake in one)
        if hasattr(node, "body") and isinstance(node.body, list):
            node.body = [statement for statement in node.body if not (isinstance(statement, ast.Expr) and isinstance(
                statement.value, ast.Constant) and isinstance(statement.value.value, str))] or [ast.Pass()]
    definitions = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions.setdefault(node.name, []).append(node)
    reached, used, todo = set(), set(), [name for name in names if name in definitions]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            found = {node.id for tree_ in definitions[name] for node in ast.walk(tree_) if isinstance(node, ast.Name)}
            used |= found
            todo += [n for n in found if n in definitions]
    code = "\n".join(ast.dump(node) for node in tree.body
                     if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name in reached)
    return code, used


@functools.cache
def _modules(assignment_id, submission):
    """{submitted file name: the Python module the sandbox imports for it}, notebooks gathered into modules;
    and what the grader noticed about the notebook."""
    assignment = assignments.get(assignment_id)
    with notebooks.prepared(assignment, grading.locate_submission(assignment, submission), 64 << 20) as prepared:
        return {name: (prepared.folder / (name.rsplit(".", 1)[0] + ".py")).read_text()
                for name in assignment.files if (prepared.folder / (name.rsplit(".", 1)[0] + ".py")).is_file()}, \
            prepared.problem


def _key(assignment, submission, info, func):
    strings, reads_files = _reach(func)
    modules, problem = _modules(assignment.id, submission)
    names = set(strings)
    while True:  # a name one module's reached code uses may be another module's definition
        reached = {name: _reached_code(source, names) for name, source in modules.items()}
        used = set().union(*(found for _, found in reached.values()))
        if used <= names:
            break
        names |= used
    digest = hashlib.sha256(repr(problem).encode())
    for name in sorted(info.files or assignment.files):
        path = submission / name
        if name in modules and not reads_files:
            content = reached[name][0].encode()
        else:
            content = path.read_bytes() if path.is_file() else b"\0missing\0"
        digest.update(name.encode() + b"\0" + content + b"\0")
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
    keys = {info.name: _key(grader.assignment, submission, info, func) for info, func in every}
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
