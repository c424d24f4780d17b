"""Checks of CSCI567 HW3 problem 3.1 (``neural_networks.py``).

Public checks use toy inputs whose answers follow from the handout's definitions; hidden checks
compare with the reference on fresh random shapes and values every run. SGD (3.1.3) and
backward_pass (3.1.4) are exercised on stand-in modules, and gradient_checker (3.1.5) on correct
stand-in layers, so a mistake in the layers never costs points there. Every expected value is
computed here, in the grading process; the worker only reports what the student's code did.
"""
import json
import re

import numpy as np
import torch

from grader.assignments.csci567_hw3.probes import (backward_pass_run, gradient_checker_run, linear_backward,
                                                   linear_forward, linear_init, relu_run, sgd_step, training_run)
from grader.core.checks import CheckFailed, Scored, check
from grader.core.compare import expect, expect_close, expect_equal, expect_shape
from grader.core.source_rules import expect_only_imports, staff_note

FILE = "neural_networks.py"
# The starter's own imports (tqdm: "a new package used in this HW"), and harmless standard modules
ALLOWED_IMPORTS = {"numpy", "json", "time", "argparse", "utils", "copy", "tqdm", "sys", "math"}
TOL = dict(atol=1e-8, rtol=1e-6)


def _shape(rng, low=2, high=9):
    return int(rng.integers(low, high))


# ---------------------------------------------------------------------------------------- rules

@check("3.1", points=0, penalty=2, public=True, number="3.1.0")
def only_allowed_imports(ctx):
    """Rule: neural_networks.py imports only numpy and what the starter code imports (breaking it deducts 2)"""
    expect_only_imports(ctx.source(FILE), FILE, ALLOWED_IMPORTS)
    note = staff_note(ctx.source(FILE), FILE)  # eval, exec, compile: code the rule cannot read
    if note:
        return Scored(0.0, note)


# -------------------------------------------------------------------------------------- 3.1.1

def _bias_shape_ok(what, shape, output_D):
    """The starter's 1-by-output_D, or (output_D,) as the handout's b in R^M reads: both are right."""
    expect(tuple(shape) in ((1, output_D), (output_D,)),
           f"{what} has shape {tuple(shape)}; expected (1, {output_D}) (or ({output_D},)).")


def _as_row(b):
    """A bias or its gradient as 1-by-k, whichever of the two accepted shapes it has."""
    return b.reshape(1, -1) if b.ndim == 1 else b


@check("3.1.1", points=1, public=True)
def linear_initialisation(ctx):
    """linear_layer draws W (input_D, output_D) and b (1, output_D) from N(0, 0.1^2); gradients start at zero"""
    found = ctx.call(linear_init, 300, 400, 1, doing="creating linear_layer(300, 400)")
    params, gradient = found["params"], found["gradient"]
    for key in ("W", "b"):
        if key not in params or key not in gradient:
            raise CheckFailed(f"linear_layer(300, 400): params and gradient need the key {key!r}; "
                              f"found params {sorted(params)}, gradient {sorted(gradient)}.")
        what = f"linear_layer(300, 400).{{}}[{key!r}]"
        if key == "W":
            expect_shape(what.format("params"), (300, 400), params[key].shape)
            expect_shape(what.format("gradient"), (300, 400), gradient[key].shape)
        else:
            _bias_shape_ok(what.format("params"), params[key].shape, 400)
            _bias_shape_ok(what.format("gradient"), gradient[key].shape, 400)
        expect(not np.any(gradient[key]), f"linear_layer(300, 400).gradient[{key!r}] should start as zeros.")
    # b gets its own wide layer: 5000 values pin its standard deviation down as well as W's 120000 do
    wide = ctx.call(linear_init, 3, 5000, 3, doing="creating linear_layer(3, 5000)")["params"]["b"]
    for name, values in (("W of linear_layer(300, 400)", params["W"]), ("b of linear_layer(3, 5000)", wide)):
        mean, std = float(values.mean()), float(values.std())
        expect(abs(mean) < 0.01 and 0.095 < std < 0.105,
               f"{name}: its {values.size} initial values have mean {mean:.4f} and standard deviation {std:.4f}; "
               "expected mean 0 and standard deviation 0.1: the handout draws both W and b with "
               "np.random.normal(0, 0.1, shape).")
    again = ctx.call(linear_init, 300, 400, 2, doing="creating a second linear_layer(300, 400)")
    expect(not np.array_equal(again["params"]["W"], params["W"]),
           "Two layers created after different np.random seeds have the same W: draw it with np.random.normal.")


