"""Pairwise similarity of submitted code, for the course staff.

Fingerprints come from copydetect (winnowing over normalised tokens, as Moss does: renaming
variables or reformatting does not hide a copy). Fingerprints of the template's own code are
treated as boilerplate and discarded, so code every student received does not count. The
report ranks pairs by the larger of the two shares of copied code and quotes the shared passages.
Notebooks are compared by the code of their code cells (outputs and metadata would swamp it).
"""
import io
from itertools import combinations
from pathlib import Path

from tabulate import tabulate

from grader.core import notebooks

K_GRAM = 25  # tokens per fingerprint: long enough that common idioms do not match by chance
WINDOW = 1
MAX_NOTEBOOK_BYTES = 50 * 2**20
# Fingerprinting costs time and memory in proportion to the code (an 11.7 MB file took 77 s and 3.9 GB);
# a homework file is a few kilobytes, so code beyond this is left out, and the report says so.
MAX_CODE_BYTES = 256 * 2**10


class Oversized(Exception):
    """A submitted file whose code is larger than MAX_CODE_BYTES."""


def _code(folder: Path, name: str):
    """The code a student wrote for the submitted file ``name``, or None. Links are never followed."""
    folder = Path(folder)
    if name.endswith(".ipynb"):
        path, _ = notebooks.find_notebook(folder, name)
        if path is None:
            return None
        inside = folder if folder.is_dir() else folder.parent
        cells = notebooks.read_notebook(path, MAX_NOTEBOOK_BYTES, inside=inside).cells
        code = "\n\n".join(notebooks.cell_text(c) for c in cells if c.get("cell_type") == "code")
    elif name.endswith(".py") and (folder / name).is_file() and not (folder / name).is_symlink():
        if (folder / name).stat().st_size > MAX_CODE_BYTES:
            raise Oversized(f"{name} holds more than {MAX_CODE_BYTES >> 10} KB of code")
        code = notebooks.read_submitted_file(folder / name, folder, MAX_CODE_BYTES).decode("utf-8", "replace")
    else:
        return None
    if len(code.encode("utf-8", "replace")) > MAX_CODE_BYTES:
        raise Oversized(f"{name} holds more than {MAX_CODE_BYTES >> 10} KB of code")
    return code


def _fingerprint(code, boilerplate=None):
    from copydetect import CodeFingerprint

    # The name only tells pygments the language: notebooks hold Python too.
    return CodeFingerprint("code.py", K_GRAM, WINDOW, boilerplate=boilerplate, fp=io.StringIO(code))


def _template_boilerplate(assignment):
    hashes = []
    for name in assignment.files:
        code = _code(assignment.template_dir, name)
        if code is not None:
            hashes += list(_fingerprint(code).hashes)
    return hashes


def _passages(code, slices, limit=3, width=300):
    shown = []
    starts, ends = slices
    for start, end in list(zip(starts, ends, strict=True))[:limit]:
        shown.append(code[start:end].strip()[:width])
    return shown


def similar_pairs(assignment, submissions, minimum=0.3, skipped=None):
    """[(share, student_a, student_b, passages)] for pairs sharing at least ``minimum`` of their code.
    Files too large to compare are left out and listed in ``skipped`` (a list) as (student, reason)."""
    from copydetect import compare_files

    boilerplate = _template_boilerplate(assignment)
    prints = {}  # student -> {file name: fingerprint}; only the same file of two students is compared
    for submission in submissions:
        for name in assignment.files:
            try:
                code = _code(Path(submission.folder), name)
                if code is not None:
                    prints.setdefault(submission.student, {})[name] = _fingerprint(code, boilerplate)
            except Oversized as exc:
                if skipped is not None:
                    skipped.append((submission.student, str(exc)))
            except Exception:  # unreadable or untokenisable code has nothing to compare
                pass
    pairs = []
    for (a, prints_a), (b, prints_b) in combinations(sorted(prints.items()), 2):
        for name in sorted(set(prints_a) & set(prints_b)):
            overlap, (share_a, share_b), (slices_a, _) = compare_files(prints_a[name], prints_b[name])
            share = max(share_a, share_b)
            if overlap and share >= minimum:
                pairs.append((share, a, b, _passages(prints_a[name].raw_code, slices_a)))
    return sorted(pairs, key=lambda pair: -pair[0])


def report(assignment, submissions, path, top=25):
    skipped = []
    pairs = similar_pairs(assignment, submissions, skipped=skipped)
    lines = [f"Most similar pairs of {assignment.id} submissions (template code discounted; copydetect, "
             f"k={K_GRAM}). A high share is a reason to look, not a verdict.", ""]
    if skipped:
        lines += ["Not compared (look at these yourself):"]
        lines += [f"    {student}: {reason}" for student, reason in skipped] + [""]
    rows = [[f"{100 * share:.0f}%", a, b] for share, a, b, _ in pairs[:top]]
    lines.append(tabulate(rows, headers=["shared code", "student", "student"], tablefmt="simple")
                 if rows else "No pair shares 30% or more of its code.")
    for share, a, b, passages in pairs[:top]:
        lines += ["", f"== {a} and {b} ({100 * share:.0f}%)"]
        for passage in passages:
            lines += ["    " + line for line in passage.splitlines()] + ["    ..."]
    Path(path).write_text("\n".join(lines) + "\n")
    return pairs
