"""Checks of CSCI567 HW3 problem 3.1 (``neural_networks.py``).

Public checks use toy inputs whose answers follow from the handout's definitions; hidden checks
compare with the reference on fresh random shapes and values every run. SGD (3.1.3) and
backward_pass (3.1.4) are exercised on stand-in modules, so a mistake in the layers never costs
points there.
"""
import json

import numpy as np

from grader.engine.checks import CheckFailed, check
from grader.engine.compare import expect, expect_close, expect_equal, expect_shape
from grader.engine.source_rules import expect_only_imports

FILE = "neural_networks.py"
ALLOWED_IMPORTS = {"numpy", "json", "time", "argparse", "sys", "utils", "copy", "math"}
TOL = dict(atol=1e-8, rtol=1e-6)


def _shape(rng, low=2, high=9):
    return int(rng.integers(low, high))


# ---------------------------------------------------------------------------------------- rules

@check("3.1", points=0, penalty=2, public=True, number="3.1.0")
def only_allowed_imports(ctx):
    """Rule: neural_networks.py imports only numpy and what the starter code imports (breaking it deducts 2)"""
    expect_only_imports(ctx.source(FILE), FILE, ALLOWED_IMPORTS)


# -------------------------------------------------------------------------------------- 3.1.1

@check("3.1.1", points=1, public=True)
def linear_initialisation(ctx):
    """linear_layer draws W (input_D, output_D) and b (1, output_D) from N(0, 0.1^2); gradients start at zero"""
    found = ctx.call("linear_init", 300, 400, 1, doing="creating linear_layer(300, 400)")
    params, gradient = found["params"], found["gradient"]
    for key, shape in (("W", (300, 400)), ("b", (1, 400))):
        if key not in params or key not in gradient:
            raise CheckFailed(f"linear_layer(300, 400): params and gradient need the key {key!r}; "
                              f"found params {sorted(params)}, gradient {sorted(gradient)}.")
        expect_shape(f"linear_layer(300, 400).params[{key!r}]", shape, params[key].shape)
        expect_shape(f"linear_layer(300, 400).gradient[{key!r}]", shape, gradient[key].shape)
        expect(not np.any(gradient[key]), f"linear_layer(300, 400).gradient[{key!r}] should start as zeros.")
    values = np.concatenate([params["W"].ravel(), params["b"].ravel()])
    mean, std = float(values.mean()), float(values.std())
    expect(abs(mean) < 0.01 and 0.095 < std < 0.105,
           f"linear_layer(300, 400): the {values.size} initial values have mean {mean:.4f} and standard "
           f"deviation {std:.4f}; expected mean 0 and standard deviation 0.1 (np.random.normal(0, 0.1, shape)).")
    again = ctx.call("linear_init", 300, 400, 2, doing="creating a second linear_layer(300, 400)")
    expect(not np.array_equal(again["params"]["W"], params["W"]),
           "Two layers created after different np.random seeds have the same W: draw it with np.random.normal.")


@check("3.1.1", points=1, public=True)
def linear_forward_toy(ctx):
    """linear_layer.forward(X) = X W + b on a small example"""
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 3.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 1.0]])
    b = np.array([[0.5, 0.0, -1.0]])
    expected = np.array([[1.5, -2.0, 3.0], [-0.5, -0.5, -2.5], [0.5, -3.0, 2.0]])  # X @ W + b, by hand
    found = ctx.call("linear_forward", W, b, X, doing="running linear_layer.forward on a 3x2 input")
    expect_close("linear_layer.forward(X) with X (3, 2), W (2, 3), b (1, 3)", expected, found, **TOL)