@check("3.1.1", points=1, public=True)
def linear_forward_toy(ctx):
    """linear_layer.forward(X) = X W + b on a small example"""
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]])
    b = np.array([[0.5, 0.0, -1.0]])
    expected = np.array([[1.5, -2.0, 3.0], [-0.5, -0.5, -2.5], [0.5, -3.0, 2.0]])  # X @ W + b, by hand
    found = ctx.call(linear_forward, W, b, X, doing="running linear_layer.forward on a 3x2 input")
    expect_close("linear_layer.forward(X) with X (3, 2), W (2, 3), b (1, 3)", expected, found, **TOL)


@check("3.1.1", points=1, public=True)
def linear_backward_toy(ctx):
    """linear_layer.backward: with an all-ones upstream gradient, dW = X^T 1, db = N, dX = 1 W^T"""
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    W = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    b = np.zeros((1, 3))
    found = ctx.call(linear_backward, W, b, X, np.ones((2, 3)), doing="running linear_layer.backward")
    expect_close("gradient['W'] (dLoss/dW)", np.array([[4.0, 4.0, 4.0], [1.0, 1.0, 1.0]]), found["W"], **TOL)
    _bias_shape_ok("gradient['b'] after backward", found["b"].shape, 3)
    expect_close("gradient['b'] (dLoss/db)", np.array([[2.0, 2.0, 2.0]]), _as_row(found["b"]), **TOL,
                 hint="db sums the upstream gradient over the examples.")
    expect_close("the returned dLoss/dX", np.array([[-0.5, 2.0], [-0.5, 2.0]]), found["dX"], **TOL)


def _linear_cases(ctx, count=3):
    """Random (X, W, b) of random shapes, each with a reference layer holding W and b."""
    rng = ctx.np_random()
    for index in range(count):
        # one example is allowed, but never in every case: with N = 1 a mean over the batch equals its sum
        n, d_in, d_out = _shape(rng, 1 if index else 2), _shape(rng), _shape(rng)
        X, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=(1, d_out))
        layer = ctx.reference.neural_networks.linear_layer(d_in, d_out)
        layer.params["W"], layer.params["b"] = W, b
        yield rng, X, W, b, layer, f"linear_layer({d_in}, {d_out})"


@check("3.1.1", points=1)
def linear_forward_matches(ctx):
    """linear_layer.forward matches the specification on random shapes and values"""
    for _, X, W, b, layer, name in _linear_cases(ctx):
        found = ctx.call(linear_forward, W, b, X, doing=f"running {name}.forward")
        expect_close(f"{name}.forward on X of shape {X.shape}", layer.forward(X), found, **TOL)


@check("3.1.1", points=2)
def linear_backward_matches(ctx):
    """linear_layer.backward: dLoss/dW, dLoss/db and the returned dLoss/dX match, on random shapes"""
    for rng, X, W, b, layer, name in _linear_cases(ctx):
        grad = rng.normal(size=(X.shape[0], W.shape[1]))
        dX = layer.backward(X, grad)
        found = ctx.call(linear_backward, W, b, X, grad, doing=f"running {name}.backward")
        what = f"{name}.backward with X {X.shape}"
        expect_close(f"{what}: gradient['W']", layer.gradient["W"], found["W"], **TOL)
        _bias_shape_ok(f"{what}: gradient['b']", found["b"].shape, W.shape[1])
        expect_close(f"{what}: gradient['b']", layer.gradient["b"], _as_row(found["b"]), **TOL)
        expect_close(f"{what}: the returned gradient for X", dX, found["dX"], **TOL)


# -------------------------------------------------------------------------------------- 3.1.2

