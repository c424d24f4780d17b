"""Checks of CS446 HW2 question 3 (``hw2_ResNet.py``): 3a is ``Block``, 3b is ``ResNet``.

Public checks test properties the handout states (shapes, layer settings, parameter
counts, the skip connection) on toy inputs and never use the reference. What the worker reports
about the student's layers is verified in the grading process: the grader draws the values, and
recomputes each layer from its reported input with a layer it builds itself (settings, parameter
counts), computes the expected output itself (the skip connection), and compares each reported
gradient with the change of the output it measures (gradients reaching the parameters). Hidden checks
compare the student's model with the reference as functions: same parameter values, fresh
random inputs each run, outputs and gradients in both training and evaluation mode.
"""
import torch

from grader.core.checks import CheckFailed, check
from grader.core.compare import expect_close, expect_equal, expect_shape, ordinal
from grader.core.torch_compare import (compare_model, draw_for_shapes, expect_kinds, verified_gradient_flow,
                                         verified_parameter_count, verified_run)

MODULE = "hw2_ResNet"


def _traced(ctx, factory, args, x):
    """The student's ``factory(*args)``, built in the check's worker, and its trace on ``x``."""
    model = ctx.model(MODULE, factory, *args)
    return model, model.trace(x)


def _expect_conv(what, layer, in_channels, out_channels, stride):
    config = layer["config"]
    expected = {"in_channels": in_channels, "out_channels": out_channels, "kernel_size": [3, 3],
                "stride": [stride, stride], "padding": [1, 1], "bias": False}
    for key, value in expected.items():
        if config.get(key) != value:
            hint = " Pass bias=False." if key == "bias" else ""
            raise CheckFailed(f"{what} (your `{layer['path']}`): {key} should be {value}, found {config.get(key)}."
                              + hint)


def _expect_batchnorm(what, layer, channels):
    expect_equal(f"{what} (your `{layer['path']}`): num_features", channels, layer["config"].get("num_features"))


def _expect_parameter_count(ctx, what, factory, args, x, expected, hint):
    """The count of the layers the grader verified by behaviour, and the count the worker reports (which
    also sees layers that never run): both must be ``expected``."""
    model = ctx.model(MODULE, factory, *args)
    verified = verified_run(ctx, what, model, x)
    expect_equal(f"number of parameters of {what}", expected, model.parameters, hint=hint)
    expect_equal(f"number of parameters of {what} in the layers that run (counted by the grader)", expected,
                 verified_parameter_count(verified["rebuilt"]), hint=hint)


def _expect_gradients_reach(ctx, what, factory, args, x, check_input):
    """Gradients reach every parameter (and the input): judged from gradients the grader verified against
    the change of the output it measures, and from the worker's list of parameters that get none."""
    model = ctx.model(MODULE, factory, *args)
    layers, names, reaches = verified_gradient_flow(ctx, what, model, x)
    if check_input and not reaches["input"]:
        raise CheckFailed(f"{what}: the input gets no gradient. Is the output computed from x with torch operations "
                          "(no .detach(), .data, .numpy() or torch.no_grad())?")
    # A convolution's bias is no part of the handout's networks (3a.2 and 3b.2 charge it); before a batch
    # normalisation it gets no gradient at all, and rounding alone would decide whether one seems to arrive.
    dead = [f"the {tensor} of {names[index]}" for (index, tensor), ok in
            ((key, ok) for key, ok in reaches.items() if key != "input")
            if not ok and not (tensor == "bias" and layers[index]["kind"] == "Conv2d")]
    flow = model.gradient_flow(x, doing=f"back-propagating through {what}")
    held = {f"{layer['path']}.{tensor}" if layer["path"] != "(model)" else tensor
            for layer in layers for tensor in layer["tensors"]}
    dead += [name for name, ok in flow.parameters.items() if not ok and name not in held]
    if dead:
        raise CheckFailed(f"{what}: no gradient reaches {', '.join(dead)}. Is every layer used in forward, "
                          "with no .detach() in between?")


def _computed_output(ctx, what, factory, args, x):
    """The model's output in evaluation mode for values the grader draws, once it has shown that it
    computes something: the same output again for the same input, another for other input or values."""
    model, traced = _traced(ctx, factory, args, x)
    layers = traced.layers
    values = draw_for_shapes(layers, ctx.rng)

    def output(images, chosen, doing):
        return model.run(images, False, values=chosen, doing=f"running {what} {doing}").output

    first = output(x, values, "in evaluation mode")
    if not torch.equal(first, output(x, values, "again on the same input")):
        raise CheckFailed(f"{what} gives different outputs for the same input and parameters in evaluation mode.")
    # A wrong model may be constant in its input for some values (every ReLU off), so either change counts.
    others = [(torch.randn(x.shape, generator=ctx.rng), values, "on other input") for _ in range(2)] + \
        [(x, draw_for_shapes(layers, ctx.rng), "with other parameter values") for _ in range(2 if layers else 0)]
    if not any(_differ(first, output(*other)) for other in others):
        raise CheckFailed(f"{what} gives the same output for other inputs and other parameter values: it must be "
                          "computed from the input by its layers.")
    return first


