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


def _dotted(node):
    """"torch.distributions.Normal" for an attribute chain rooted at a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def used_names(source: str, filename: str):
    """(line, dotted name) for every imported module or name and every name or attribute chain used."""
    found = []
    for node in ast.walk(_tree(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, (ast.Attribute, ast.Name)):
            name = _dotted(node)
            if name:
                found.append((node.lineno, name))
    return found


def forbidden_uses(source: str, filename: str, modules=(), names=()):
    """(line, dotted name) of every use of a module in ``modules`` (or below it) or of a name whose
    last part is in ``names``, one per line and name."""
    hits = []
    for line, name in used_names(source, filename):
        if any(name == m or name.startswith(m + ".") for m in modules) or name.rsplit(".", 1)[-1] in names:
            if not any(h[0] == line and (name.startswith(h[1]) or h[1].startswith(name)) for h in hits):
                hits.append((line, name))
    return sorted(hits)


def loops_over_rows(source: str, filename: str, function: str):
    """Lines where ``function`` loops in Python over the rows of its first argument: ``for x in X``,
    ``enumerate(X)``, ``range(len(X))``, ``range(X.shape[0])``, ``range(N)`` with ``N = X.shape[0]``,
    and the same in comprehensions. A loop over anything else (the components, say) is not reported."""
    tree = _tree(source, filename)
    definition = next((node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and node.name == function and node.args.args), None)
    if definition is None:
        return []
    data = definition.args.args[0].arg
    counts = set()  # names bound to the number of rows (N = X.shape[0], N, D = X.shape)

    def is_row_count(node):
        text = ast.unparse(node).replace(" ", "")
        return text in {f"len({data})", f"{data}.shape[0]", f"{data}.size(0)", f"{data}.shape[-2]"} or \
            (isinstance(node, ast.Name) and node.id in counts)

    for node in ast.walk(definition):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and is_row_count(node.value):
                    counts.add(target.id)
                elif isinstance(target, ast.Tuple) and ast.unparse(node.value).replace(" ", "") in \
                        {f"{data}.shape", f"{data}.size()"} and target.elts and isinstance(target.elts[0], ast.Name):
                    counts.add(target.elts[0].id)

    def over_rows(iterable):
        if isinstance(iterable, ast.Name) and iterable.id == data:
            return True
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
            if iterable.func.id in ("enumerate", "zip", "iter") and any(over_rows(a) for a in iterable.args):
                return True
            if iterable.func.id == "range" and iterable.args:
                return is_row_count(iterable.args[-1] if len(iterable.args) > 1 else iterable.args[0])
        return False

    loops = []
    for node in ast.walk(definition):
        iterables = [node.iter] if isinstance(node, (ast.For, ast.AsyncFor)) else \
            [g.iter for g in node.generators] if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp,
                                                                    ast.DictComp)) else []
        if any(over_rows(i) for i in iterables):
            loops.append((node.lineno, ast.unparse(iterables[0])))
    return sorted(set(loops))