@check("3.1.2", points=1, public=True)
def relu_toy(ctx):
    """relu.forward is max(0, X) and relu.backward passes the gradient where X > 0, for any shape"""
    X = np.array([[[-2.0, 0.0], [3.0, -0.5]], [[1.5, -1.0], [0.25, 4.0]]])
    grad = np.arange(1.0, 9.0).reshape(2, 2, 2)
    found = ctx.call(relu_run, X, grad, doing="running relu on a (2, 2, 2) array")
    expect_close("relu.forward on a (2, 2, 2) array", np.maximum(X, 0), found["forward"], **TOL)
    expect_close("relu.backward on a (2, 2, 2) array", grad * (X > 0), found["backward"], **TOL,
                 hint="The gradient is 0 where X <= 0 and passes unchanged where X > 0.")


@check("3.1.2", points=1)
def relu_matches(ctx):
    """relu matches the specification on random arrays of 1 to 4 dimensions"""
    rng = ctx.np_random()
    ref = ctx.reference.neural_networks
    for dims in (1, 2, 3, 4):
        shape = tuple(_shape(rng, 1, 6) for _ in range(dims))
        X, grad = rng.normal(size=shape), rng.normal(size=shape)
        module = ref.relu()
        forward = module.forward(X)
        found = ctx.call(relu_run, X, grad, doing=f"running relu on an array of shape {shape}")
        expect_close(f"relu.forward on shape {shape}", forward, found["forward"], **TOL)
        expect_close(f"relu.backward on shape {shape}", module.backward(X, grad), found["backward"], **TOL)


# -------------------------------------------------------------------------------------- 3.1.3

@check("3.1.3", points=0.5, public=True)
def sgd_toy(ctx):
    """miniBatchGradientDescent: params <- params - learning_rate * gradient, on a small model"""
    layers = {"L1": ({"W": np.array([[1.0, -1.0]]), "b": np.array([[0.5]])},
                     {"W": np.array([[2.0, 4.0]]), "b": np.array([[-1.0]])})}
    found = ctx.call(sgd_step, layers, 0.1, doing="running miniBatchGradientDescent")
    expect_close("L1 params['W'] after one step with learning rate 0.1", np.array([[0.8, -1.4]]),
                 found["params"]["L1"]["W"], **TOL)
    expect_close("L1 params['b'] after one step with learning rate 0.1", np.array([[0.6]]),
                 found["params"]["L1"]["b"], **TOL)
    expect(found["returned_model"], "miniBatchGradientDescent must return the model it updated.")


@check("3.1.3", points=1.5)
def sgd_matches(ctx):
    """miniBatchGradientDescent updates every parameter of every layer, with the right sign and scale"""
    rng = ctx.np_random()
    lr = float(rng.uniform(0.01, 0.5))
    layers = {}
    for name in ("L1", "L2"):
        d_in, d_out = _shape(rng), _shape(rng)
        layers[name] = ({"W": rng.normal(size=(d_in, d_out)), "b": rng.normal(size=(1, d_out))},
                        {"W": rng.normal(size=(d_in, d_out)), "b": rng.normal(size=(1, d_out))})
    found = ctx.call(sgd_step, layers, lr, doing="running miniBatchGradientDescent")
    for name, (params, gradient) in layers.items():
        for key in params:
            expect_close(f"{name} params[{key!r}] after one step with learning rate {lr:.4f}",
                         params[key] - lr * gradient[key], found["params"][name][key], **TOL)
    expect(found["returned_model"], "miniBatchGradientDescent must return the model it updated.")


# -------------------------------------------------------------------------------------- 3.1.4

ORDER = ["loss", "L2", "nonlinear1", "L1"]


def _backward_case(rng):
    n, d, m, k = _shape(rng, 1, 5), _shape(rng), _shape(rng), _shape(rng)
    values = {"x": rng.normal(size=(n, d)), "a1": rng.normal(size=(n, m)), "h1": rng.normal(size=(n, m)),
              "a2": rng.normal(size=(n, k)), "y": rng.integers(0, k, size=(n, 1)).astype(float)}
    answers = {"loss": rng.normal(size=(n, k)), "L2": rng.normal(size=(n, m)),
               "nonlinear1": rng.normal(size=(n, m)), "L1": rng.normal(size=(n, d))}
    return values, answers


