"""What can go wrong across the sandbox boundary, as the grading core sees it.

The sandbox raises these; checks and the core catch them. Who is at fault decides what the student is
told: their code (``SubmissionError``), or the grader's own (``SandboxError``, ``ProbeError``).
"""


class SubmissionError(Exception):
    """Something the submitted code did (raised, hung, crashed); the text is for the student."""


class SandboxError(Exception):
    """The sandbox itself failed; not the student's fault."""


class ProbeError(Exception):
    """A probe (the grader's code in the worker) raised with none of the student's code on the stack: a
    grader error, for the staff; the text says what was being done and what was raised."""


class NotAProbe(ProbeError):
    """A check asked the worker to run something that is not a probe: the course's mistake, for the staff."""
