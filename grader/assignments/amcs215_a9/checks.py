"""Checks of AMCS215 Assignment 9, the notebook ``a9_networks.ipynb`` (exercises 1 to 5).

Public checks test what the notebook specifies (output shapes, the layers in the order they run and
their sizes, parameter counts, that the loss is the binary cross-entropy of the logits and stays
finite, that the KL term is a divergence and adds up over dimensions, that the RNN reads each review
on its own and in order) on toy inputs, without the reference. Hidden checks load the same random
weights into the student's model and the reference and compare outputs and gradients, and compare
the loss and the KL functions with the reference on fresh random inputs every run. Layers are found
by the order in which they run, never by attribute names.
"""
import torch
from torch import nn

from grader.core.checks import CheckFailed, check
from grader.core.compare import expect, expect_close, expect_equal, expect_shape, ordinal
from grader.assignments.amcs215_a9.probes import call_number, differentiable_call
from grader.core.torch_compare import compare_model, expect_kinds
from grader.sandbox.torch_trace import count_parameters

MODULE = "a9_networks"
IMAGE = (1, 28, 28)
DENSE_SIZES = [(784, 100), (100, 30), (30, 100), (100, 784)]
ENCODER_CHANNELS = [(1, 16), (16, 32), (32, 64)]
DECODER_CHANNELS = [(64, 32), (32, 16), (16, 1)]
ENCODER_SIDES = [28, 14, 7, 3]  # each convolution's input side, then the code's
DECODER_SIDES = [7, 14, 28]  # each transposed convolution's output side
RNN_DEFAULTS = dict(embedding_dim=100, hidden_size=256, num_classes=2)
VALUE_TOL = dict(atol=1e-8, rtol=1e-6)  # float64 functions against float64 formulas


def _images(ctx, count):
    return torch.rand((count, *IMAGE), generator=ctx.rng)


def _traced(ctx, factory, args, x):
    """The student's ``factory(*args)``, built in the check's worker, and its trace on ``x``."""
    model = ctx.model(MODULE, factory, *args)
    return model, model.trace(x)


def _expect_config(what, layer, expected, hint=""):
    for key, value in expected.items():
        found = layer["config"].get(key)
        if found != value and not (key == "padding" and found == "same" and value == [1, 1]):
            raise CheckFailed(f"{what} (your `{layer['path']}`): {key} should be {value}, found {found}.{hint}")


def _expect_parameter_count(ctx, factory, args, expected, hint):
    model = ctx.model(MODULE, factory, *args, doing=f"building {factory}{tuple(args)}")
    expect_equal(f"number of parameters of {factory}({', '.join(map(repr, args))})", expected,
                 model.parameters, hint=hint)


def _layer_count(layers):
    """Parameters of torch layers of these kinds and sizes: the count comes from torch, not from a formula."""
    return count_parameters(nn.ModuleList(layers))


# ----------------------------------------------------------------------------- Exercise 1

def _expect_image_shaped_output(ctx, factory, hint):
    for count in (1, 4):
        _, traced = _traced(ctx, factory, [], _images(ctx, count))
        expect_shape(f"{factory}()(images) for images of shape {(count, *IMAGE)}", [count, *IMAGE],
                     traced.output_shape, hint=hint)


@check("1", points=0.5, public=True)
def dense_output_shape(ctx):
    """Exercise 1: DenseAutoencoder() maps a batch of images (N, 1, 28, 28) to logits of the same shape"""
    _expect_image_shaped_output(ctx, "DenseAutoencoder", hint="Reshape the decoder's 784 values back into "
                                "(N, 1, 28, 28), e.g. with nn.Unflatten(1, (1, 28, 28)) or .view(-1, 1, 28, 28).")


