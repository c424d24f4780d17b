"""What the amcs215-a9 checks may ask of the notebook's code (module ``a9_networks``; runs in the sandbox)."""
import torch

# Imported once in the zygote, not by the grading process: every notebook imports them, and each worker would
# otherwise pay about half a second for them.
WARM_IMPORTS = ("matplotlib.pyplot", "tqdm.auto")
MODULE = "a9_networks"


def _number(value, what):
    """A float from a 0-dimensional result (tensor, numpy scalar or float)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise TypeError(f"{what} returned a tensor of shape {tuple(value.shape)}, not a single number")
        return float(value.detach().reshape(()).double())
    return float(value)


def differentiable_call(sub, name, tensors, reduce="sum"):
    """{"value": name(*tensors) as float64, "grads": gradients of its ``reduce`` (sum of all its entries) with
    respect to each argument, or None where the result is not connected to it}."""
    inputs = [t.clone().requires_grad_(True) for t in tensors]
    result = sub.attr(MODULE, name)(*inputs)
    if not isinstance(result, torch.Tensor):
        return {"value": torch.as_tensor(result, dtype=torch.float64), "grads": None,
                "type": type(result).__name__}
    grads = None
    if result.requires_grad:
        grads = list(torch.autograd.grad(result.sum(), inputs, allow_unused=True))
        grads = [None if g is None else g.detach().double() for g in grads]
    return {"value": result.detach().double(), "grads": grads, "type": "Tensor"}


def call_number(sub, name, kwargs):
    """name(**kwargs) for a function that returns one number (a parameter count, say): an int when whole."""
    value = _number(sub.attr(MODULE, name)(**kwargs), name)
    return int(value) if value.is_integer() else value
