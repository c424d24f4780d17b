"""Function equivalence of a student's torch model and the reference (grading-process side).

The grader draws values for every parameter and buffer, loads them into the student's
layers (matched by execution order) inside the sandbox and into the reference here, runs
both on the same input and compares outputs, updated running statistics and gradients in
float64. Because the grader chooses the values, a worker can only pass by computing the
specified function.
"""
import math

import torch
from torch import nn

from grader.sandbox import torch_trace
from grader.core.checks import CheckFailed
from grader.core.compare import expect_close, ordinal

OUTPUT_TOL = dict(atol=1e-4, rtol=1e-4)
GRADIENT_TOL = dict(atol=1e-4, rtol=1e-3)


def layer_names(layers):
    """'the 2nd Conv2d to run (your `block.conv1`)' for each holder layer, in execution order."""
    seen, names = {}, []
    for layer in layers:
        seen[layer["kind"]] = seen.get(layer["kind"], 0) + 1
        names.append(f"the {ordinal(seen[layer['kind']])} {layer['kind']} to run (your `{layer['path']}`)")
    return names


def expect_kinds(what, layers, expected_kinds):
    """Raise CheckFailed unless the holder layers ``layers`` are of the torch kinds ``expected_kinds``, in order."""
    found_kinds = [layer["kind"] for layer in layers]
    if found_kinds != list(expected_kinds):
        raise CheckFailed(f"{what}: the layers with parameters run in the order {', '.join(found_kinds) or '(none)'}; "
                          f"the specified order is {', '.join(expected_kinds)}.")


def match_layers(what, expected, found):
    """Raise CheckFailed unless the two lists of holder layers line up kind by kind and tensor by tensor."""
    expect_kinds(what, found, [layer["kind"] for layer in expected])
    for name, ref, stu in zip(layer_names(found), expected, found, strict=True):
        extra = sorted(set(stu["tensors"]) - set(ref["tensors"]))
        missing = sorted(set(ref["tensors"]) - set(stu["tensors"]))
        if extra or missing:
            parts = ([f"has {', '.join(extra)} which the specified layer does not"] if extra else []) + \
                    ([f"lacks {', '.join(missing)}"] if missing else [])
            hint = " Pass bias=False." if extra == ["bias"] else ""
            raise CheckFailed(f"{what}: {name} {' and '.join(parts)}.{hint}")
        for tensor, shape in ref["tensors"].items():
            if list(stu["tensors"][tensor]) != list(shape):
                raise CheckFailed(f"{what}: {tensor} of {name} has shape {tuple(stu['tensors'][tensor])}, "
                                  f"expected {tuple(shape)}.")


def draw_values(layers, rng):
    """Random but well-scaled values for every tensor of every holder layer."""
    values = []
    for layer in layers:
        module = layer["module"]
        tensors = {}
        for name, t in torch_trace.snapshot(module).items():
            if not t.is_floating_point():
                tensors[name] = t
            elif name == "running_var":
                tensors[name] = torch.rand(t.shape, generator=rng) * 1.5 + 0.5
            elif t.dim() >= 2:
                fan_in = t[0].numel()
                tensors[name] = torch.randn(t.shape, generator=rng) / fan_in ** 0.5
            elif name == "weight":
                tensors[name] = torch.rand(t.shape, generator=rng) + 0.5
            else:
                tensors[name] = torch.randn(t.shape, generator=rng) * 0.3
        values.append(tensors)
    return values


def _close(a, b):
    if a is None or b is None or tuple(a.shape) != tuple(b.shape):
        return False
    a, b = a.double(), b.double()
    return bool(((a - b).abs() <= OUTPUT_TOL["atol"] + OUTPUT_TOL["rtol"] * a.abs()).all())


def locate_divergence(names, expected_inputs, found_inputs):
    """Say between which layers the two computations part ways, judged by each layer's input."""
    previous = None
    for name, expected, found in zip(names, expected_inputs, found_inputs, strict=True):
        if not _close(expected, found):
            since = f"the output of {previous}" if previous else "the start of forward"
            return (f"The input of {name} already differs, so the difference arises between {since} "
                    "and that layer (look for a missing, extra or misplaced activation, pooling or addition).")
        previous = name.split(" (")[0]
    if previous:
        return f"Every layer with parameters receives the expected input, so the difference arises after {previous}."
    return ""


