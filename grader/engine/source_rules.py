"""Rules about what a submission's source may contain, judged from its syntax tree.

The grading process parses the text (``ast.parse`` runs nothing), so these checks hold even
for a file that cannot be imported. Each returns the violations as ``(line, what)`` pairs.
"""
import ast

from grader.engine.checks import CheckFailed


def _tree(source: str, filename: str):
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise CheckFailed(f"{filename} is not valid Python (line {exc.lineno}: {exc.msg}).") from None
    except (RecursionError, MemoryError, ValueError):
        raise CheckFailed(f"{filename} could not be parsed.") from None


def imported_modules(source: str, filename: str):
    """(line, top-level module) for every import, including imports inside functions and
    ``__import__("x")`` / ``importlib.import_module("x")`` calls with a literal name."""
    found = []
    for node in ast.walk(_tree(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." if node.level else (node.module or "").split(".")[0]))
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("__import__", "import_module"):
                argument = node.args[0] if node.args else None
                literal = argument.value if isinstance(argument, ast.Constant) else None
                found.append((node.lineno, literal.split(".")[0] if isinstance(literal, str) else "(computed name)"))
    return found


def expect_only_imports(source: str, filename: str, allowed):
    """Fail, naming each line, if ``filename`` imports anything outside ``allowed``."""
    bad = [(line, name) for line, name in imported_modules(source, filename) if name not in allowed]
    if bad:
        listed = "; ".join(f"line {line}: {name}" for line, name in bad)
        raise CheckFailed(f"{filename} imports modules the assignment does not allow ({listed}). "
                          f"Allowed: {', '.join(sorted(allowed))}.")