@check("1", points=1, public=True)
def dense_layers(ctx):
    """Exercise 1: the dense layers run in the order 784 -> 100 -> 30 -> 100 -> 784, each with a bias"""
    _, traced = _traced(ctx, "DenseAutoencoder", [], _images(ctx, 2))
    layers = traced.layers
    expect_kinds("DenseAutoencoder()", layers, ["Linear"] * len(DENSE_SIZES))
    for index, (layer, (inputs, outputs)) in enumerate(zip(layers, DENSE_SIZES, strict=True)):
        _expect_config(f"DenseAutoencoder(), {ordinal(index + 1)} dense layer", layer,
                       {"in_features": inputs, "out_features": outputs, "bias": True},
                       hint=" The encoder is 784 -> 100 -> 30 and the decoder its mirror, 30 -> 100 -> 784.")


@check("1", points=0.5, public=True)
def dense_parameter_count(ctx):
    """Exercise 1: DenseAutoencoder() has exactly the parameters of its four dense layers"""
    expected = _layer_count([nn.Linear(i, o) for i, o in DENSE_SIZES])
    _expect_parameter_count(ctx, "DenseAutoencoder", [], expected,
                            hint="Four nn.Linear layers with biases, 784-100-30-100-784, and nothing else.")


@check("1", points=0.5, public=True)
def dense_outputs_are_logits(ctx):
    """Exercise 1: forward returns logits (no sigmoid): with large weights, outputs go far beyond 1"""
    x = _images(ctx, 3)
    model, _ = _traced(ctx, "DenseAutoencoder", [], x)
    found = model.run(x, False, fill=0.1, doing="running DenseAutoencoder() with every parameter 0.1")
    largest = float(found.output.max())
    expect(largest > 1.0, f"With every weight and bias 0.1, every output lies in [0, 1] (the largest is "
           f"{largest:.4f}): forward seems to end with a sigmoid. Return the logits; the sigmoid belongs in "
           "reconstruction_loss (binary cross-entropy with logits).")


def _bce_per_pixel(logits, images):
    # log(1 + e^a) - x a, the binary cross-entropy of sigmoid(a) against x, written stably
    return torch.nn.functional.softplus(logits) - images * logits


def _loss_of(ctx, logits, images, what):
    found = ctx.call(differentiable_call, "reconstruction_loss", [logits, images],
                     doing=f"calling reconstruction_loss on {what}")
    if found["type"] != "Tensor":
        raise CheckFailed(f"reconstruction_loss returned a {found['type']}, not a tensor: training needs a tensor "
                          "that can be back-propagated (no .item(), float() or numpy).")
    if found["value"].numel() != 1:
        raise CheckFailed(f"reconstruction_loss on {what} returned a tensor of shape "
                          f"{tuple(found['value'].shape)}; it should return one number (a 0-dimensional tensor).")
    return found


REDUCTIONS = {"the sum over each image's pixels, averaged over the batch": 1.0, "the mean over all pixels": 1 / 784}


def _reduction(found_value, per_image_mean):
    """(name, scale) of the accepted reduction whose value, ``per_image_mean`` times scale, is nearest the student's."""
    name = min(REDUCTIONS, key=lambda k: abs(float(per_image_mean) * REDUCTIONS[k] - found_value))
    return name, REDUCTIONS[name]


def _scaling(found_value, per_pixel):
    """The accepted reduction of ``per_pixel`` losses nearest to the student's value: (its name, its value)."""
    per_image_mean = per_pixel.flatten(1).sum(1).mean()
    name, scale = _reduction(found_value, per_image_mean)
    return name, per_image_mean * scale