@check("3.1.1", points=1, public=True)
def linear_backward_toy(ctx):
    """linear_layer.backward: with an all-ones upstream gradient, dW = X^T 1, db = N, dX = 1 W^T"""
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    W = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    b = np.zeros((1, 3))
    found = ctx.call("linear_backward", W, b, X, np.ones((2, 3)), doing="running linear_layer.backward")
    expect_close("gradient['W'] (dLoss/dW)", np.array([[4.0, 4.0, 4.0], [1.0, 1.0, 1.0]]), found["W"], **TOL)
    expect_close("gradient['b'] (dLoss/db)", np.array([[2.0, 2.0, 2.0]]), found["b"], **TOL,
                 hint="db sums the upstream gradient over the examples and keeps shape (1, output_D).")
    expect_close("the returned dLoss/dX", np.array([[-0.5, 2.0], [-0.5, 2.0]]), found["dX"], **TOL)


def _linear_cases(ctx, count=3):
    """Random (X, W, b) of random shapes, each with a reference layer holding W and b."""
    rng = ctx.np_random()
    for _ in range(count):
        n, d_in, d_out = _shape(rng, 1), _shape(rng), _shape(rng)
        X, W, b = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=(1, d_out))
        layer = ctx.reference.neural_networks.linear_layer(d_in, d_out)
        layer.params["W"], layer.params["b"] = W, b
        yield rng, X, W, b, layer, f"linear_layer({d_in}, {d_out})"


@check("3.1.1", points=1)
def linear_forward_matches(ctx):
    """linear_layer.forward matches the specification on random shapes and values"""
    for _, X, W, b, layer, name in _linear_cases(ctx):
        found = ctx.call("linear_forward", W, b, X, doing=f"running {name}.forward")
        expect_close(f"{name}.forward on X of shape {X.shape}", layer.forward(X), found, **TOL)


@check("3.1.1", points=2)
def linear_backward_matches(ctx):
    """linear_layer.backward: dLoss/dW, dLoss/db and the returned dLoss/dX match, on random shapes"""
    for rng, X, W, b, layer, name in _linear_cases(ctx):
        grad = rng.normal(size=(X.shape[0], W.shape[1]))
        dX = layer.backward(X, grad)
        found = ctx.call("linear_backward", W, b, X, grad, doing=f"running {name}.backward")
        what = f"{name}.backward with X {X.shape}"
        expect_close(f"{what}: gradient['W']", layer.gradient["W"], found["W"], **TOL)
        expect_close(f"{what}: gradient['b']", layer.gradient["b"], found["b"], **TOL)
        expect_close(f"{what}: the returned gradient for X", dX, found["dX"], **TOL)


# -------------------------------------------------------------------------------------- 3.1.2

@check("3.1.2", points=1, public=True)
def relu_toy(ctx):
    """relu.forward is max(0, X) and relu.backward passes the gradient where X > 0, for any shape"""
    X = np.array([[[-2.0, 0.0], [3.0, -0.5]], [[1.5, -1.0], [0.25, 4.0]]])
    grad = np.arange(1.0, 9.0).reshape(2, 2, 2)
    found = ctx.call("relu_run", X, grad, doing="running relu on a (2, 2, 2) array")
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
        found = ctx.call("relu_run", X, grad, doing=f"running relu on an array of shape {shape}")
        expect_close(f"relu.forward on shape {shape}", forward, found["forward"], **TOL)
        expect_close(f"relu.backward on shape {shape}", module.backward(X, grad), found["backward"], **TOL)


# -------------------------------------------------------------------------------------- 3.1.3

@check("3.1.3", points=0.5, public=True)
def sgd_toy(ctx):
    """miniBatchGradientDescent: params <- params - learning_rate * gradient, on a small model"""
    layers = {"L1": ({"W": np.array([[1.0, -1.0]]), "b": np.array([[0.5]])},
                     {"W": np.array([[2.0, 4.0]]), "b": np.array([[-1.0]])})}
    found = ctx.call("sgd_step", layers, 0.1, doing="running miniBatchGradientDescent")
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
    found = ctx.call("sgd_step", layers, lr, doing="running miniBatchGradientDescent")
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
    calls = ctx.call("backward_pass_run", values["x"], values["a1"], values["h1"], values["a2"], values["y"],
                     answers, doing="running backward_pass")
    expect_equal("the order of backward calls in backward_pass", ORDER, [c["module"] for c in calls],
                 hint="Back-propagation starts at the loss and ends at the first layer.")


