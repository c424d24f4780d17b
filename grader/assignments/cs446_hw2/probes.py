"""What the cs446-hw2 checks may ask of a submission (runs in the sandbox)."""
from grader.sandbox.torch_probes import build_model, gradient_flow, run_model, trace_model  # noqa: F401
