"""Notebook assignments: writing notebooks from a reference module, and reading submitted ones.

A notebook assignment lists ``<name>.ipynb`` among its files and keeps ``reference/<folder>/<name>.py``
in the percent format (``# %%`` code cells, ``# %% [markdown]`` text cells, ``# %% tags=["graded"]``
for the cells students fill in). ``render`` turns that module into the student notebook (solutions
stripped) and the solved notebook. ``gather`` turns a submitted notebook back into a module the
sandbox imports: the graded cells plus every import, or, when Colab lost the tags, the notebook's
imports and top-level definitions. Cells that would train or plot are never part of it.
"""
import ast
import json
import os
import re
import shutil
import stat
import tempfile
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

GRADED_TAG = "graded"
MAIN_GUARD = re.compile(r'^if __name__ == ["\']__main__["\']:\s*$')
# Cell magics whose body is plain Python that runs as if the magic were not there.
TRANSPARENT_CELL_MAGICS = {"time", "timeit", "capture", "prun"}


class NotebookError(ValueError):
    """A submitted notebook that cannot be graded; the message is for the student."""


# ------------------------------------------------------------------------------ writing notebooks

def _unwrap_main(source: str) -> str:
    """``if __name__ == "__main__":`` keeps a module importable; in a notebook its body simply runs."""
    first, _, body = source.partition("\n")
    if MAIN_GUARD.match(first) and all(not line.strip() or line.startswith((" ", "\t"))
                                       for line in body.splitlines()):
        return textwrap.dedent(body).strip("\n")
    return source


def render(module_text: str) -> str:
    """The notebook (JSON text) of a percent-format module whose solutions were already handled."""
    import jupytext
    import nbformat

    notebook = jupytext.reads(module_text, fmt="py:percent")
    cells = []
    for index, cell in enumerate(notebook.cells, start=1):
        tags = list(cell.metadata.get("tags", []))
        source = cell.source if cell.cell_type == "markdown" else _unwrap_main(cell.source)
        make = nbformat.v4.new_markdown_cell if cell.cell_type == "markdown" else nbformat.v4.new_code_cell
        new = make(source, metadata={"tags": tags} if tags else {})
        new.id = f"cell-{index:02d}"  # stable ids, so regenerating a notebook changes nothing
        cells.append(new)
    result = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(result)
    return nbformat.writes(result) + "\n"


# ------------------------------------------------------------------------------ reading submissions

@dataclass
class Gathered:
    """A notebook's code as one module, and where each of its lines came from."""
    code: str
    origin: dict = field(default_factory=dict)  # module line -> (cell number, line in cell)
    notes: list = field(default_factory=list)


def read_submitted_file(path: Path, inside: Path, max_bytes: int, too_large_hint: str = "") -> bytes:
    """The bytes of a submitted file that lies inside ``inside`` with no link on the way, opened without
    following links (the grader reads it as root: a link could name any file on the machine)."""
    path, inside = Path(path), Path(inside)
    try:
        relative = path.relative_to(inside)
    except ValueError:
        raise NotebookError(f"{path.name} is not inside the submission.") from None
    if os.path.realpath(path) != os.path.join(os.path.realpath(inside), *relative.parts):
        raise NotebookError(f"{relative} is a link (or lies in a linked folder); submit the file itself.")
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise NotebookError(f"{relative} could not be opened ({os.strerror(exc.errno)}).") from None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(f"{relative} is not a regular file.")
        if info.st_size > max_bytes:
            raise NotebookError(f"{path.name} is {info.st_size / 2**20:.1f} MB; the limit is "
                                f"{max_bytes / 2**20:.0f} MB.{too_large_hint}")
        return file.read(max_bytes + 1)[:max_bytes]