def compare_model(ctx, what, model, reference_model, x, train, gradients=False):
    """The whole comparison of the student's ``model`` (a ``ctx.model`` handle) with ``reference_model``:
    trace, load the same values, run both, compare everything."""
    student = model.trace(x)
    reference_model = reference_model.double()
    x_reference = x.double() if x.is_floating_point() else x  # word numbers stay integers
    reference_output, reference_calls = torch_trace.trace(reference_model, x_reference)
    expected_layers = torch_trace.holders(reference_calls)
    found_layers = student.layers
    match_layers(what, expected_layers, found_layers)
    if list(student.output_shape) != list(reference_output.shape):
        raise CheckFailed(f"{what}: the output has shape {tuple(student.output_shape)}; expected "
                          f"{tuple(reference_output.shape)}.")

    values = draw_values(expected_layers, ctx.rng)
    out_weights = None
    if gradients:
        out_weights = torch.randn(student.output_shape, generator=ctx.rng)
    found = model.run(x, train, values=values, out_weights=out_weights, double=True,
                      doing=f"running {model.name} in {'training' if train else 'evaluation'} mode")
    modules = [layer["module"] for layer in expected_layers]
    torch_trace.assign(modules, [{k: v.double() if v.is_floating_point() else v for k, v in t.items()}
                                 for t in values])
    expected = torch_trace.run(reference_model, modules, x_reference, train,
                               None if out_weights is None else out_weights.double())

    mode = "training" if train else "evaluation"
    names = layer_names(found_layers)
    # The worker's lists must cover every layer: a short list must fail, never skip comparisons.
    for key in ("layer_inputs", "buffers_after") + (("grads",) if gradients else ()):
        if len(getattr(found, key) or []) != len(expected[key]):
            raise CheckFailed(f"{what}: your model reported {key.replace('_', ' ')} for "
                              f"{len(getattr(found, key) or [])} layers; it has {len(expected[key])} layers with "
                              "parameters.")
    expect_close(f"{what}: output in {mode} mode", expected["output"], found.output, **OUTPUT_TOL,
                 hint=locate_divergence(names, expected["layer_inputs"], found.layer_inputs))
    if train:
        for name, ref, stu in zip(names, expected["buffers_after"], found.buffers_after, strict=True):
            for tensor, value in ref.items():
                if value.is_floating_point():
                    expect_close(f"{what}: {tensor} of {name} after one training-mode pass",
                                 value, stu.get(tensor), **OUTPUT_TOL)
    if gradients:
        if x.is_floating_point():
            expect_close(f"{what}: gradient with respect to the input", expected["input_grad"],
                         found.input_grad, **GRADIENT_TOL)
        for name, ref, stu in zip(names, expected["grads"], found.grads, strict=True):
            for tensor, value in ref.items():
                expect_close(f"{what}: gradient with respect to the {tensor} of {name}", value,
                             stu.get(tensor), **GRADIENT_TOL,
                             hint="Is every layer part of the computation graph (no .detach() or .data)?")


# ---------------------------------------------------------------------------------------------------
# Facts a worker reports about a student's layers (kinds, settings, parameter shapes) are verified by
# behaviour: the grader draws values for the layers, the worker runs the model with them, and the grader
# recomputes each layer's output from its reported input with a torch layer of the reported kind and
# settings that it builds itself. A layer whose report does not match what it computed fails.

_REBUILT = {
    "Conv2d": lambda c: nn.Conv2d(c["in_channels"], c["out_channels"], c["kernel_size"], stride=c["stride"],
                                  padding=c["padding"], dilation=c["dilation"], groups=c["groups"], bias=c["bias"]),
    "BatchNorm2d": lambda c: nn.BatchNorm2d(c["num_features"], eps=c["eps"], momentum=c["momentum"],
                                            affine=c["affine"], track_running_stats=c["track_running_stats"]),
    "Linear": lambda c: nn.Linear(c["in_features"], c["out_features"], bias=c["bias"]),
}


def draw_for_shapes(layers, rng):
    """Values like ``draw_values`` for layers known only by their reported tensor shapes."""
    values = []
    for layer in layers:
        tensors = {}
        for name, shape in layer["tensors"].items():
            if name == "num_batches_tracked":
                tensors[name] = torch.zeros(shape, dtype=torch.long)
            elif name == "running_var":
                tensors[name] = torch.rand(shape, generator=rng) * 1.5 + 0.5
            elif len(shape) >= 2:
                tensors[name] = torch.randn(shape, generator=rng) / max(1, math.prod(shape[1:])) ** 0.5
            elif name == "weight":
                tensors[name] = torch.rand(shape, generator=rng) + 0.5
            else:
                tensors[name] = torch.randn(shape, generator=rng) * 0.3
        values.append(tensors)
    return values


def rebuilt_layer(what, name, layer, values):
    """A torch layer of ``layer``'s reported kind and settings, built in the grading process and holding
    ``values``: what the student's layer must compute if its report is true."""
    make = _REBUILT.get(layer["kind"])
    if make is None:
        return None
    try:
        module = make(layer["config"])
        torch_trace.assign([module], [values])
    except Exception as exc:
        raise CheckFailed(f"{what}: {name} reports settings or tensors that do not fit together ({exc}).") from None
    return module.double()