@check("3.1.4", points=1, public=True)
def backward_pass_order(ctx):
    """backward_pass calls backward on loss, L2, nonlinear1 and L1, in that order, once each"""
    values, answers = _backward_case(np.random.default_rng(0))
    calls = ctx.call(backward_pass_run, values["x"], values["a1"], values["h1"], values["a2"], values["y"],
                     answers, doing="running backward_pass")
    expect_equal("the order of backward calls in backward_pass", ORDER, [c["module"] for c in calls],
                 hint="Back-propagation starts at the loss and ends at the first layer.")


@check("3.1.4", points=2)
def backward_pass_arguments(ctx):
    """backward_pass gives each module its own forward input and the gradient returned by the module after it"""
    values, answers = _backward_case(ctx.np_random())
    calls = ctx.call(backward_pass_run, values["x"], values["a1"], values["h1"], values["a2"], values["y"],
                     answers, doing="running backward_pass")
    expect_equal("the order of backward calls in backward_pass", ORDER, [c["module"] for c in calls])
    expected = {"loss": (values["a2"], values["y"], "a2", "y"), "L2": (values["h1"], answers["loss"], "h1",
                                                                       "the gradient returned by loss"),
                "nonlinear1": (values["a1"], answers["L2"], "a1", "the gradient returned by L2"),
                "L1": (values["x"], answers["nonlinear1"], "x", "the gradient returned by nonlinear1")}
    known = {**values, **{f"the gradient returned by {name}": answer for name, answer in answers.items()}}
    for call in calls:
        X, grad, x_name, grad_name = expected[call["module"]]
        for position, wanted, wanted_name, found in (("first", X, x_name, call["X"]),
                                                      ("second", grad, grad_name, call["grad"])):
            if found.shape != wanted.shape or not np.array_equal(found, wanted):
                got = next((name for name, value in known.items()
                            if value.shape == found.shape and np.array_equal(value, found)), "something else")
                raise CheckFailed(f"model[{call['module']!r}].backward received {got} as its {position} argument; "
                                  f"it should receive {wanted_name}.")


# -------------------------------------------------------------------------------------- 3.1.5
#
# gradient_checker runs on correct stand-in layers with parameters the grader chose, so only the checker is
# judged. The handout leaves open what it returns and on which examples it works: the starter's code checks
# the first example and prints each pair, others return them or use every example. Every such reading earns
# the points: the numbers it printed or returned must hold the four back-propagated values and the four
# central differences of one reading, which the grader computes itself (never the worker).

PARAMETERS = ("L1 W", "L1 b", "L2 W", "L2 b")
EPSILON = 1e-3
MAX_REPORTED = 200  # numbers a checker may print or return: enough for any layout, too few to cover every value
PRINTED_TOL = dict(atol=2e-6, rtol=1e-5)  # the starter prints with %f: six decimals
PAIR_SPAN = 4
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+|[-+]?(?:nan|inf)\b")


def _checker_case(rng, n):
    # Small weights keep the softmax away from saturation: the loss then curves enough that a one-sided
    # difference misses the central one by several times the printing tolerance, in every draw (measured
    # on 400 draws: at least 8.5 times, for both readings)
    params = {"L1 W": rng.normal(0, 0.2, (6, 4)), "L1 b": rng.normal(0, 0.2, (1, 4)),
              "L2 W": rng.normal(0, 0.2, (4, 3)), "L2 b": rng.normal(0, 0.2, (1, 3))}
    return params, rng.normal(0, 1.0, size=(n, 6)), rng.integers(0, 3, size=n).astype(float)


def _torch_loss_and_gradients(params, X, Y):
    """The handout's loss (mean softmax cross-entropy of relu(X W1 + b1) W2 + b2) and its gradients, by autograd."""
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    hidden = torch.relu(torch.tensor(X) @ tensors["L1 W"] + tensors["L1 b"])
    loss = torch.nn.functional.cross_entropy(hidden @ tensors["L2 W"] + tensors["L2 b"],
                                             torch.tensor(Y, dtype=torch.long))
    loss.backward()
    return float(loss.detach()), {name: tensor.grad.numpy() for name, tensor in tensors.items()}