def read_notebook(path: Path, max_bytes: int, inside: Path = None):
    """The notebook at ``path``, a file inside the folder ``inside`` (default: its own folder)."""
    import nbformat

    data = read_submitted_file(path, Path(inside or Path(path).parent), max_bytes,
                               " Clear the outputs (Edit > Clear all outputs) and submit it again.")
    try:
        notebook = nbformat.reads(data.decode("utf-8", "replace"), as_version=4)
    except json.JSONDecodeError as exc:
        # Position only: the message never quotes the file.
        raise NotebookError(f"{path.name} is not a notebook: it is not valid JSON ({exc.msg}: line {exc.lineno} "
                            f"column {exc.colno}). Download it again as .ipynb (File > Download > Download "
                            ".ipynb).") from None
    except nbformat.reader.NotJSONError:
        raise NotebookError(f"{path.name} is not a notebook: it is not valid JSON. "
                            "Download it again as .ipynb (File > Download > Download .ipynb).") from None
    except Exception as exc:  # nbformat raises several kinds for JSON that is not a notebook
        raise NotebookError(f"{path.name} is not a notebook nbformat can read ({type(exc).__name__}: "
                            f"{str(exc)[:200]}).") from None
    if not isinstance(notebook.get("cells"), list):
        raise NotebookError(f"{path.name} has no list of cells; it is not a Jupyter notebook.")
    return notebook


def cell_text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _without_magics(text: str) -> str:
    """The cell with IPython-only lines (``%magic``, ``!shell``, ``x = !ls``, ``obj?``) made into ``pass``."""
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].strip()[2:].split(maxsplit=1)[0] if lines[first].strip()[2:] else ""
        if name not in TRANSPARENT_CELL_MAGICS:
            return ""  # %%bash, %%writefile, ...: not Python
        lines[first] = ""
    magic = re.compile(r"^\s*([%!]|\w+\s*=\s*[%!])|\?\s*$")
    return "\n".join(re.match(r"^\s*", line).group() + "pass" if magic.search(line) else line for line in lines)


def _parse_cell(text: str):
    """(syntax tree, code) of a cell, or (None, error) when even without IPython syntax it is not Python."""
    for candidate in (text, _without_magics(text)):
        try:
            return ast.parse(candidate), candidate
        except SyntaxError as exc:
            error = exc
    return None, f"line {error.lineno}: {error.msg}"


def _statement_lines(node):
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return start, node.end_lineno


def _is_constant(node):
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    try:
        ast.literal_eval(node.value)
        return True
    except (ValueError, SyntaxError, TypeError):
        return False


def _guarded(lines):
    """A statement copied from an ungraded cell may need what only Colab has (google.colab) or what the
    grader leaves out (a data path as a default argument): if it fails, it is skipped, not fatal."""
    return ["try:"] + ["    " + line for line in lines] + ["except Exception:", "    pass"]


FROM_KERNEL = "rebuilt_from_kernel_history"  # notebook metadata set by in_notebook.current_notebook


def gather(notebook, notebook_name: str) -> Gathered:
    """The module the grader imports for a notebook. From ungraded cells: imports, top-level functions
    and classes, and constants, each skipped if it fails. Then the graded cells whole, so that they win
    over a scratch copy of the same function elsewhere in the notebook. Nothing else runs: no training,
    no plotting."""
    cells = [(number, cell) for number, cell in enumerate(notebook.get("cells", []), start=1)
             if cell.get("cell_type") == "code"]
    if not any(cell_text(cell).strip() for _, cell in cells):
        raise NotebookError(f"{notebook_name} has no code in it.")
    tagged = [number for number, cell in cells if GRADED_TAG in (cell.get("metadata", {}).get("tags") or [])]
    result = Gathered(code="")
    out = [f"# The code of {notebook_name} that the grader runs (see grader/core/notebooks.py)."]
    # A self-check of a running kernel (in_notebook.py) has its cells but never their tags: no news to tell.
    if not tagged and not notebook.get("metadata", {}).get(FROM_KERNEL):
        result.notes.append(f"No cell of {notebook_name} carries the \"{GRADED_TAG}\" tag (Colab sometimes "
                            "drops it), so the grader took the notebook's imports, constants and top-level "
                            "functions and classes, and nothing else.")
    parsed = []
    for number, cell in cells:
        tree, code = _parse_cell(cell_text(cell))
        if tree is None:
            if number in tagged or re.search(r"^\s*(def|class)\s", cell_text(cell), re.M):
                result.notes.append(f"Cell {number} of {notebook_name} was left out: it is not valid Python "
                                    f"({code}). Any function defined in it is missing.")
            continue
        parsed.append((number, tree, code.splitlines()))

    def emit(lines, number, first_line, guard):
        out.append(f"# cell {number}")
        start = len(out) + (1 if guard else 0)
        out.extend(_guarded(lines) if guard else lines)
        for offset in range(len(lines)):
            result.origin[start + offset + 1] = (number, first_line + offset)

    for number, tree, lines in parsed:
        if number in tagged:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) or _is_constant(node):
                start, end = _statement_lines(node)
                emit(lines[start - 1:end], number, start, guard=True)
    for number, _, lines in parsed:
        if number in tagged:
            emit(lines, number, 1, guard=False)
    result.code = "\n".join(out) + "\n"
    return result