def verified_run(ctx, what, model, x, train=False):
    """Trace the student's ``model`` (a ``ctx.model`` handle), run it with values the grader draws and verify
    every layer with parameters whose kind the grader can rebuild. Returns a dict: the ``trace`` and its
    ``layers`` as the worker reported them, ``values``, the ``run``, and ``rebuilt``, the grader's own verified
    layers. Raises CheckFailed when a layer's report does not match what it computed."""
    traced = model.trace(x)
    layers = traced.layers
    values = draw_for_shapes(layers, ctx.rng)
    run = model.run(x, train, values=values, double=True, doing=f"running {model.name} with values the grader chose")
    names = layer_names(layers)
    for key in ("layer_inputs", "layer_outputs"):
        if len(getattr(run, key) or []) != len(layers):
            raise CheckFailed(f"{what}: your model reported {key.replace('_', ' ')} for "
                              f"{len(getattr(run, key) or [])} layers; it has {len(layers)} layers with parameters.")
    rebuilt = []
    for name, layer, tensors, given, computed in zip(names, layers, values, run.layer_inputs,
                                                     run.layer_outputs, strict=True):
        own = rebuilt_layer(what, name, layer, tensors)
        if own is None:  # a kind this check cannot rebuild: verified nothing, so it counts for nothing
            continue
        if not isinstance(given, torch.Tensor) or not isinstance(computed, torch.Tensor):
            raise CheckFailed(f"{what}: {name} reported no input or output tensor.")
        own.train(train)
        with torch.no_grad():
            expected = own(given.double())
        expect_close(f"{what}: output of {name}, recomputed by the grader from its input and its reported settings",
                     expected, computed, **OUTPUT_TOL,
                     hint="The layer's reported settings or parameters are not the ones it computes with.")
        rebuilt.append(own)
    return {"trace": traced, "layers": layers, "values": values, "run": run, "rebuilt": rebuilt}


def verified_parameter_count(rebuilt):
    """Parameters of the layers that were verified by behaviour, counted by torch in the grading process."""
    return sum(p.numel() for layer in rebuilt for p in layer.parameters())


def verified_gradient_flow(ctx, what, model, x, eps=1e-7):
    """Which tensors of the holder layers (and the input) the output of the student's ``model`` (a
    ``ctx.model`` handle) really depends on, judged by the grader: the worker's gradient for each, along a
    random direction, must agree with the change of the output that the grader measures from two runs with
    that tensor moved by +-eps along it. Returns (layers, their names, {(layer index, tensor name) or
    "input": gradient reaches it})."""
    traced = model.trace(x)
    layers = traced.layers
    names = layer_names(layers)
    values = draw_for_shapes(layers, ctx.rng)
    x = x.double()
    out_weights = None

    def run(vals, inp, weights=None):
        return model.run(inp, True, values=vals, out_weights=weights, double=True,
                         doing=f"back-propagating through {model.name}")

    out_weights = torch.randn(traced.output_shape, generator=ctx.rng, dtype=torch.float64)
    base = run(values, x, out_weights)
    if len(base.grads or []) != len(layers):
        raise CheckFailed(f"{what}: your model reported gradients for {len(base.grads or [])} layers; it has "
                          f"{len(layers)} layers with parameters.")

    def measured(reported, plus, minus, direction):
        change = ((plus.output.double() - minus.output.double()) * out_weights).sum() / (2 * eps)
        claimed = 0.0 if reported is None else float((reported.double() * direction).sum())
        if abs(claimed - float(change)) > 1e-4 + 1e-3 * abs(float(change)):
            raise CheckFailed(f"{what}: the reported gradient of {where} ({claimed:.6g} along a random direction) "
                              f"does not match how the output changes ({float(change):.6g}).")
        return abs(float(change)) > 1e-8

    reaches = {}
    direction = torch.randn(x.shape, generator=ctx.rng, dtype=torch.float64)
    where = "the input"
    reaches["input"] = measured(base.input_grad, run(values, x + eps * direction),
                                run(values, x - eps * direction), direction)
    for index, (name, layer) in enumerate(zip(names, layers, strict=True)):
        for tensor in layer["tensors"]:
            if not values[index][tensor].is_floating_point() or tensor.startswith("running_"):
                continue
            where = f"the {tensor} of {name}"
            direction = torch.randn(values[index][tensor].shape, generator=ctx.rng, dtype=torch.float64)
            moved = []
            for sign in (1, -1):
                shifted = [dict(v) for v in values]
                shifted[index][tensor] = values[index][tensor].double() + sign * eps * direction
                moved.append(run(shifted, x))
            reaches[(index, tensor)] = measured(base.grads[index].get(tensor), *moved, direction)
    return layers, names, reaches
