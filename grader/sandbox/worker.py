"""The sandbox side's conversation with the grader, on every platform.

A worker process, however it was started (forked by the zygote on Linux, or spawned fresh where
there is no fork, see ``portable.py``), imports the submission's modules and then answers probe
calls until the grader closes the channel. Nothing here is specific to one operating system.
"""
import importlib
import os
import sys
import traceback

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


def probe_table(module):
    """Each public probe of ``module`` as the function object it is now. The zygote builds this before
    any submission is imported and workers dispatch from it, so a submission that rebinds the probes
    module's attributes (``probes.run_model = forged``) changes nothing the grader asks."""
    return {name: value for name, value in vars(module).items()
            if callable(value) and not name.startswith("_") and not isinstance(value, type)}


def serve(channel, module_names, folder, probes):
    """Import ``module_names`` from ``folder`` (the current directory), report how that went, then
    answer probe calls from ``channel`` (``probes``: a ``probe_table``) until it closes; never returns."""
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