def _differ(a, b):
    return a.shape != b.shape or not torch.allclose(a, b, rtol=0, atol=1e-9)


def _sizes(ctx, choices):
    return choices[int(ctx.randint(0, len(choices)))]


# ----------------------------------------------------------------------------------------- 3a

@check("3a", points=0.5, public=True)
def block_keeps_shape(ctx):
    """Block(C) returns a tensor of the same shape (N, C, H, W) as its input"""
    for channels, shape in [(1, (2, 1, 5, 5)), (3, (4, 3, 8, 8)), (8, (2, 8, 6, 7))]:
        found = _computed_output(ctx, f"Block({channels})", "Block", [channels], torch.randn(shape))
        expect_shape(f"Block({channels}) applied to an input of shape {shape}", shape, tuple(found.shape),
                     hint="Both convolutions need C output channels, kernel size 3 and padding 1.")


@check("3a", points=1, public=True)
def block_layers(ctx):
    """Block's f has Conv2d(C, C, 3, stride 1, padding 1, bias=False) and BatchNorm2d(C), twice"""
    channels = 4
    layers = verified_run(ctx, "Block(4)", ctx.model(MODULE, "Block", channels),
                          torch.randn(2, channels, 6, 6))["layers"]
    expect_kinds("Block(4)", layers, ["Conv2d", "BatchNorm2d", "Conv2d", "BatchNorm2d"])
    for index in (0, 2):
        _expect_conv(f"Block(4), {ordinal(index // 2 + 1)} convolution", layers[index], channels, channels, 1)
        _expect_batchnorm(f"Block(4), {ordinal(index // 2 + 1)} batch normalisation", layers[index + 1], channels)


@check("3a", points=0.5, public=True)
def block_parameter_count(ctx):
    """Block(C) has 18C^2 + 4C parameters (two 3x3 convolutions without bias, two BatchNorm2d)"""
    for channels in (1, 3, 16):
        _expect_parameter_count(ctx, f"Block({channels})", "Block", [channels], torch.randn(2, channels, 5, 5),
                                18 * channels ** 2 + 4 * channels,
                                "Are there extra layers, or convolutions with a bias?")


@check("3a", points=1, public=True)
def block_skip_connection_and_final_relu(ctx):
    """With every convolution zero, f(x) is a constant b and Block(x) = relu(x + b): x is added back, then ReLU"""
    x = torch.randn(3, 2, 5, 5)
    model, traced = _traced(ctx, "Block", [2], x)
    layers = traced.layers
    last = max((i for i, layer in enumerate(layers) if layer["kind"] == "BatchNorm2d"), default=None)
    if last is None or "bias" not in layers[last]["tensors"] or list(layers[last]["tensors"]["bias"]) != [2]:
        raise CheckFailed("Block(2) has no BatchNorm2d(2) with a bias to end f with; see 3a.2 for its layers.")
    # Every convolution zero, so f(x) is the last batch normalisation's bias b whatever comes before it,
    # and Block(x) = relu(x + b): an output the grader computes itself, for a b it draws.
    shift = torch.randn(2, generator=ctx.rng) + torch.tensor([1.0, -1.0])
    values = []
    for index, layer in enumerate(layers):
        tensors = {}
        for name, shape in layer["tensors"].items():
            if name == "num_batches_tracked":
                tensors[name] = torch.zeros(shape, dtype=torch.long)
            elif name in ("weight", "running_var") and layer["kind"].startswith("BatchNorm"):
                tensors[name] = torch.ones(shape)
            else:
                tensors[name] = torch.zeros(shape)
        if index == last:
            tensors["bias"] = shift.clone()
        values.append(tensors)
    for train in (True, False):
        found = model.run(x, train, values=values,
                          doing="running Block(2) with every convolution zero and a bias in its last BatchNorm2d")
        expect_close(f"Block(2) with every convolution zero, so that f(x) is the last batch normalisation's bias "
                     f"b = {[round(v, 3) for v in shift.tolist()]}, {'training' if train else 'evaluation'} mode",
                     torch.relu(x + shift[None, :, None, None]), found.output,
                     hint="Block(x) must be relu(x + f(x)): add the input x to f(x), then apply the ReLU.")


@check("3a", points=0.5, public=True)
def block_gradients_flow(ctx):
    """Gradients reach Block's input and every one of its parameters"""
    _expect_gradients_reach(ctx, "Block(3)", "Block", [3], torch.randn(2, 3, 5, 5), check_input=True)