# ------------------------------------------------------------------------------ preparing a submission

def notebook_names(assignment):
    return [name for name in assignment.files if name.endswith(".ipynb")]


def find_notebook(submission: Path, wanted: str):
    """(path, note) of the submitted notebook meant as ``wanted``: that name, or else the only notebook
    there (Colab names downloads "Copy of ...", "A3 (1).ipynb"), or the closest name among several."""
    if submission.is_file():
        return (submission, None) if submission.suffix == ".ipynb" else (None, None)
    if (submission / wanted).is_file():
        return submission / wanted, None
    found = sorted(p for p in submission.rglob("*.ipynb")
                   if not {".ipynb_checkpoints", "__MACOSX"} & set(p.relative_to(submission).parts))
    if len(found) > 1:
        stem = wanted[:-len(".ipynb")].lower()
        found = [p for p in found if stem in p.name.lower()] or \
            [p for p in found if p.name in get_close_matches(wanted, [p.name for p in found], n=1, cutoff=0.5)]
    if len(found) == 1:
        return found[0], f"There is no {wanted}, so the grader graded {found[0].relative_to(submission)} instead."
    return None, None


@dataclass
class Prepared:
    folder: Path
    problem: str = None
    notes: list = field(default_factory=list)
    sources: dict = field(default_factory=dict)  # module name -> (notebook name, Gathered)

    def explain(self, message: str) -> str:
        """A failure message in the notebook's terms: cells and lines of the notebook, not of the
        module gathered from it, and what the grader noticed about the notebook."""
        for module, (name, gathered) in self.sources.items():
            def where(match, gathered=gathered, name=name):
                cell_line = gathered.origin.get(int(match["line"]))
                return f"{name}, cell {cell_line[0]}, line {cell_line[1]}" if cell_line else name
            message = re.sub(rf"\b{re.escape(module)}\.py, line (?P<line>\d+)", where, message)
            message = re.sub(rf"\b{re.escape(module)}\.py\b", name, message)
        notes = list(self.notes)
        if self.sources and "did not finish" in message and "importing" in message:
            notes.append("The grader runs graded cells in full, so keep training, plotting and other long work in "
                         "cells without the \"graded\" tag.")
        if notes:
            message += "\n\nAbout your notebook: " + " ".join(notes)
        return message


@contextmanager
def prepared(assignment, submission: Path, max_bytes: int):
    """The submission as the sandbox takes it: each notebook gathered into ``<name>.py`` in a private
    temporary folder (with the submission's other required files). A no-op for .py assignments."""
    names = notebook_names(assignment)
    if not names:
        yield Prepared(submission)
        return
    folder = Path(tempfile.mkdtemp(prefix="grader-notebook-"))
    try:
        result = Prepared(folder)
        base = submission.parent if submission.is_file() else submission
        inside = base if submission.is_file() else submission
        for name in assignment.files:
            if name in names:
                continue
            if (base / name).is_file() and not (base / name).is_symlink():
                shutil.copyfile(base / name, folder / name)
        for name in names:
            path, note = find_notebook(submission, name)
            if path is None:
                present = ", ".join(sorted(p.name for p in base.iterdir())) if base.is_dir() else "nothing"
                result.problem = f"The submission has no notebook {name!r} (found: {present or 'nothing'})."
                break
            if note:
                result.notes.append(note)
            try:
                data = read_submitted_file(path, inside, max_bytes)
                gathered = gather(read_notebook(path, max_bytes, inside=inside), path.name)
            except NotebookError as exc:
                result.problem = str(exc)
                break
            module = Path(name).stem
            (folder / f"{module}.py").write_text(gathered.code)
            (folder / name).write_bytes(data)
            result.notes.extend(gathered.notes)
            result.sources[module] = (path.name, gathered)
        yield result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