@check("1", points=0.5, public=True)
def reconstruction_loss_toy(ctx):
    """Exercise 1: reconstruction_loss is the binary cross-entropy of the logits, finite even for logits of 200"""
    logits = torch.randn((2, *IMAGE), generator=ctx.rng, dtype=torch.float64) * 3
    images = torch.rand((2, *IMAGE), generator=ctx.rng, dtype=torch.float64)
    found = _loss_of(ctx, logits, images, "random logits and images (2, 1, 28, 28)")
    value = float(found["value"])
    name, expected = _scaling(value, _bce_per_pixel(logits, images))
    expect_close(f"reconstruction_loss(logits, images) for random logits, against {name} of "
                 "-(x log sigmoid(a) + (1 - x) log(1 - sigmoid(a)))", expected, value, **VALUE_TOL)
    if found["grads"] is None or found["grads"][0] is None:
        raise CheckFailed("reconstruction_loss is not connected to the logits in the computation graph: "
                          "compute it with torch operations on the tensor you are given.")
    # Confident and wrong: every pixel costs exactly 200 nats, which sigmoid-then-log turns into inf or 100.
    confident = torch.full((2, *IMAGE), 200.0, dtype=torch.float64)
    confident[:, :, ::2] = -200.0
    targets = (confident < 0).double()
    found = _loss_of(ctx, confident, targets, "logits of +-200 that are all wrong")
    per_pixel = torch.full_like(confident, 200.0)
    name, expected = _scaling(float(found["value"]), per_pixel)
    expect_close(f"reconstruction_loss for logits of +-200 whose pixels are all wrong ({name} of 200 nats)",
                 expected, found["value"], atol=1e-6, rtol=1e-9,
                 hint="Do not take the sigmoid first: sigmoid(200) is exactly 1.0 in floating point, so log(1 - 1) "
                      "is -inf (or clamped). Use F.binary_cross_entropy_with_logits, or softplus(a) - x a.")


@check("1", points=1.5)
def dense_matches_reference(ctx):
    """Exercise 1: DenseAutoencoder computes the specified function (outputs and gradients, same weights)"""
    count = int(ctx.randint(2, 6))
    compare_model(ctx, f"DenseAutoencoder() on {count} images", ctx.model(MODULE, "DenseAutoencoder"),
                  ctx.reference.a9_networks.DenseAutoencoder(), _images(ctx, count), train=True, gradients=True)


@check("1", points=0.5)
def reconstruction_loss_matches_reference(ctx):
    """Exercise 1: reconstruction_loss and its gradient match the reference on random logits, some of them large"""
    count = int(ctx.randint(1, 6))
    logits = torch.randn((count, *IMAGE), generator=ctx.rng, dtype=torch.float64) * 4
    logits.view(-1)[torch.randperm(logits.numel(), generator=ctx.rng)[:50]] *= 15  # a few up to about +-200
    images = torch.rand((count, *IMAGE), generator=ctx.rng, dtype=torch.float64)
    images[images < 0.2] = 0.0
    found = _loss_of(ctx, logits, images, f"random logits and images {(count, *IMAGE)}")
    reference = ctx.reference.a9_networks.reconstruction_loss
    given = logits.clone().requires_grad_(True)
    expected = reference(given, images)
    expected.backward()
    expected = expected.detach()
    what, scale = _reduction(float(found["value"]), expected)
    expect_close(f"reconstruction_loss for {count} random images (as {what})", expected * scale,
                 found["value"], **VALUE_TOL)
    if found["grads"] is None or found["grads"][0] is None:
        raise CheckFailed("reconstruction_loss is not connected to the logits: it cannot train the autoencoder.")
    expect_close(f"the gradient of reconstruction_loss with respect to the logits ({what})", given.grad * scale,
                 found["grads"][0], **VALUE_TOL)


# ----------------------------------------------------------------------------- Exercise 2

@check("2", points=0.5, public=True)
def conv_output_shape(ctx):
    """Exercise 2: ConvAutoencoder() maps a batch of images (N, 1, 28, 28) to logits of the same shape"""
    _expect_image_shaped_output(ctx, "ConvAutoencoder", hint="Follow the sizes in the notebook's table: "
                                "28 -> 14 -> 7 -> 3 in the encoder, 3 -> 7 -> 14 -> 28 in the decoder.")


def _conv_layers(ctx):
    _, traced = _traced(ctx, "ConvAutoencoder", [], _images(ctx, 2))
    layers = traced.layers
    expect_kinds("ConvAutoencoder()", layers, ["Conv2d"] * 3 + ["ConvTranspose2d"] * 3)
    return layers


