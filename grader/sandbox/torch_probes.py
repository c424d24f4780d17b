"""Probes that run inside the sandbox on a student's torch model.

Every worker answers them; checks use them through the grader's handle, ``ctx.model(...)``
(``grader/core/torch_model.py``), which keeps their order: build the model (the worker keeps it in
``sub.state`` for the check's later probes), trace it (which fixes the execution order of its
layers), then run it, possibly after loading values the grader drew into those layers.
"""
import torch
from torch import nn

from grader.sandbox import torch_trace


def build_model(sub, module, factory, args=(), kwargs=None):
    model = sub.attr(module, factory)(*args, **(kwargs or {}))
    if not isinstance(model, nn.Module):
        raise TypeError(f"{factory}(...) returned a {type(model).__name__}, not a torch.nn.Module")
    sub.state.pop("holders", None)  # the layers traced belong to the model built before
    sub.state["model"] = model
    return {"parameters": torch_trace.count_parameters(model)}


def trace_model(sub, x):
    output, calls = torch_trace.trace(sub.state["model"], x)
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"forward returned a {type(output).__name__}, not a tensor")
    sub.state["holders"] = [call["module"] for call in torch_trace.holders(calls)]
    return {"output_shape": list(output.shape), "calls": torch_trace.plain(calls)}


def run_model(sub, x, train, values=None, fill=None, out_weights=None, double=False):
    """One traced run; with ``double``, in float64 like the reference (in float32, a max-pooling window
    whose two largest inputs are within rounding of each other sends its gradient to the other pixel)."""
    model = sub.state["model"]
    if fill is not None:
        torch_trace.fill(model, fill)
    if values is not None:
        torch_trace.assign(sub.state["holders"], values)
    holders = sub.state.get("holders", [])
    if double:
        saved = {name: t.detach().clone() for name, t in model.state_dict().items()}
        try:
            return torch_trace.run(model.double(), holders, x.double() if x.is_floating_point() else x, train,
                                   None if out_weights is None else out_weights.double())
        except Exception:  # code that makes float32 tensors of its own: compare in float32 after all
            model.float().load_state_dict(saved)  # undo what the failed pass changed (running statistics)
    return torch_trace.run(model, holders, x, train, out_weights)


def gradient_flow(sub, x):
    """Which parameters (by the student's own names) get a nonzero gradient from one backward pass."""
    model = sub.state["model"]
    model.train()
    parameter = next(model.parameters(), None)  # after a float64 run_model the model is in float64
    x = x.to(parameter.dtype if parameter is not None and parameter.is_floating_point() else x.dtype)
    x = x.clone().requires_grad_(True)
    for p in model.parameters():
        p.grad = None
    output = model(x)
    output.square().sum().backward()
    return {"input": x.grad is not None and bool(x.grad.abs().sum() > 0),
            "parameters": {name: p.grad is not None and bool(p.grad.abs().sum() > 0)
                           for name, p in model.named_parameters()}}
