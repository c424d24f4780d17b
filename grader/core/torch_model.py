"""A student's torch model as a check holds it (grading-process side).

``ctx.model(module, factory, *args)`` builds the model in the check's worker and returns a ``Model``,
whose methods run the engine's torch probes on it (``grader/sandbox/torch_probes.py``):

    model = ctx.model("hw2_ResNet", "Block", 4)       # .parameters: the count the worker reports
    trace = model.trace(x)                            # .output_shape, .calls, .layers
    run = model.run(x, train=True, values=values)     # .output, .layer_inputs, ... (see Run)
    flow = model.gradient_flow(x)                     # .input, .parameters

A worker holds one model at a time: building another makes the older handle stale, and using it then
is the course's mistake (a grader error), as is running with ``values`` before ``trace``, which fixes
the layers (in execution order) that the values are for. Whatever comes back was reported by the
worker and is untrusted: a check verifies it before relying on it.
"""
from dataclasses import dataclass, fields

import torch

from grader.errors import SubmissionError
from grader.sandbox import torch_probes, torch_trace


def signature(factory, args, kwargs=None):
    """'Block(4)' rather than 'Block(4,)'."""
    shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in (kwargs or {}).items()]
    return f"{factory}({', '.join(shown)})"


def _fields(cls, reply, doing):
    """``cls`` from a worker's dict answer; a key it left out is None (checks fail on what is missing)."""
    if not isinstance(reply, dict):
        raise SubmissionError(f"The process running your code answered in a form the grader does not know "
                              f"while {doing}.")
    return cls(**{f.name: reply.get(f.name) for f in fields(cls)})


@dataclass(frozen=True)
class Trace:
    """One run in evaluation mode without gradients: the ``output_shape`` (a list), and ``calls``, every leaf
    layer and every layer holding tensors as it ran, in order (``torch_trace.LayerTrace`` without the modules:
    path, kind, config, in_shape, out_shape, tensors)."""
    output_shape: list
    calls: list

    @property
    def layers(self):
        """The layers holding parameters or buffers, each at its first call: the ones ``values`` are for."""
        return torch_trace.holders(self.calls)


@dataclass(frozen=True)
class Run:
    """One forward pass (``torch_trace.run``): the ``output``; for each traced layer holding tensors, its
    first input and output and its buffers after the pass; with ``out_weights``, the gradients of
    sum(output * out_weights) with respect to the input and to each layer's parameters ({name: tensor})."""
    output: torch.Tensor
    layer_inputs: list
    layer_outputs: list
    buffers_after: list
    input_grad: torch.Tensor = None
    grads: list = None


@dataclass(frozen=True)
class GradientFlow:
    """One backward pass of the squared output in training mode: whether the ``input`` gets a nonzero
    gradient, and ``parameters``, {the student's parameter name: whether it gets one}."""
    input: bool
    parameters: dict


class Model:
    """A model built in a check's worker (see the module docstring)."""

    def __init__(self, ctx, module, factory, args=(), kwargs=None, doing=None):
        self._ctx, self.name = ctx, signature(factory, args, kwargs)
        self._trace = None
        built = ctx.call(torch_probes.build_model, module, factory, list(args), dict(kwargs or {}),
                         doing=doing or f"building {self.name}")
        ctx._current_model = self  # the context remembers which model its worker holds now
        self.parameters = built.get("parameters") if isinstance(built, dict) else None

    def _check_current(self, action):
        if getattr(self._ctx, "_current_model", None) is not self:
            raise RuntimeError(f"{action} {self.name}: another model was built in this check's worker since; "
                               "a worker holds one model at a time, so build this one again")

    def trace(self, x, doing=None) -> Trace:
        """Run the model once on ``x`` and record its layers; ``run`` then takes values for ``trace().layers``."""
        self._check_current("tracing")
        doing = doing or f"running {self.name} on an input of shape {tuple(x.shape)}"
        self._trace = _fields(Trace, self._ctx.call(torch_probes.trace_model, x, doing=doing), doing)
        return self._trace

    def run(self, x, train=False, *, values=None, fill=None, out_weights=None, double=False, doing=None) -> Run:
        """One forward pass on ``x`` in training or evaluation mode, after loading ``values`` (one {name: tensor}
        per layer of the last trace) or setting every parameter to ``fill``; with ``out_weights``, a backward
        pass of sum(output * out_weights) too; with ``double``, in float64 when the model allows it."""
        self._check_current("running")
        if values is not None and self._trace is None:
            raise RuntimeError(f"running {self.name} with values before tracing it: the values are for the layers "
                               "of model.trace(x), in the order they run")
        doing = doing or f"running {self.name} in {'training' if train else 'evaluation'} mode"
        reply = self._ctx.call(torch_probes.run_model, x, train, values=values, fill=fill, out_weights=out_weights,
                               double=double, doing=doing)
        return _fields(Run, reply, doing)

    def gradient_flow(self, x, doing=None) -> GradientFlow:
        """Which of the student's parameters (and the input) get a nonzero gradient from one backward pass."""
        self._check_current("back-propagating through")
        doing = doing or f"back-propagating through {self.name}"
        return _fields(GradientFlow, self._ctx.call(torch_probes.gradient_flow, x, doing=doing), doing)