@check("2", points=1, public=True)
def conv_encoder_layers(ctx):
    """Exercise 2: the encoder is three 3x3 "same" convolutions (16, 32, 64 filters), each input halved by pooling"""
    layers = _conv_layers(ctx)
    for index, (layer, (inputs, outputs)) in enumerate(zip(layers[:3], ENCODER_CHANNELS, strict=True)):
        what = f"ConvAutoencoder(), {ordinal(index + 1)} convolution"
        _expect_config(what, layer, {"in_channels": inputs, "out_channels": outputs, "kernel_size": [3, 3],
                                     "stride": [1, 1], "padding": [1, 1]},
                       hint=" \"same\" padding for a 3x3 filter is padding=1.")
        side = ENCODER_SIDES[index]
        expect_shape(f"{what}: its input for two 28x28 images", [2, inputs, side, side], layer["in_shape"],
                     hint="Each convolution keeps the size and each 2x2 max-pooling halves it (rounding down).")
    side = ENCODER_SIDES[-1]
    expect_shape("ConvAutoencoder(): the code (the input of the first transposed convolution) for two images",
                 [2, 64, side, side], layers[3]["in_shape"], hint="The third convolution is followed by a 2x2 "
                 "max-pooling too: 7 x 7 becomes 3 x 3.")


@check("2", points=1, public=True)
def conv_decoder_layers(ctx):
    """Exercise 2: the decoder is three 3x3 transposed convolutions of stride 2 (64->32->16->1): 3 -> 7 -> 14 -> 28"""
    layers = _conv_layers(ctx)
    for index, (layer, (inputs, outputs)) in enumerate(zip(layers[3:], DECODER_CHANNELS, strict=True)):
        what = f"ConvAutoencoder(), {ordinal(index + 1)} transposed convolution"
        _expect_config(what, layer, {"in_channels": inputs, "out_channels": outputs, "kernel_size": [3, 3],
                                     "stride": [2, 2]})
        side = DECODER_SIDES[index]
        expect_shape(f"{what}: its output for two images", [2, outputs, side, side], layer["out_shape"],
                     hint="output = (input - 1) x stride - 2 x padding + kernel + output_padding.")


@check("2", points=0.5, public=True)
def conv_parameter_count(ctx):
    """Exercise 2: ConvAutoencoder() has exactly the parameters of its six (transposed) convolutions"""
    expected = _layer_count([nn.Conv2d(i, o, 3) for i, o in ENCODER_CHANNELS]
                            + [nn.ConvTranspose2d(i, o, 3) for i, o in DECODER_CHANNELS])
    _expect_parameter_count(ctx, "ConvAutoencoder", [], expected,
                            hint="Three nn.Conv2d and three nn.ConvTranspose2d, 3x3 with biases, and nothing else.")


@check("2", points=1.5)
def conv_matches_reference(ctx):
    """Exercise 2: ConvAutoencoder computes the specified function (outputs and gradients, same weights)"""
    count = int(ctx.randint(2, 5))
    compare_model(ctx, f"ConvAutoencoder() on {count} images", ctx.model(MODULE, "ConvAutoencoder"),
                  ctx.reference.a9_networks.ConvAutoencoder(), _images(ctx, count), train=True, gradients=True)


# ----------------------------------------------------------------------------- Exercise 3

def _kl(ctx, mu, logvar, what):
    found = ctx.call(differentiable_call, "kl_to_standard_normal", [mu, logvar],
                     doing=f"calling kl_to_standard_normal on {what}")
    if found["type"] != "Tensor":
        raise CheckFailed(f"kl_to_standard_normal returned a {found['type']}, not a tensor: the VAE trains through "
                          "it, so compute it with torch operations.")
    expect_shape(f"kl_to_standard_normal(mu, logvar) for mu and logvar of shape {tuple(mu.shape)}",
                 [mu.shape[0]], list(found["value"].shape), hint="Return one KL divergence per row: sum over the "
                 "code's dimensions (dim=-1), not over the batch.")
    return found


def _one_dimensional_kl(mean0, variance0, mean1, variance1):
    """KL between 1-D normals, elementwise, by torch.distributions (public checks ship to students: no formula)."""
    normal = torch.distributions.Normal
    return torch.distributions.kl_divergence(normal(mean0, variance0.sqrt()), normal(mean1, variance1.sqrt()))


