"""Looking at a torch model by what it does: which layers run, in which order, with what.

Used on both sides of the sandbox: inside the worker on the student's model, and in the
grading process on the reference. Layers are identified by the order in which they run,
never by attribute names, so ``nn.Sequential``, functional activations and any naming or
definition order give the same description of the same computation.
"""
import torch
from torch import nn

_CONFIG_FIELDS = {
    "Conv1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "BatchNorm2d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "Linear": ("in_features", "out_features"),
    "MaxPool2d": ("kernel_size", "stride", "padding"),
    "AvgPool2d": ("kernel_size", "stride", "padding"),
    "AdaptiveAvgPool2d": ("output_size",),
    "AdaptiveMaxPool2d": ("output_size",),
    "Embedding": ("num_embeddings", "embedding_dim"),
    "RNN": ("input_size", "hidden_size", "num_layers", "batch_first"),
    "LSTM": ("input_size", "hidden_size", "num_layers", "batch_first"),
    "GRU": ("input_size", "hidden_size", "num_layers", "batch_first"),
}


def kind(module: nn.Module) -> str:
    """The torch.nn class a module is (or derives from): a student's subclass of Conv2d is a Conv2d."""
    for cls in type(module).__mro__:
        if cls.__module__.startswith("torch.nn.") and cls is not nn.Module:
            return cls.__name__
    return type(module).__name__


def describe(module: nn.Module) -> dict:
    name = kind(module)
    config = {}
    for field in _CONFIG_FIELDS.get(name, ()):
        value = getattr(module, field, None)
        config[field] = list(value) if isinstance(value, tuple) else value
    if name.startswith(("Conv", "Linear")):
        config["bias"] = module.bias is not None
    return config


def _own_tensors(module):
    return dict(module.named_parameters(recurse=False)), dict(module.named_buffers(recurse=False))


def _shape(value):
    return list(value.shape) if isinstance(value, torch.Tensor) else None


class LayerTrace:
    """Forward hooks that record every leaf layer and every layer holding tensors, in call order."""

    def __init__(self, model: nn.Module):
        self.calls, self._handles = [], []
        for path, module in model.named_modules():
            params, buffers = _own_tensors(module)
            if not list(module.children()) or params or buffers:
                self._handles.append(module.register_forward_hook(self._hook(path or "(model)", module)))

    def _hook(self, path, module):
        def record(_module, inputs, output):
            params, buffers = _own_tensors(module)
            first = inputs[0] if inputs else None
            self.calls.append({
                "path": path, "kind": kind(module), "config": describe(module),
                "in_shape": _shape(first), "out_shape": _shape(output if not isinstance(output, tuple) else output[0]),
                "tensors": {n: list(t.shape) for n, t in {**params, **buffers}.items()},
                "module": module,
            })
        return record

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.remove()


def holders(calls):
    """The first call of each layer that holds parameters or buffers, in execution order."""
    seen, found = set(), []
    for call in calls:
        if call["tensors"] and call["path"] not in seen:
            seen.add(call["path"])
            found.append(call)
    return found


def plain(calls):
    """Calls without the module objects, ready to cross the sandbox boundary."""
    return [{k: v for k, v in call.items() if k != "module"} for call in calls]


def trace(model: nn.Module, x: torch.Tensor):
    """Run ``model`` once in eval mode without gradients and return its layer calls."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), LayerTrace(model) as tracer:
            output = model(x)
    finally:
        model.train(was_training)
    return output, tracer.calls


def snapshot(module: nn.Module):
    params, buffers = _own_tensors(module)
    return {n: t.detach().clone() for n, t in {**params, **buffers}.items()}


def assign(layers, values):
    """Copy ``values[i][name]`` into the i-th holder layer's parameter or buffer ``name``."""
    if len(values) != len(layers):
        raise ValueError(f"expected values for {len(layers)} layers, got {len(values)}")
    with torch.no_grad():
        for module, tensors in zip(layers, values, strict=True):
            params, buffers = _own_tensors(module)
            own = {**params, **buffers}
            for name, value in tensors.items():
                if name not in own or own[name] is None:
                    raise ValueError(f"layer {kind(module)} has no tensor {name!r}")
                if tuple(own[name].shape) != tuple(value.shape):
                    raise ValueError(f"{kind(module)}.{name} has shape {tuple(own[name].shape)}, "
                                     f"not {tuple(value.shape)}")
                own[name].copy_(value.to(own[name].dtype))


def fill(model: nn.Module, value: float):
    """Set every floating parameter to ``value``; running variances to 1 and means to 0."""
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(value)
        for name, b in model.named_buffers():
            if b.is_floating_point():
                b.fill_(1.0 if name.endswith("running_var") else 0.0)


def run(model: nn.Module, layers, x, train: bool, out_weights=None):
    """One forward pass (and a backward of sum(output * out_weights) if given).

    ``layers`` are the holder modules in execution order; their updated buffers and their
    parameters' gradients are reported in that order.
    """
    model.train(train)
    x = x.clone().requires_grad_(out_weights is not None and x.is_floating_point())
    for p in model.parameters():
        p.grad = None
    inputs, outputs = [None] * len(layers), [None] * len(layers)

    def remember(index):
        def hook(_module, args):
            if inputs[index] is None and args and isinstance(args[0], torch.Tensor):
                inputs[index] = args[0].detach().clone()
        return hook

    def remember_output(index):
        def hook(_module, _args, output):
            if outputs[index] is None and isinstance(output, torch.Tensor):
                outputs[index] = output.detach().clone()
        return hook

    handles = [m.register_forward_pre_hook(remember(i)) for i, m in enumerate(layers)] + \
        [m.register_forward_hook(remember_output(i)) for i, m in enumerate(layers)]
    try:
        output = model(x)
    finally:
        for handle in handles:
            handle.remove()
    result = {"output": output.detach().clone(), "layer_inputs": inputs, "layer_outputs": outputs,
              "buffers_after": [{n: b.detach().clone() for n, b in _own_tensors(m)[1].items()} for m in layers]}
    if out_weights is not None:
        (output * out_weights.to(output.dtype)).sum().backward()
        result["input_grad"] = None if x.grad is None else x.grad.detach().clone()
        result["grads"] = [{n: (None if p.grad is None else p.grad.detach().clone())
                            for n, p in _own_tensors(m)[0].items()} for m in layers]
    return result


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
