"""Student templates, generated from the reference.

A solution block in a reference file

        # BEGIN SOLUTION: build the layers of f
        ...solution...
        # END SOLUTION

becomes, in the template,

        # TODO: build the layers of f
        raise NotImplementedError("Block.__init__ is not written yet")

Every other file of the reference folder is copied unchanged. For a notebook assignment
(``<name>.ipynb`` among its files) the reference module ``<name>.py`` becomes two notebooks: the
student's, solutions stripped, in the template folder, and the solved one beside the module.
"""
import re

from grader.core import assignments, notebooks

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?::\s*(?P<hint>.*?))?\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEFINITION = re.compile(r"^(?P<indent>\s*)(?:async\s+)?(?P<kind>def|class)\s+(?P<name>\w+)")
SKIPPED = {"__pycache__", ".ipynb_checkpoints"}


class MarkerError(ValueError):
    pass


def _enclosing_name(lines, indent):
    """Qualified name (Class.method) of the definition that contains a line indented by ``indent``."""
    names, limit = [], len(indent)
    for line in reversed(lines):
        match = DEFINITION.match(line)
        if match and len(match["indent"]) < limit:
            names.append(match["name"])
            limit = len(match["indent"])
    return ".".join(reversed(names)) or "this part"


def strip_solutions(text: str, filename: str) -> str:
    out, inside = [], None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if inside:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION inside the block opened at line {inside}")
            inside = number
            indent = begin["indent"]
            if begin["hint"]:
                out.append(f"{indent}# TODO: {begin['hint']}\n")
            out.append(f'{indent}raise NotImplementedError("{_enclosing_name(out, indent)} is not written yet")\n')
        elif end:
            if not inside:
                raise MarkerError(f"{filename}:{number}: END SOLUTION without a BEGIN SOLUTION")
            inside = None
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{filename}:{inside}: BEGIN SOLUTION is never closed")
    return "".join(out)


def keep_solutions(text: str, filename: str) -> str:
    """The reference with its markers removed (for the solved notebook); checks the markers pair up."""
    strip_solutions(text, filename)
    return "".join(line for line in text.splitlines(keepends=True) if not (BEGIN.match(line) or END.match(line)))


def _notebook_modules(assignment):
    """{module path in the reference folder: notebook name} for the notebooks the assignment asks for."""
    return {assignment.reference_dir / f"{name[:-len('.ipynb')]}.py": name
            for name in notebooks.notebook_names(assignment)}


def solved_notebooks(assignment):
    """{path of the solved notebook in the reference folder: its content}."""
    return {assignment.reference_dir / name: notebooks.render(keep_solutions(module.read_text(), str(module))).encode()
            for module, name in _notebook_modules(assignment).items()}


def template_files(assignment):
    """{relative path: template content (bytes)} generated from the assignment's reference folder."""
    files, as_notebooks = {}, _notebook_modules(assignment)
    for path in sorted(assignment.reference_dir.rglob("*")):
        relative = path.relative_to(assignment.reference_dir)
        if path.is_dir() or SKIPPED & set(relative.parts) or str(relative) in assignment.reference_only \
                or path.name in as_notebooks.values():  # solved notebooks: generated, never copied
            continue
        if path in as_notebooks:
            files[relative.with_name(as_notebooks[path])] = notebooks.render(
                strip_solutions(path.read_text(), str(path))).encode()
        elif path.suffix == ".py":
            files[relative] = strip_solutions(path.read_text(), str(path)).encode()
        else:
            files[relative] = path.read_bytes()
    return files


def write_templates(check_only=False, only=None):
    """Bring every template folder up to date; return the paths that were (or would be) changed."""
    changed = []
    for assignment in assignments.all_assignments().values():
        if only and assignment.id not in only:
            continue
        generated = {assignment.template_dir / relative: content
                     for relative, content in template_files(assignment).items()}
        for target, content in {**generated, **solved_notebooks(assignment)}.items():
            if not target.exists() or target.read_bytes() != content:
                changed.append(target)
                if not check_only:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
    return changed