@check("3", points=0.5, public=True)
def kl_toy(ctx):
    """Exercise 3: kl_to_standard_normal is 0 for N(0, I), and the sum of the 1-D KL terms of toy rows"""
    mu = torch.zeros(4, 3, dtype=torch.float64)
    logvar = torch.zeros(4, 3, dtype=torch.float64)
    mu[1, 0] = 1.0
    mu[2, :2] = torch.tensor([1.0, -2.0])
    logvar[3, 1] = torch.log(torch.tensor(2.0))
    # a diagonal Gaussian's dimensions are independent: its KL is the sum of one KL per dimension
    expected = _one_dimensional_kl(mu, logvar.exp(), torch.zeros_like(mu), torch.ones_like(mu)).sum(dim=1)
    found = _kl(ctx, mu, logvar, "four rows of three dimensions")
    expect_close("kl_to_standard_normal for the rows mu = [0,0,0], [1,0,0], [1,-2,0], [0,0,0] with "
                 "logvar = 0 except log 2 in the second dimension of the last row, against "
                 "torch.distributions.kl_divergence summed over the dimensions", expected, found["value"],
                 **VALUE_TOL)


@check("3", points=0.5, public=True)
def kl_is_a_divergence_that_adds_up(ctx):
    """Exercise 3: the KL term is positive away from N(0, I), adds up over dimensions, and is differentiable"""
    mu = torch.randn(6, 5, generator=ctx.rng, dtype=torch.float64)
    logvar = torch.randn(6, 5, generator=ctx.rng, dtype=torch.float64) * 1.5
    logvar[:, 0] = -1.0  # a variance below 1 in every row
    whole = _kl(ctx, mu, logvar, "random (6, 5) inputs")
    expect(bool((whole["value"] > 0).all()), f"kl_to_standard_normal should be positive for these Gaussians, which "
           f"are not N(0, I); found {whole['value'].tolist()}.")
    first = _kl(ctx, mu[:, :2], logvar[:, :2], "the first 2 of those 5 dimensions")
    rest = _kl(ctx, mu[:, 2:], logvar[:, 2:], "the last 3 of those 5 dimensions")
    expect_close("kl_to_standard_normal over 5 dimensions, against the sum of the KL over the first 2 and the KL "
                 "over the last 3 (independent dimensions add up)", first["value"] + rest["value"], whole["value"],
                 **VALUE_TOL, hint="Sum over the code's dimensions; a mean does not add up.")
    if whole["grads"] is None or any(g is None for g in whole["grads"]):
        raise CheckFailed("kl_to_standard_normal is not connected to both mu and logvar in the computation graph: "
                          "the VAE's encoder could not learn from it.")


@check("3", points=1)
def kl_matches_reference(ctx):
    """Exercise 3: kl_to_standard_normal and its gradients match the reference on random means and log-variances"""
    rows, dims = int(ctx.randint(1, 9)), int(ctx.randint(2, 40))  # in one dimension a mean is the sum
    mu = torch.randn(rows, dims, generator=ctx.rng, dtype=torch.float64) * 2
    logvar = torch.randn(rows, dims, generator=ctx.rng, dtype=torch.float64) * 3
    logvar.view(-1)[0] = 50.0  # a very wide code dimension must not overflow
    found = _kl(ctx, mu, logvar, f"random ({rows}, {dims}) inputs")
    given = [mu.clone().requires_grad_(True), logvar.clone().requires_grad_(True)]
    expected = ctx.reference.a9_networks.kl_to_standard_normal(*given)
    expected.sum().backward()
    expect_close(f"kl_to_standard_normal for random mu and logvar of shape ({rows}, {dims})", expected.detach(),
                 found["value"], **VALUE_TOL)
    if found["grads"] is None or any(g is None for g in found["grads"]):
        raise CheckFailed("kl_to_standard_normal is not connected to both mu and logvar in the computation graph.")
    for name, tensor, grad in zip(("mu", "logvar"), given, found["grads"], strict=True):
        expect_close(f"the gradient of the summed KL with respect to {name}", tensor.grad, grad, **VALUE_TOL)


def _kl_gaussians(ctx, arguments, what):
    found = ctx.call(differentiable_call, "kl_gaussians", list(arguments), doing=f"calling kl_gaussians on {what}")
    if found["value"].numel() != 1:
        raise CheckFailed(f"kl_gaussians on {what} returned shape {tuple(found['value'].shape)}; it should "
                          "return one number.")
    return float(found["value"].reshape(()))


