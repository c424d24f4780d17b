"""Rules about what a submission's source may contain, judged from its syntax tree.

The grading process parses the text (``ast.parse`` runs nothing), so these checks hold even
for a file that cannot be imported. Each returns the violations as ``(line, what)`` pairs.

What a syntax tree can show: names and attribute chains, imports, and lookups spelled with constant
strings (``getattr(torch, "distri" "butions")``, ``importlib.import_module("scipy.stats")``,
``__import__("torch")``; adjacent or added literals are folded). What it cannot show: names built at
run time (``getattr(torch, name)`` with a computed ``name``) and code run from strings (``eval``,
``exec``, ``compile``). ``dynamic_code`` lists those lines for the course staff; the hidden behavioural
checks stay the backstop, since a rule only says how an answer was written, not whether it is right.
"""
import ast

from grader.core.checks import CheckFailed


def _tree(source: str, filename: str):
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise CheckFailed(f"{filename} is not valid Python (line {exc.lineno}: {exc.msg}).") from None
    except (RecursionError, MemoryError, ValueError):
        raise CheckFailed(f"{filename} could not be parsed.") from None


_IMPORTERS = ("__import__", "import_module")
_RUNS_STRINGS = ("eval", "exec", "compile")


def _constant_string(node):
    """The value of a string literal, of literals joined with ``+``, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_string(node.left), _constant_string(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _called(node):
    """The called name of a call (``getattr``, ``import_module``, ``eval``, ...), else ''."""
    if not isinstance(node, ast.Call):
        return ""
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def imported_modules(source: str, filename: str):
    """(line, top-level module) for every import, including imports inside functions and
    ``__import__("x")`` / ``importlib.import_module("x")`` calls with a literal name."""
    found = []
    for node in ast.walk(_tree(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." if node.level else (node.module or "").split(".")[0]))
        elif _called(node) in _IMPORTERS:
            literal = _constant_string(node.args[0]) if node.args else None
            found.append((node.lineno, literal.split(".")[0] if literal is not None else "(computed name)"))
    return found


def expect_only_imports(source: str, filename: str, allowed):
    """Fail, naming each line, if ``filename`` imports anything outside ``allowed``."""
    bad = [(line, name) for line, name in imported_modules(source, filename) if name not in allowed]
    if bad:
        listed = "; ".join(f"line {line}: {name}" for line, name in bad)
        raise CheckFailed(f"{filename} imports modules the assignment does not allow ({listed}). "
                          f"Allowed: {', '.join(sorted(allowed))}.")


def _dotted(node):
    """"torch.distributions.Normal" for an attribute chain rooted at a name or at an import by constant
    name, where ``getattr(x, "name")`` with a constant name counts as ``x.name``; else None."""
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif _called(node) == "getattr" and len(node.args) >= 2 and _constant_string(node.args[1]) is not None:
            parts.append(_constant_string(node.args[1]))
            node = node.args[0]
        else:
            break
    if isinstance(node, ast.Name):
        root = node.id
    elif _called(node) in _IMPORTERS and node.args and _constant_string(node.args[0]) is not None:
        root = _constant_string(node.args[0])
    else:
        return None
    return ".".join([root, *reversed(parts)])


def used_names(source: str, filename: str):
    """(line, dotted name) for every imported module or name and every name or attribute chain used."""
    found = []
    for node in ast.walk(_tree(source, filename)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, (ast.Attribute, ast.Name)) or _called(node) in ("getattr", *_IMPORTERS):
            name = _dotted(node)
            if name:
                found.append((node.lineno, name))
    return found


def dynamic_code(source: str, filename: str):
    """(line, what) for code a syntax tree cannot read: ``eval``, ``exec`` and ``compile``, and
    ``getattr``, ``importlib.import_module`` or ``__import__`` with a name computed at run time."""
    found = []
    for node in ast.walk(_tree(source, filename)):
        called = _called(node)
        if called in _RUNS_STRINGS:
            found.append((node.lineno, f"{called}()"))
        elif called in _IMPORTERS and (not node.args or _constant_string(node.args[0]) is None):
            found.append((node.lineno, f"{called}() of a computed name"))
        elif called == "getattr" and (len(node.args) < 2 or _constant_string(node.args[1]) is None):
            found.append((node.lineno, "getattr() of a computed name"))
    return sorted(set(found))


def staff_note(source: str, filename: str):
    """A note for the course staff naming the lines ``dynamic_code`` finds, or '' when there are none."""
    lines = dynamic_code(source, filename)
    if not lines:
        return ""
    listed = "; ".join(f"line {line}: {what}" for line, what in lines)
    return (f"Kept as far as the source shows. For the course staff: {filename} runs code that the rule "
            f"cannot read ({listed}); the hidden checks still test what it computes.")


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
