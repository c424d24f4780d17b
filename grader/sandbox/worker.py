"""The sandbox side's conversation with the grader, on every platform.

A worker process, however it was started (forked by the zygote on Linux, or spawned fresh where
there is no fork, see ``portable.py``), imports the submission's modules and then answers probe
calls until the grader closes the channel. Nothing here is specific to one operating system.
"""
import importlib
import inspect
import os
import sys
import traceback

from grader.errors import NotAProbe
from grader.sandbox import protocol


def _submission_frames(tb, folder):
    # Only the student's own files: not the engine, torch, or "<frozen importlib...>" pseudo-files.
    frames = [f for f in traceback.extract_tb(tb) if os.path.isabs(f.filename) and f.filename.startswith(folder + os.sep)]
    return [{"file": os.path.relpath(f.filename, folder), "line": f.lineno, "function": f.name,
             "code": (f.line or "").strip()} for f in frames]


def _describe_exception(exc, folder):
    if isinstance(exc, SystemExit):
        message = f"exit() was called (code {exc.code!r})"
    else:
        message = str(exc)
    frames = _submission_frames(exc.__traceback__, folder)
    # Raised with none of the student's code on the stack, in a probe the grader wrote: the grader's own
    # failure, unless the probe says the submission caused it (``exc.student_fault``, a missing name).
    by_grader = not frames and not isinstance(exc, SystemExit) and not getattr(exc, "student_fault", False)
    return {"type": type(exc).__name__, "message": message[:2000], "frames": frames[-5:],
            "origin": "grader" if by_grader else "submission"}


class Submission:
    """What a probe sees: the student's imported modules and state kept for one check."""

    def __init__(self, modules):
        self.modules = modules
        self.state = {}

    def attr(self, module, name):
        try:
            return getattr(self.modules[module], name)
        except AttributeError:
            missing = LookupError(f"{module}.py defines no `{name}`")
            missing.student_fault = True
            raise missing from None


# The engine's probe modules: every worker answers their probes, beside the assignment's own (if any).
ENGINE_PROBES = ("grader.sandbox.probes", "grader.sandbox.torch_probes")


def _probe_modules(assignment_probes):
    return list(dict.fromkeys([*ENGINE_PROBES, *([assignment_probes] if assignment_probes else [])]))


def _is_probe(module, name, value):
    """Whether ``value``, found as ``module.name``, is a probe: a public function defined in ``module``."""
    return inspect.isfunction(value) and not name.startswith("_") and value.__module__ == module.__name__


def probe_table(assignment_probes=None):
    """{qualified name: function} of every probe a worker answers: the public functions defined in the
    engine's probe modules and in ``assignment_probes`` (a module name; an assignment may have none).

    The zygote builds this before any submission is imported and workers dispatch from it, so a submission
    that rebinds a probes module's attributes (``probes.run_model = forged``) changes nothing the grader asks."""
    table = {}
    for name in _probe_modules(assignment_probes):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name and name == assignment_probes:
                continue  # the assignment asks only the engine's probes
            raise
        for module_name in getattr(module, "WARM_IMPORTS", ()):
            importlib.import_module(module_name)
        table.update({f"{name}.{attr}": value for attr, value in vars(module).items()
                      if _is_probe(module, attr, value)})
    return table


def probe_name(probe, assignment_probes=None):
    """The name under which a worker knows ``probe`` (a function of a probes module), checked in the grading
    process: anything else, or a private helper, is the course's mistake (``NotAProbe``), never the student's."""
    modules = _probe_modules(assignment_probes)
    module = sys.modules.get(getattr(probe, "__module__", None) or "")
    name = getattr(probe, "__name__", None)
    if module is None or module.__name__ not in modules or not isinstance(name, str) or \
            getattr(module, name, None) is not probe or not _is_probe(module, name, probe):
        shown = f"{probe.__module__}.{probe.__qualname__}" if hasattr(probe, "__qualname__") else repr(probe)
        raise NotAProbe(f"{shown} is not a probe; a probe is a public function of {', '.join(modules)}")
    return f"{module.__name__}.{name}"


def serve(channel, module_names, folder, probes):
    """Import ``module_names`` from ``folder`` (the current directory), report how that went, then answer
    probe calls from ``channel`` (``probes``: a ``probe_table``, keyed by ``probe_name``) until it closes;
    never returns."""
    main_pid = os.getpid()

    def reply(message):
        sys.stdout.flush()
        sys.stderr.flush()
        if os.getpid() != main_pid:
            os._exit(0)  # a process the student forked must never speak for the worker
        try:
            protocol.send(channel, message)
        except Exception as exc:  # e.g. a probe result that cannot be serialised
            protocol.send(channel, {"ok": False, "error": {
                "type": type(exc).__name__, "message": f"result could not be sent: {exc}"[:500], "frames": []}})

    modules = {}
    import_error = None
    for name in module_names:
        try:
            modules[name] = importlib.import_module(name)
        except BaseException as exc:
            import_error = dict(_describe_exception(exc, folder), module=name)
            break
    reply({"ok": import_error is None, "error": import_error})
    if import_error is not None:
        os._exit(0)

    submission = Submission(modules)
    while True:
        try:
            message = protocol.receive(channel)
        except Exception:
            os._exit(0)
        probe = probes.get(message["probe"])  # bound before the submission was imported
        if probe is None:
            reply({"ok": False, "error": {"type": "LookupError", "message": f"no probe {message['probe']}",
                                          "frames": [], "origin": "grader"}})
            continue
        try:
            value = probe(submission, *message["args"], **message["kwargs"])
            reply({"ok": True, "value": value})
        except BaseException as exc:
            reply({"ok": False, "error": _describe_exception(exc, folder)})
