"""``python -m grader new ID --files ...``: the skeleton of a new assignment, in every folder it needs.

An assignment is folders only (see grader/assignments/README.md): its checks and config in
``grader/assignments/<folder>/``, its solved files in ``reference/<folder>/``, its corpus in
``tests/corpus/<folder>/``. The folder is the id with dashes turned into underscores, since Python
imports it as a package (``ml101-hw1`` lives in ``ml101_hw1``). Nothing that exists is ever overwritten:
if any file of the skeleton is already there, nothing is written and the error names it.
"""
import keyword
import re
from pathlib import Path

from grader import REPO_ROOT

ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class ScaffoldError(ValueError):
    """A request ``new`` refuses; the text says why and, for a file in the way, names its path."""


def folder_of(assignment_id: str) -> str:
    """The folder of an assignment: its id with dashes turned into underscores (a Python package name)."""
    return assignment_id.replace("-", "_")


def normalise_id(given: str) -> str:
    """The id as the grader spells it (dashes); ``ml101_hw1`` is taken as ``ml101-hw1``, as every command does."""
    assignment_id = given.strip().replace("_", "-")
    if not ID_PATTERN.match(assignment_id):
        raise ScaffoldError(f"{given!r} cannot be an assignment id: use lowercase letters and digits in parts "
                            "joined by dashes, starting with a letter (like ml101-hw1).")
    return assignment_id


def _check_files(files):
    if not files:
        raise ScaffoldError("name the files students submit: --files a.py b.ipynb ...")
    if len(set(files)) != len(files):
        raise ScaffoldError(f"a file is named twice in --files: {' '.join(files)}")
    for name in files:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ScaffoldError(f"{name!r}: a submitted file is a plain file name (no folder, not hidden)")
        stem, dot, suffix = name.rpartition(".")
        if suffix in ("py", "ipynb") and (not stem.isidentifier() or keyword.iskeyword(stem)):
            raise ScaffoldError(f"{name!r}: the grader imports {name} as the module {stem!r}, so its name must be "
                                "a Python identifier (letters, digits, underscores)")
    modules = [name.rpartition(".")[0] for name in files if name.endswith((".py", ".ipynb"))]
    if len(set(modules)) != len(modules):
        raise ScaffoldError("two submitted files would be the same module (a.py and a.ipynb, say)")
    if not modules:
        raise ScaffoldError("at least one submitted file must be code (.py or .ipynb): checks call its functions")


def _toml_list(items):
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _config(assignment_id, title, files):
    return f'''id = "{assignment_id}"
title = "{title}"
# The handout's file name (for the staff's reference; shown nowhere to students).
handout = ""
# What students submit. A check names those it needs with @check(..., files=[...]).
files = {_toml_list(files)}
# Visibility of hidden checks on Gradescope: hidden, after_due_date, after_published or visible.
hidden_visibility = "after_published"
# provided = ["utils.py"]           # course files the grader places beside every submission
# reference_only = ["answers.py"]   # reference files that never reach templates or students

[limits]
# Per worker (each check runs in one). Keys: cpu_seconds, memory_mb, file_mb, processes,
# import_timeout, call_timeout, output_kb, submission_mb, total_seconds (the whole submission).
import_timeout = 20
call_timeout = 20
cpu_seconds = 60
memory_mb = 1536
'''


def _first_module(files):
    name = next(f for f in files if f.endswith((".py", ".ipynb")))
    return name.rpartition(".")[0]


def _checks(assignment_id, title, files):
    module = _first_module(files)
    return f'''"""Checks of {title}.

One small function per property of one question. Public checks test what the handout states and ship
to students in their zip (with this whole folder): never put an answer here. Hidden checks compare with
the reference (``ctx.reference``) on inputs drawn from ``ctx.np_random()``. See grader/assignments/README.md.
"""
import numpy as np

from grader.core.checks import check
from grader.core.compare import expect_close, expect_shape

MODULE = "{module}"
TOL = dict(atol=1e-8, rtol=1e-6)


@check("1", points=1, public=True)
def example_keeps_the_shape(ctx):
    """Question 1: example returns an array of the shape of its input"""
    x = np.arange(6.0).reshape(2, 3)
    found = ctx.call_function(MODULE, "example", x, doing="calling example on a (2, 3) array").value
    expect_shape("example(x) for x of shape (2, 3)", x.shape, np.shape(found))


@check("1", points=2)
def example_matches_reference(ctx):
    """Question 1: example matches the reference on random arrays"""
    rng = ctx.np_random()
    x = rng.normal(size=(int(rng.integers(1, 6)), int(rng.integers(1, 6))))
    found = ctx.call_function(MODULE, "example", x, doing=f"calling example on an array of shape {{x.shape}}").value
    expect_close(f"example(x) for x of shape {{x.shape}}", ctx.reference.{module}.example(x), found, **TOL)
'''