def _reference_loss_and_gradients(ref):
    def loss_and_gradients(params, X, Y):
        nn = ref.neural_networks
        model = {"L1": nn.linear_layer(*params["L1 W"].shape), "nonlinear1": nn.relu(),
                 "L2": nn.linear_layer(*params["L2 W"].shape), "loss": ref.utils.softmax_cross_entropy()}
        for name, value in params.items():
            layer, key = name.split()
            model[layer].params[key] = value.copy()
        y = Y.reshape(-1, 1)
        a1, h1, a2, loss = nn.forward_pass(model, X, y)
        nn.backward_pass(model, X, a1, h1, a2, y)
        return float(loss), {name: model[name.split()[0]].gradient[name.split()[1]] for name in params}
    return loss_and_gradients


def _expected_readings(loss_and_gradients, params, X, Y):
    """{reading: {parameter: (back-propagated value, central difference)}} for the first entry of each parameter,
    on the first example and on all of them."""
    readings = {}
    for reading, rows in (("the first example", slice(0, 1)), (f"all {len(X)} examples", slice(None))):
        _, gradients = loss_and_gradients(params, X[rows], Y[rows])
        pairs = {}
        for name in PARAMETERS:
            moved = []
            for step in (EPSILON, -EPSILON):
                shifted = {key: value.copy() for key, value in params.items()}
                shifted[name][0, 0] += step
                moved.append(loss_and_gradients(shifted, X[rows], Y[rows])[0])
            pairs[name] = (float(gradients[name][0, 0]), (moved[0] - moved[1]) / (2 * EPSILON))
        readings[reading] = pairs
    return readings


def _reported_numbers(found):
    printed = [float(token) for token in NUMBER.findall(found["printed"])]
    return printed + [float(v) for v in found["returned"]]


def _close(found, wanted):
    return abs(found - wanted) <= PRINTED_TOL["atol"] + PRINTED_TOL["rtol"] * abs(wanted)


def _missing(numbers, wanted, kinds):
    """The (parameter, kind, value) of ``wanted`` that the reported numbers do not show. Back-propagation and its
    central difference are nearly equal, so a central difference counts only beside its back-propagated value:
    as a pair of numbers at most PAIR_SPAN apart in the order they were reported (one line, a returned tuple,
    or a row of four values over another), in either order."""
    missing = []
    for name, (backprop, central) in wanted.items():
        if not any(_close(n, backprop) for n in numbers):
            missing.append((name, "back-propagation", backprop))
        elif "central difference" in kinds and not any(
                (_close(numbers[i], backprop) and _close(numbers[j], central))
                or (_close(numbers[i], central) and _close(numbers[j], backprop))
                for i in range(len(numbers)) for j in range(i + 1, min(i + 1 + PAIR_SPAN, len(numbers)))):
            missing.append((name, "central difference", central))
    return missing


def _judge_checker(found, readings, kinds):
    """Pass when some reading has every number of ``kinds`` reported; else explain against the closest reading."""
    numbers = _reported_numbers(found)
    if len(numbers) > MAX_REPORTED:
        raise CheckFailed(f"gradient_checker printed or returned {len(numbers)} numbers; report the eight numbers of the "
                          "four checks (and a few more if you like), not hundreds.")
    if not numbers:
        raise CheckFailed("gradient_checker printed and returned no numbers: print (or return) the gradient from "
                          "back-propagation and its central-difference estimate for each of the four parameters.")
    gaps = {}
    for reading, pairs in readings.items():
        gaps[reading] = _missing(numbers, pairs, kinds)
        if not gaps[reading]:
            return reading
    reading, missing = min(gaps.items(), key=lambda item: len(item[1]))
    listed = "; ".join(f"{kind} of {name}[0, 0] = {value:.6f}" for name, kind, value in missing[:4])
    shown = ", ".join(f"{v:.6g}" for v in numbers[:12]) + (" ..." if len(numbers) > 12 else "")
    raise CheckFailed(f"gradient_checker on a small model (correct layers, {reading}, epsilon {EPSILON:g}) did not report "
                      f"{listed}. It reported {shown}. The central difference is (F(w + epsilon) - F(w - epsilon)) "
                      "/ (2 epsilon), with F the loss of the batch.")