def _covariance(ctx, d):
    factor = torch.randn(d, d, generator=ctx.rng, dtype=torch.float64)
    return factor @ factor.T / d + 0.3 * torch.eye(d, dtype=torch.float64)


@check("3", points=0.5, public=True)
def kl_gaussians_toy(ctx):
    """Exercise 3: kl_gaussians is 0 between equal Gaussians and agrees with torch.distributions in one dimension"""
    d = 4
    mean, cov = torch.randn(d, generator=ctx.rng, dtype=torch.float64), _covariance(ctx, d)
    found = _kl_gaussians(ctx, (mean, cov, mean, cov), "two equal 4-dimensional Gaussians")
    expect_close("kl_gaussians(m, S, m, S) for a random 4-dimensional Gaussian", 0.0, found, atol=1e-8)
    (m0, v0), (m1, v1) = [torch.tensor(pair, dtype=torch.float64) for pair in ((0.5, 0.8), (-1.0, 2.5))]
    found = _kl_gaussians(ctx, (m0.reshape(1), v0.reshape(1, 1), m1.reshape(1), v1.reshape(1, 1)),
                          "two 1-dimensional Gaussians")
    expect_close(f"kl_gaussians for N({m0:g}, {v0:g}) and N({m1:g}, {v1:g}) (mean, variance) in one dimension, "
                 "against torch.distributions.kl_divergence", _one_dimensional_kl(m0, v0, m1, v1), found,
                 **VALUE_TOL, hint="Which covariance is inverted matters: the KL is not symmetric.")


@check("3", points=0.5)
def kl_gaussians_matches_reference(ctx):
    """Exercise 3: kl_gaussians matches the reference (Eq 6.32) for random full-covariance Gaussians"""
    for _ in range(3):
        d = int(ctx.randint(2, 7))
        arguments = (torch.randn(d, generator=ctx.rng, dtype=torch.float64), _covariance(ctx, d),
                     torch.randn(d, generator=ctx.rng, dtype=torch.float64), _covariance(ctx, d))
        found = _kl_gaussians(ctx, arguments, f"two random {d}-dimensional Gaussians")
        expected = ctx.reference.a9_networks.kl_gaussians(*arguments)
        expect_close(f"kl_gaussians for two random {d}-dimensional Gaussians with full covariances", expected,
                     found, **VALUE_TOL)


# ----------------------------------------------------------------------------- Exercise 4

def _tokens(ctx, rows, length, vocab_size):
    return torch.randint(1, vocab_size, (rows, length), generator=ctx.rng)


@check("4", points=0.5, public=True)
def rnn_output_shape(ctx):
    """Exercise 4: SentimentRNN maps word numbers (N, L) to class scores (N, num_classes), for any sizes given"""
    for args, rows, length in (([50], 3, 7), ([30, 8, 16, 3], 4, 5)):
        _, traced = _traced(ctx, "SentimentRNN", args, _tokens(ctx, rows, length, args[0]))
        classes = args[3] if len(args) > 3 else RNN_DEFAULTS["num_classes"]
        found = list(traced.output_shape)
        if found[:1] == [length]:
            hint = (f"There is a row per word position ({length}) instead of a row per review ({rows}): nn.RNN "
                    "reads (L, N, features) unless it is created with batch_first=True.")
        else:
            hint = ("Use the constructor's arguments (embedding_dim, hidden_size, num_classes) rather than fixed "
                    "numbers, and keep one row of scores per review.")
        expect_shape(f"SentimentRNN({', '.join(map(str, args))}) on word numbers of shape ({rows}, {length})",
                     [rows, classes], found, hint=hint)