def _compare_block(ctx, channel_choices, train, gradients=False):
    from_ref = ctx.reference.hw2_ResNet
    for choices in channel_choices:
        channels = _sizes(ctx, choices)
        shape = (int(ctx.randint(2, 5)), channels, int(ctx.randint(3, 8)), int(ctx.randint(3, 8)))
        compare_model(ctx, f"Block({channels}) on an input of shape {shape}", ctx.model(MODULE, "Block", channels),
                      from_ref.Block(channels), ctx.randn(*shape), train=train, gradients=gradients)


@check("3a", points=1.5)
def block_matches_in_training_mode(ctx):
    """Block computes relu(x + f(x)) in training mode (batch statistics), for random inputs"""
    _compare_block(ctx, [[1, 2, 3], [4, 5, 7]], train=True)


@check("3a", points=1)
def block_matches_in_evaluation_mode(ctx):
    """Block computes relu(x + f(x)) in evaluation mode (running statistics), for random inputs"""
    _compare_block(ctx, [[2, 3, 5, 6]], train=False)


@check("3a", points=1)
def block_gradients_match(ctx):
    """Block's gradients with respect to its input and parameters are right"""
    _compare_block(ctx, [[2, 3, 4]], train=True, gradients=True)


# ----------------------------------------------------------------------------------------- 3b