def _module(title, notebook):
    """A reference module with one solution block; for a notebook, in the percent format."""
    function = '''def example(x):
    """Replace with what the handout asks for; keep the names and arguments the handout gives."""
    # BEGIN SOLUTION: what students see instead of the solution (a hint)
    return 2 * np.asarray(x)
    # END SOLUTION
'''
    if not notebook:
        return f'"""{title}: the reference solution (the file students submit, solved)."""\nimport numpy as np\n\n\n' \
            + function
    return f'''# %% [markdown]
# # {title}
#
# Text cells are markdown; students complete the cells tagged "graded".

# %%
import numpy as np

# %% tags=["graded"]
{function}
# %%
if __name__ == "__main__":
    print(example(np.ones(3)))  # training, plots: runs in the notebook, never when grading
'''


def _cases(assignment_id):
    return f'''# The corpus of {assignment_id} (see tests/test_corpus.py and grader/assignments/README.md): one folder per
# submission beside this file, and an entry here for each. The suite requires at least 6 correct cases
# (full marks) and 10 realistic wrong ones, and every check failed by at least one wrong case.
#
# [correct_written_differently]
# full = true
#
# [wrong_some_mistake]
# fails = ["example_matches_reference"]   # check function names
# keeps = ["2"]                           # questions it must lose nothing in
'''


def skeleton(assignment_id, files, title=None):
    """{path relative to the repository: text} of a new assignment's skeleton."""
    assignment_id = normalise_id(assignment_id)
    files = list(files)
    _check_files(files)
    folder = folder_of(assignment_id)
    title = (title or assignment_id).replace('"', "'")
    out = {
        Path("grader/assignments", folder, "__init__.py"): "",
        Path("grader/assignments", folder, "config.toml"): _config(assignment_id, title, files),
        Path("grader/assignments", folder, "checks.py"): _checks(assignment_id, title, files),
        Path("tests/corpus", folder, "cases.toml"): _cases(assignment_id),
    }
    for name in files:
        stem, _, suffix = name.rpartition(".")
        if suffix in ("py", "ipynb"):  # a notebook's reference is a percent-format module of its name
            out[Path("reference", folder, f"{stem}.py")] = _module(title, notebook=suffix == "ipynb")
    return out


def write_skeleton(assignment_id, files, title=None, root=REPO_ROOT):
    """Write the skeleton under ``root``; returns the paths written. Refuses (ScaffoldError naming every
    path in the way) if any of them, or the assignment's folder, exists already."""
    root = Path(root)
    assignment_id = normalise_id(assignment_id)
    planned = {root / relative: text for relative, text in skeleton(assignment_id, files, title).items()}
    folder = folder_of(assignment_id)
    in_the_way = [path for path in [root / "grader" / "assignments" / folder, root / "reference" / folder,
                                    root / "student_template" / folder, root / "tests" / "corpus" / folder,
                                    root / "grader" / "assignments" / assignment_id] if path.exists()]
    in_the_way += [path for path in planned if path.exists() and not any(path.is_relative_to(p) for p in in_the_way)]
    if in_the_way:
        raise ScaffoldError(f"{assignment_id} exists already, nothing was written: "
                            + ", ".join(str(p) for p in in_the_way))
    for path, text in planned.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x") as file:  # "x": never overwrite, even if something appeared meanwhile
            file.write(text)
    return list(planned)


def next_steps(assignment_id, files):
    folder = folder_of(assignment_id)
    data = [name for name in files if not name.endswith((".py", ".ipynb"))]
    steps = [
        f"reference/{folder}/: write the solution, each part students write between '# BEGIN SOLUTION: hint' "
        "and '# END SOLUTION'" + (f"; add the reference's {', '.join(data)}" if data else ""),
        f"grader/assignments/{folder}/checks.py: one check per property (a public and a hidden one per question)",
        f"grader/assignments/{folder}/config.toml: title, handout, limits",
        "python -m grader templates   (writes student_template/ from the reference; again after every change)",
        f"python -m grader run {assignment_id} reference/{folder} -o build/ref.json   (full marks)",
        f"python -m grader run {assignment_id} student_template/{folder} -o build/template.json   (zero)",
        f"tests/corpus/{folder}/: 6 correct and 10 wrong submissions, described in cases.toml",
        f".venv/bin/python -m pytest -q tests -k {assignment_id}   (the suite's checks of every assignment)",
        f"python -m grader bundle {assignment_id}; python -m grader build {assignment_id}   (the zips)",
    ]
    return "\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1)) + \
        "\nThe walkthrough: grader/assignments/README.md"