@check("4", points=1, public=True)
def rnn_layers(ctx):
    """Exercise 4: SentimentRNN(V) runs Embedding(V, 100), then one RNN layer 100 -> 256, then Linear(256, 2)"""
    vocab_size = 40
    _, traced = _traced(ctx, "SentimentRNN", [vocab_size], _tokens(ctx, 2, 6, vocab_size))
    layers = traced.layers
    expect_kinds(f"SentimentRNN({vocab_size})", layers, ["Embedding", "RNN", "Linear"])
    size, hidden = RNN_DEFAULTS["embedding_dim"], RNN_DEFAULTS["hidden_size"]
    _expect_config(f"SentimentRNN({vocab_size}), the embedding", layers[0],
                   {"num_embeddings": vocab_size, "embedding_dim": size})
    _expect_config(f"SentimentRNN({vocab_size}), the recurrent layer", layers[1],
                   {"input_size": size, "hidden_size": hidden, "num_layers": 1})
    _expect_config(f"SentimentRNN({vocab_size}), the output layer", layers[2],
                   {"in_features": hidden, "out_features": RNN_DEFAULTS["num_classes"]})


@check("4", points=0.5, public=True)
def rnn_parameter_count(ctx):
    """Exercise 4: SentimentRNN has exactly the parameters of its embedding, RNN and output layer"""
    for vocab_size, size, hidden, classes in ((1000, *RNN_DEFAULTS.values()), (25, 6, 10, 3)):
        expected = _layer_count([nn.Embedding(vocab_size, size), nn.RNN(size, hidden), nn.Linear(hidden, classes)])
        args = [vocab_size] if (size, hidden, classes) == tuple(RNN_DEFAULTS.values()) else \
            [vocab_size, size, hidden, classes]
        _expect_parameter_count(ctx, "SentimentRNN", args, expected,
                                hint="One nn.Embedding, one single-layer nn.RNN and one nn.Linear, sized by the "
                                     "constructor's arguments.")


@check("4", points=0.5, public=True)
def rnn_reads_each_review_alone_and_in_order(ctx):
    """Exercise 4: a review's scores depend on that review alone, on its last word and on its first"""
    vocab_size, rows, length = 30, 4, 5
    tokens = _tokens(ctx, rows, length, vocab_size)
    model = ctx.model(MODULE, "SentimentRNN", vocab_size, doing=f"building SentimentRNN({vocab_size})")

    def scores(batch, doing):
        return model.run(batch, False, doing=doing).output.double()

    together = scores(tokens, f"running SentimentRNN on {rows} reviews")
    for row in range(rows):
        alone = scores(tokens[row:row + 1], f"running SentimentRNN on review {row + 1} alone")
        expect_close(f"the scores of review {row + 1} of {rows} when it is run alone, against its scores in the "
                     "batch", together[row:row + 1], alone, atol=1e-5, rtol=1e-4,
                     hint="The reviews of a batch are mixed up. nn.RNN expects (L, N, features) unless it is "
                          "created with batch_first=True.")
    for position, name in ((length - 1, "last"), (0, "first")):
        changed = tokens.clone()
        changed[:, position] = 1 + (changed[:, position] % (vocab_size - 1))  # another word, never padding
        after = scores(changed, f"running SentimentRNN with the {name} word of every review changed")
        moved = (after - together).abs().amax(dim=1)
        expect(bool((moved > 1e-7).all()), f"Changing the {name} word of a review leaves its scores unchanged "
               f"(largest change per review: {[f'{m:.2e}' for m in moved.tolist()]}). Classify from the hidden "
               "state after the last word, which has read every word in order.")


@check("4", points=1)
def rnn_matches_reference(ctx):
    """Exercise 4: SentimentRNN computes the specified function (scores and weight gradients, same weights)"""
    vocab_size = int(ctx.randint(20, 200))
    rows, length = int(ctx.randint(2, 6)), int(ctx.randint(3, 12))
    compare_model(ctx, f"SentimentRNN({vocab_size}) on {rows} reviews of {length} words",
                  ctx.model(MODULE, "SentimentRNN", vocab_size), ctx.reference.a9_networks.SentimentRNN(vocab_size),
                  _tokens(ctx, rows, length, vocab_size), train=False, gradients=True)


# ----------------------------------------------------------------------------- Exercise 5

def _textcnn_args(sizes):
    return [sizes["vocab_size"], sizes["embedding_dim"], list(sizes["kernel_sizes"]), list(sizes["channels"]),
            sizes["num_classes"]]


