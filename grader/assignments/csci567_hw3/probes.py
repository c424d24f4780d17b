"""What the csci567-hw3 checks may ask of ``neural_networks.py`` (runs in the sandbox).

Layers are exercised on values the grader sends. SGD and backward_pass are exercised on stand-in
modules that only record what they are given, so each question is judged on its own, whatever the
state of the others.
"""
import os

import numpy as np

MODULE = "neural_networks"


def _layer(sub, W, b):
    layer = sub.attr(MODULE, "linear_layer")(W.shape[0], W.shape[1])
    layer.params["W"], layer.params["b"] = W.copy(), b.copy()
    return layer


def linear_init(sub, input_D, output_D, seed):
    np.random.seed(seed)
    layer = sub.attr(MODULE, "linear_layer")(input_D, output_D)
    return {"params": {k: np.asarray(v) for k, v in layer.params.items()},
            "gradient": {k: np.asarray(v) for k, v in layer.gradient.items()}}


def linear_forward(sub, W, b, X):
    return np.asarray(_layer(sub, W, b).forward(X))


def linear_backward(sub, W, b, X, grad):
    layer = _layer(sub, W, b)
    layer.forward(X)
    dX = layer.backward(X, grad)
    return {"dX": None if dX is None else np.asarray(dX),
            "W": np.asarray(layer.gradient.get("W")), "b": np.asarray(layer.gradient.get("b"))}


def relu_run(sub, X, grad):
    module = sub.attr(MODULE, "relu")()
    out = module.forward(X)
    return {"forward": np.asarray(out), "backward": np.asarray(module.backward(X, grad))}


class _Holder:
    """A module with parameters, for miniBatchGradientDescent."""

    def __init__(self, params, gradient):
        self.params = {k: v.copy() for k, v in params.items()}
        self.gradient = {k: v.copy() for k, v in gradient.items()}


class _NoParameters:
    def forward(self, X):
        return X


def sgd_step(sub, layers, learning_rate):
    """layers: {name: (params, gradient)}; a relu and a loss without parameters are added as the course's model has."""
    model = {name: _Holder(p, g) for name, (p, g) in layers.items()}
    model["nonlinear1"], model["loss"] = _NoParameters(), _NoParameters()
    returned = sub.attr(MODULE, "miniBatchGradientDescent")(model, learning_rate)
    return {"returned_model": returned is model,
            "params": {name: {k: np.asarray(v) for k, v in model[name].params.items()} for name in layers}}


class _Recorder:
    """Records backward(X, grad) and answers with a gradient the grader chose."""

    def __init__(self, name, calls, answer):
        self.name, self.calls, self.answer = name, calls, answer
        self.params, self.gradient = {}, {}

    def backward(self, X, grad):
        self.calls.append({"module": self.name, "X": np.asarray(X), "grad": np.asarray(grad)})
        return self.answer.copy()


def backward_pass_run(sub, x, a1, h1, a2, y, answers):
    calls = []
    model = {name: _Recorder(name, calls, answers[name]) for name in ("L1", "nonlinear1", "L2", "loss")}
    sub.attr(MODULE, "backward_pass")(model, x, a1, h1, a2, y)
    return calls


def _model(sub, params):
    module = sub.modules[MODULE]
    model = {"L1": _layer(sub, params["L1 W"], params["L1 b"]), "nonlinear1": module.relu(),
             "L2": _layer(sub, params["L2 W"], params["L2 b"]), "loss": module.softmax_cross_entropy()}
    return module, model


def _snapshot(model):
    return {f"{layer} {key}": model[layer].params[key].copy() for layer in ("L1", "L2") for key in ("W", "b")}


def gradient_checker_run(sub, params, X, Y):
    """Run the student's gradient_checker, then work out what it should have found on the same model."""
    module, model = _model(sub, params)
    before = _snapshot(model)
    returned = module.gradient_checker(module.DataSplit(X, Y), model)
    after = _snapshot(model)
    # What the numbers should be for this model, computed with the student's own forward and backward.
    x, y = module.DataSplit(X, Y).get_example(np.arange(len(X)))
    module2, fresh = _model(sub, params)
    a1, h1, a2, _ = module2.forward_pass(fresh, x, y)
    module2.backward_pass(fresh, x, a1, h1, a2, y)
    expected = {}
    for name in before:
        layer, key = name.split()
        original = fresh[layer].params[key][0, 0]
        fresh[layer].params[key][0, 0] = original + 1e-3
        plus = module2.forward_pass(fresh, x, y)[3]
        fresh[layer].params[key][0, 0] = original - 1e-3
        minus = module2.forward_pass(fresh, x, y)[3]
        fresh[layer].params[key][0, 0] = original
        expected[name] = (float(fresh[layer].gradient[key][0, 0]), float((plus - minus) / 2e-3))
    shown = {str(k): [float(v) for v in np.ravel(np.asarray(pair, dtype=float))] for k, pair in dict(returned).items()} \
        if isinstance(returned, dict) else None
    return {"returned": shown, "before": before, "after": after, "expected": expected}


def training_run(sub, data_file, epochs, hidden):
    module = sub.modules[MODULE]
    params = {"random_seed": 1, "learning_rate": 0.01, "num_epoch": epochs, "minibatch_size": 5,
              "hidden": hidden, "patience": 3, "input_file": data_file, "check_gradient": False,
              "check_magnitude": False}
    module.main(params)
    name = "MLP_lr0.01_b5.json"
    return {"written": os.path.exists(name), "text": open(name).read()[:100000] if os.path.exists(name) else ""}