def _after_stem_and_pool(size):
    return ((size - 1) // 2 + 1) // 2


@check("3b", points=0.5, public=True)
def resnet_output_shape(ctx):
    """ResNet(C, num_classes) maps images (N, 1, H, W) to scores (N, num_classes), for any H and W"""
    for channels, classes, shape in [(1, 10, (5, 1, 8, 8)), (4, 10, (2, 1, 8, 8)), (2, 3, (3, 1, 28, 28)),
                                     (8, 17, (2, 1, 12, 9))]:
        found = _computed_output(ctx, f"ResNet({channels}, {classes})", "ResNet", [channels, classes],
                                 torch.randn(shape))
        expect_shape(f"ResNet({channels}, num_classes={classes}) on images of shape {shape}",
                     (shape[0], classes), tuple(found.shape),
                     hint="Average each channel over all positions (AdaptiveAvgPool2d(1)), flatten, then "
                          "Linear(C, num_classes).")


@check("3b", points=1, public=True)
def resnet_layers(ctx):
    """ResNet's layers: stride-2 stem Conv2d(1, C), BatchNorm2d, 2x2 max pooling, Block(C), Linear(C, classes)"""
    channels, classes, size = 3, 7, 12
    x = torch.randn(2, 1, size, size)
    verified = verified_run(ctx, "ResNet(3, 7)", ctx.model(MODULE, "ResNet", channels, classes), x)
    calls, layers = verified["trace"].calls, verified["layers"]
    expect_kinds("ResNet(3, 7)", layers, ["Conv2d", "BatchNorm2d", "Conv2d", "BatchNorm2d", "Conv2d",
                                           "BatchNorm2d", "Linear"])
    _expect_conv("ResNet(3, 7), first convolution", layers[0], 1, channels, 2)
    _expect_batchnorm("ResNet(3, 7), first batch normalisation", layers[1], channels)
    for index in (2, 4):
        _expect_conv(f"ResNet(3, 7), {ordinal(index // 2)} convolution of the Block", layers[index],
                     channels, channels, 1)
        _expect_batchnorm(f"ResNet(3, 7), {ordinal(index // 2)} batch normalisation of the Block",
                          layers[index + 1], channels)
    for call in calls:
        if call["kind"] == "AvgPool2d":
            raise CheckFailed(f"ResNet(3, 7): `{call['path']}` is AvgPool2d; after the first ReLU the handout "
                              "uses MaxPool2d with kernel size 2.")
        if call["kind"] == "MaxPool2d":
            expect_equal(f"ResNet(3, 7): kernel_size of the max pooling `{call['path']}`", 2,
                         call["config"]["kernel_size"])
    pooled = _after_stem_and_pool(size)
    expect_shape(f"ResNet(3, 7) on {size}x{size} images: input of the Block's first convolution "
                 f"(your `{layers[2]['path']}`)", (2, channels, pooled, pooled),
                 tuple(verified["run"].layer_inputs[2].shape),
                 hint="The stride-2 convolution halves the size and the 2x2 max pooling halves it again.")
    linear = layers[6]
    expect_equal(f"ResNet(3, 7): in_features, out_features of the Linear layer (your `{linear['path']}`)",
                 (channels, classes), (linear["config"]["in_features"], linear["config"]["out_features"]))


@check("3b", points=0.5, public=True)
def resnet_parameter_count(ctx):
    """ResNet(C) has 18C^2 + 25C + 10 parameters (18C^2 + 15C + (C + 1) * num_classes in general)"""
    for channels, classes in [(1, 10), (4, 10), (16, 10), (3, 7)]:
        _expect_parameter_count(ctx, f"ResNet({channels}, num_classes={classes})", "ResNet", [channels, classes],
                                torch.randn(2, 1, 8, 8), 18 * channels ** 2 + 15 * channels + (channels + 1) * classes,
                                "Are there extra layers, a bias in a convolution, or a Linear layer of the wrong size?")


@check("3b", points=0.5, public=True)
def resnet_eval_mode_is_per_example(ctx):
    """In evaluation mode each image's scores depend on that image and the parameters, not on the other images"""
    x = torch.randn(4, 1, 8, 8)
    model, traced = _traced(ctx, "ResNet", [3], x)
    layers = traced.layers
    values = draw_for_shapes(layers, ctx.rng)

    def scores(images, chosen, doing):
        return model.run(images, False, values=chosen, doing=f"running ResNet(3) {doing} in evaluation mode").output

    # A property that a constant also has pays only a model that computes something: the right shape first,
    # then scores that change with the images and with the parameters.
    together = scores(x, values, "on a batch of 4 images")
    expect_shape("ResNet(3) in evaluation mode on a batch of 4 images", (4, 10), tuple(together.shape),
                 hint="The scores are (N, num_classes).")
    # Each try draws other values too: a wrong model can be constant in its input for some values (every
    # ReLU off), but a model that computes something is not so for five draws.
    depends_on_input = depends_on_values = False
    for _ in range(5):
        other_values = draw_for_shapes(layers, ctx.rng)
        again = scores(x, other_values, "with other parameter values")
        depends_on_values = depends_on_values or _differ(together, again)
        other_images = torch.randn(4, 1, 8, 8, generator=ctx.rng)
        depends_on_input = depends_on_input or _differ(again, scores(other_images, other_values, "on other images"))
        if depends_on_input and depends_on_values:
            break
    if not depends_on_input:
        raise CheckFailed("ResNet(3) in evaluation mode gives the same scores for other images: the scores must be "
                          "computed from the input.")
    if not depends_on_values:
        raise CheckFailed("ResNet(3) in evaluation mode gives the same scores whatever its parameters: the scores "
                          "must be computed by its layers.")
    for index in range(len(x)):
        alone = scores(x[index:index + 1], values, "on a single image")
        expect_close(f"ResNet(3) in evaluation mode: scores of image {index} alone vs. in a batch of 4",
                     together[index:index + 1], alone, atol=1e-5, rtol=1e-4,
                     hint="Batch normalisation layers must be created in __init__ so that model.eval() "
                          "switches them to their running statistics.")


@check("3b", points=0.5, public=True)
def resnet_gradients_flow(ctx):
    """Gradients reach every parameter of ResNet"""
    _expect_gradients_reach(ctx, "ResNet(2)", "ResNet", [2], torch.randn(4, 1, 8, 8), check_input=False)


def _resnet_cases(ctx):
    """Two cases: digit-sized images in a large batch, and larger images. A mistake such as a missing
    ReLU before the max pooling shows only in windows that are entirely negative, so every case has
    hundreds of pooling windows: otherwise a wrong network could match by chance."""
    digits = (int(ctx.randint(16, 33)), 1, 8, 8)
    size = int(ctx.randint(14, 29))
    larger = (int(ctx.randint(2, 5)), 1, size, size + int(ctx.randint(0, 3)))
    # The default of 10 classes and another count, every run: draws change values, never which properties
    # are tested (a model that ignores num_classes must fail every run, not only under some seeds).
    other = _sizes(ctx, [classes for classes in range(2, 13) if classes != 10])
    for shape, classes in ((digits, 10), (larger, other)):
        yield _sizes(ctx, [2, 3, 4, 6]), classes, shape


def _compare_resnet(ctx, train, gradients=False):
    from_ref = ctx.reference.hw2_ResNet
    for channels, classes, shape in _resnet_cases(ctx):
        compare_model(ctx, f"ResNet({channels}, num_classes={classes}) on images of shape {shape}",
                      ctx.model(MODULE, "ResNet", channels, classes), from_ref.ResNet(channels, classes),
                      ctx.randn(*shape), train=train, gradients=gradients)


@check("3b", points=1.5)
def resnet_matches_in_training_mode(ctx):
    """ResNet computes the specified network in training mode, for random inputs, widths and class counts"""
    _compare_resnet(ctx, train=True)


@check("3b", points=1)
def resnet_matches_in_evaluation_mode(ctx):
    """ResNet computes the specified network in evaluation mode (running statistics)"""
    _compare_resnet(ctx, train=False)


@check("3b", points=1)
def resnet_gradients_match(ctx):
    """ResNet's gradients with respect to its input and parameters are right"""
    _compare_resnet(ctx, train=True, gradients=True)