def _random_textcnn(ctx):
    widths = sorted({int(w) for w in ctx.randint(1, 6, (int(ctx.randint(1, 4)),))})
    return dict(vocab_size=int(ctx.randint(5, 500)), embedding_dim=int(ctx.randint(1, 60)), kernel_sizes=widths,
                channels=[int(c) for c in ctx.randint(1, 100, (len(widths),))], num_classes=int(ctx.randint(2, 6)))


def _expected_textcnn_count(sizes, trainable_embedding=True):
    """Counted by torch on the layers a text CNN of these sizes has."""
    layers = [nn.Conv1d(sizes["embedding_dim"], c, k) for k, c in zip(sizes["kernel_sizes"], sizes["channels"],
                                                                     strict=True)]
    layers.append(nn.Linear(sum(sizes["channels"]), sizes["num_classes"]))
    if trainable_embedding:
        layers.append(nn.Embedding(sizes["vocab_size"], sizes["embedding_dim"]))
    return _layer_count(layers)


def _textcnn_count(ctx, sizes, trainable_embedding):
    kwargs = {**sizes, "kernel_sizes": list(sizes["kernel_sizes"]), "channels": list(sizes["channels"]),
              "trainable_embedding": trainable_embedding}
    shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return ctx.call(call_number, "textcnn_parameter_count", kwargs,
                    doing=f"calling textcnn_parameter_count({shown})"), shown


@check("5", points=0.5, public=True)
def textcnn_output_shape(ctx):
    """Exercise 5: TextCNN maps word numbers (N, L) to class scores (N, num_classes)"""
    for sizes, rows, length in ((dict(vocab_size=30, embedding_dim=6, kernel_sizes=[2, 4], channels=[4, 5],
                                      num_classes=2), 3, 11),
                                (dict(vocab_size=20, embedding_dim=3, kernel_sizes=[3], channels=[2],
                                      num_classes=3), 2, 7)):
        args = _textcnn_args(sizes)
        _, traced = _traced(ctx, "TextCNN", args, _tokens(ctx, rows, length, sizes["vocab_size"]))
        expect_shape(f"TextCNN({', '.join(map(str, args))}) on word numbers of shape ({rows}, {length})",
                     [rows, sizes["num_classes"]], traced.output_shape,
                     hint="nn.Conv1d wants (N, channels, L): transpose the embeddings (N, L, d) to (N, d, L), "
                          "and take the maximum over the time axis.")


@check("5", points=0.5, public=True)
def textcnn_count_toy(ctx):
    """Exercise 5: textcnn_parameter_count agrees with torch's count of the layers, for one small network"""
    sizes = dict(vocab_size=7, embedding_dim=3, kernel_sizes=[2], channels=[2], num_classes=2)
    for trainable in (False, True):
        found, shown = _textcnn_count(ctx, sizes, trainable)
        expect_equal(f"textcnn_parameter_count({shown})", _expected_textcnn_count(sizes, trainable), found,
                     hint="Count every weight and bias of every layer: the embedding table (when it is trained), "
                          "the convolutions and the output layer.")


@check("5", points=1)
def textcnn_matches_reference(ctx):
    """Exercise 5: textcnn_parameter_count and TextCNN agree with the reference for random sizes"""
    sizes = _random_textcnn(ctx)
    reference = ctx.reference.a9_networks
    for trainable in (True, False):
        found, shown = _textcnn_count(ctx, sizes, trainable)
        expect_equal(f"textcnn_parameter_count({shown})",
                     reference.textcnn_parameter_count(**sizes, trainable_embedding=trainable), found)
    length = max(sizes["kernel_sizes"]) + int(ctx.randint(0, 8))
    rows = int(ctx.randint(2, 5))
    args = _textcnn_args(sizes)
    compare_model(ctx, f"TextCNN({', '.join(map(str, args))}) on {rows} reviews of {length} words",
                  ctx.model(MODULE, "TextCNN", *args), reference.TextCNN(*args),
                  _tokens(ctx, rows, length, sizes["vocab_size"]),
                  train=False, gradients=True)