@check("3.1.5", points=1, public=True)
def gradient_checker_restores_the_model(ctx):
    """gradient_checker reports back-propagation's values and leaves every parameter as it found it"""
    params, X, Y = _checker_case(np.random.default_rng(1), 5)
    found = ctx.call(gradient_checker_run, params, X, Y, doing="running gradient_checker")
    _judge_checker(found, _expected_readings(_torch_loss_and_gradients, params, X, Y), {"back-propagation"})
    for name, value in params.items():
        # arithmetic restoring (w + e - 2e + e) may differ from w in the last bit: that is restored
        expect_close(f"{name} after gradient_checker (it must restore each perturbed entry)", value,
                     _as_row(found["after"][name]) if name.endswith("b") else found["after"][name],
                     atol=1e-12, rtol=1e-12)


@check("3.1.5", points=2)
def gradient_checker_numbers(ctx):
    """gradient_checker's back-propagated values and central differences (epsilon 1e-3) are right"""
    rng = ctx.np_random()
    params, X, Y = _checker_case(rng, int(rng.integers(3, 9)))
    found = ctx.call(gradient_checker_run, params, X, Y, doing="running gradient_checker")
    _judge_checker(found, _expected_readings(_reference_loss_and_gradients(ctx.reference), params, X, Y),
                   {"back-propagation", "central difference"})
    if found.get("reset"):
        return Scored(2.0, "The numbers are right when each perturbed parameter is taken as put back (the grader "
                           "did that for you: not restoring the parameters is charged once, in 3.1.5.1).")


# -------------------------------------------------------------------------------------- 3.1.6

DATA_FOLDER = "grading_data"  # the data folder's format, 100 images of each class: a short run
EPOCHS = 2


_SPLITS = {}


def _training_split(ref, data_dir):
    """The training images and labels that data_loader_mnist gives main (their order does not matter here),
    read once per grading process."""
    if data_dir not in _SPLITS:
        Xtrain, Ytrain, *_ = ref.utils.data_loader_mnist(data_dir)  # its shuffle draws from np.random: harmless here
        _SPLITS[data_dir] = (Xtrain, Ytrain)
    return _SPLITS[data_dir]


@check("3.1.6", points=1)
def training_run_writes_results(ctx):
    """main trains on the stand-in data and writes MLP_lr0.01_b5.json, whose training accuracy is its model's"""
    data_dir = str(ctx.data_dir / DATA_FOLDER)
    found = ctx.call(training_run, data_dir, EPOCHS, timeout=150,
                     doing=f"running main for {EPOCHS} epochs (batches of 5, learning rate 0.01)")
    expect(found["written"], "main did not write MLP_lr0.01_b5.json in the current folder.")
    try:
        results = json.loads(found["text"])
    except ValueError as exc:
        raise CheckFailed(f"MLP_lr0.01_b5.json is not JSON ({exc}).") from None
    expect(isinstance(results, dict), "MLP_lr0.01_b5.json should hold a JSON object.")
    for key in ("train", "val", "test", "time"):
        expect(key in results, f"MLP_lr0.01_b5.json has no {key!r} entry.")
    expect(isinstance(results["train"], list) and isinstance(results["val"], list)
           and 0 < len(results["train"]) <= EPOCHS and len(results["val"]) == len(results["train"]),
           f"MLP_lr0.01_b5.json should record one training and one validation accuracy per epoch ({EPOCHS} epochs).")
    expect(found["final"] is not None, "main never called miniBatchGradientDescent.")
    # The file's last training accuracy is a claim: the grader checks it against the model's own parameters.
    final = found["final"]
    Xtrain, Ytrain = _training_split(ctx.reference, data_dir)
    hidden = np.maximum(Xtrain @ final["L1 W"] + _as_row(final["L1 b"]), 0)
    accuracy = float(np.mean(np.argmax(hidden @ final["L2 W"] + _as_row(final["L2 b"]), axis=1) == Ytrain))
    claimed = results["train"][-1]
    expect(isinstance(claimed, (int, float)) and abs(claimed - accuracy) < 1e-9,
           f"MLP_lr0.01_b5.json gives a final training accuracy of {claimed!r}, but the trained model's parameters "
           f"classify {accuracy:.4f} of the training examples.")
    expect(accuracy > 0.5, f"After {EPOCHS} epochs the model classifies {accuracy:.4f} of the training examples; on the "
                           "stand-in digits a working network is well above 0.5 after one epoch.")
