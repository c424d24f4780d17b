"""Student templates, generated from the reference.

A solution block in a reference file

        # BEGIN SOLUTION: build the layers of f
        ...solution...
        # END SOLUTION

becomes, in the template,

        # TODO: build the layers of f
        raise NotImplementedError("Block.__init__ is not written yet")

Every other file of the reference folder is copied unchanged.
"""
import re

from grader.engine import assignments

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


def template_files(assignment):
    """{relative path: template content (bytes)} generated from the assignment's reference folder."""
    files = {}
    for path in sorted(assignment.reference_dir.rglob("*")):
        relative = path.relative_to(assignment.reference_dir)
        if path.is_dir() or SKIPPED & set(relative.parts) or str(relative) in assignment.reference_only:
            continue
        if path.suffix == ".py":
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
        for relative, content in template_files(assignment).items():
            target = assignment.template_dir / relative
            if not target.exists() or target.read_bytes() != content:
                changed.append(target)
                if not check_only:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(content)
    return changed