@check("3.1.4", points=2)
def backward_pass_arguments(ctx):
    """backward_pass gives each module its own forward input and the gradient returned by the module after it"""
    values, answers = _backward_case(ctx.np_random())
    calls = ctx.call("backward_pass_run", values["x"], values["a1"], values["h1"], values["a2"], values["y"],
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

def _checker_case(rng, n=5, d=6, m=4, k=3):
    params = {"L1 W": rng.normal(0, 0.5, (d, m)), "L1 b": rng.normal(0, 0.5, (1, m)),
              "L2 W": rng.normal(0, 0.5, (m, k)), "L2 b": rng.normal(0, 0.5, (1, k))}
    return params, rng.normal(size=(n, d)), rng.integers(0, k, size=n)


@check("3.1.5", points=1, public=True)
def gradient_checker_leaves_model_unchanged(ctx):
    """gradient_checker returns its four pairs of numbers and leaves every parameter as it found it"""
    params, X, Y = _checker_case(np.random.default_rng(1))
    found = ctx.call("gradient_checker_run", params, X, Y, doing="running gradient_checker")
    for name, value in found["before"].items():
        expect_close(f"{name} after gradient_checker (it must restore each perturbed entry)", value,
                     found["after"][name], atol=0, rtol=0)
    returned = found["returned"]
    expect(returned is not None and set(returned) == set(found["expected"]),
           f"gradient_checker should return a dict with keys {sorted(found['expected'])}; found "
           f"{sorted(returned) if returned is not None else 'no dict'}.")


@check("3.1.5", points=2)
def gradient_checker_numbers(ctx):
    """gradient_checker's backprop numbers and central differences (epsilon 1e-3) are right"""
    params, X, Y = _checker_case(ctx.np_random(), n=int(ctx.randint(3, 9)))
    found = ctx.call("gradient_checker_run", params, X, Y, doing="running gradient_checker")
    returned = found["returned"] or {}
    for name, (backprop, approximation) in found["expected"].items():
        pair = returned.get(name)
        if pair is None or len(pair) != 2:
            raise CheckFailed(f"gradient_checker returned no (backprop, approximation) pair for {name!r}.")
        expect_close(f"backprop value for {name}[0, 0]", backprop, pair[0], atol=1e-7, rtol=1e-5)
        expect_close(f"central-difference value for {name}[0, 0] (epsilon 1e-3, loss on all examples)",
                     approximation, pair[1], atol=1e-7, rtol=1e-5)


# -------------------------------------------------------------------------------------- 3.1.6

@check("3.1.6", points=1)
def training_run_writes_results(ctx):
    """main trains on the stand-in data within the time limit and writes MLP_lr0.01_b5.json"""
    data_file = str(ctx.data_dir / "fashion_mnist_standin.json")
    found = ctx.call("training_run", data_file, 3, 64, timeout=120, doing="training with main (3 epochs)")
    expect(found["written"], "main did not write MLP_lr0.01_b5.json in the current folder.")
    results = json.loads(found["text"])
    for key in ("train", "val", "test", "time"):
        expect(key in results, f"MLP_lr0.01_b5.json has no {key!r} entry.")
    expect(0 < len(results["train"]) <= 3 and len(results["val"]) == len(results["train"]),
           f"MLP_lr0.01_b5.json should record one train and one validation accuracy per epoch; found "
           f"{len(results['train'])} and {len(results['val'])}.")
    expect(0.5 < results["train"][-1] <= 1.0,
           f"After training, the training accuracy is {results['train'][-1]}; on the stand-in digits a working "
           "network reaches well above 0.5 within 3 epochs.")
