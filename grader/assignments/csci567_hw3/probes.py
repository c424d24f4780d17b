"""What the csci567-hw3 checks may ask of ``neural_networks.py`` (runs in the sandbox).

Layers are exercised on values the grader sends. SGD and backward_pass are exercised on stand-in
modules that only record what they are given, and gradient_checker on stand-in layers that compute
correctly, so each question is judged on its own, whatever the state of the others. Nothing here
computes an expected value: the worker only reports what the student's code did, and the grader
checks it against its own computation.
"""
import contextlib
import io
import numbers
import os

import numpy as np

MODULE = "neural_networks"
MAIN_RESULTS = "MLP_lr0.01_b5.json"


class StudentValue(ValueError):
    """A value the student's code returned that cannot be reported: the student's fault, not the grader's."""
    student_fault = True


def _array(value, what):
    try:
        return np.array(value, dtype=float)  # a copy: later calls into the student's code cannot change it
    except (TypeError, ValueError) as exc:
        raise StudentValue(f"{what} is not an array of numbers ({type(value).__name__}: {exc})") from None


def _layer(sub, W, b):
    layer = sub.attr(MODULE, "linear_layer")(W.shape[0], W.shape[1])
    layer.params["W"], layer.params["b"] = W.copy(), b.copy()
    return layer


def linear_init(sub, input_D, output_D, seed):
    np.random.seed(seed)
    layer = sub.attr(MODULE, "linear_layer")(input_D, output_D)
    return {"params": {str(k): _array(v, f"params[{k!r}]") for k, v in dict(layer.params).items()},
            "gradient": {str(k): _array(v, f"gradient[{k!r}]") for k, v in dict(layer.gradient).items()}}


def linear_forward(sub, W, b, X):
    return _array(_layer(sub, W, b).forward(X), "the output of forward")


def linear_backward(sub, W, b, X, grad):
    layer = _layer(sub, W, b)
    layer.forward(X)
    dX = layer.backward(X, grad)
    return {"dX": None if dX is None else _array(dX, "the value backward returned"),
            "W": _array(layer.gradient.get("W"), "gradient['W']"), "b": _array(layer.gradient.get("b"), "gradient['b']")}


def relu_run(sub, X, grad):
    module = sub.attr(MODULE, "relu")()
    out = _array(module.forward(X.copy()), "the output of forward")  # copied now: backward may reuse the array
    return {"forward": out, "backward": _array(module.backward(X.copy(), grad.copy()), "the output of backward")}


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
            "params": {name: {k: _array(v, f"{name} params[{k!r}]") for k, v in model[name].params.items()}
                       for name in layers}}


class _Recorder:
    """Records backward(X, grad) and answers with a gradient the grader chose."""

    def __init__(self, name, calls, answer):
        self.name, self.calls, self.answer = name, calls, answer
        self.params, self.gradient = {}, {}

    def backward(self, X, grad):
        self.calls.append({"module": self.name, "X": _array(X, "an argument"), "grad": _array(grad, "an argument")})
        return self.answer.copy()


def backward_pass_run(sub, x, a1, h1, a2, y, answers):
    calls = []
    model = {name: _Recorder(name, calls, answers[name]) for name in ("L1", "nonlinear1", "L2", "loss")}
    sub.attr(MODULE, "backward_pass")(model, x, a1, h1, a2, y)
    return calls


# ------------------------------------------------------------------ gradient_checker on correct stand-ins

class _Linear:
    def __init__(self, W, b):
        self.params, self.gradient = {"W": W.copy(), "b": b.copy()}, {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def forward(self, X):
        return X @ self.params["W"] + self.params["b"]

    def backward(self, X, grad):
        self.gradient["W"] = X.T @ grad
        self.gradient["b"] = np.sum(grad, axis=0, keepdims=True).reshape(self.params["b"].shape)
        return grad @ self.params["W"].T


class _Relu:
    def forward(self, X):
        return np.maximum(X, 0)

    def backward(self, X, grad):
        return grad * (X > 0)


def _forward_pass(model, x, y):
    a1 = model["L1"].forward(x)
    h1 = model["nonlinear1"].forward(a1)
    a2 = model["L2"].forward(h1)
    return a1, h1, a2, model["loss"].forward(a2, y)


def _backward_pass(model, x, a1, h1, a2, y):
    grad = model["loss"].backward(a2, y)
    grad = model["L2"].backward(h1, grad)
    grad = model["nonlinear1"].backward(a1, grad)
    model["L1"].backward(x, grad)


_PARAMETERS = [(layer, key) for layer in ("L1", "L2") for key in ("W", "b")]


def _forward_pass_as_if_restored(originals, state):
    """The given forward_pass, except that a parameter the checker perturbed earlier and did not put back is taken
    at its original value: the loss moves only with the parameter being checked now. Not restoring is charged
    by its own check; the numbers of the others are then still judged on their own. ``state`` notes a reset."""
    def forward_pass(model, x, y):
        current = {p: model[p[0]].params[p[1]] for p in _PARAMETERS}
        moved = [p for p in _PARAMETERS if not np.array_equal(current[p], state["previous"][p])]
        if moved:
            state["newest"] = moved[-1]
        state["previous"] = {p: np.array(v, copy=True) for p, v in current.items()}
        stale = [p for p in _PARAMETERS if p != state.get("newest") and not np.array_equal(current[p], originals[p])]
        try:
            for layer, key in stale:
                model[layer].params[key] = originals[(layer, key)].copy()
            state["reset"] |= any(not np.allclose(current[p], originals[p], rtol=1e-12, atol=1e-12) for p in stale)
            return _forward_pass(model, x, y)
        finally:
            for layer, key in stale:
                model[layer].params[key] = current[(layer, key)]
    return forward_pass


def _numbers(value, found, depth=0):
    """The numbers in what gradient_checker returned (dicts, lists, tuples, arrays), at most 1000."""
    if len(found) > 1000 or depth > 4:
        return found
    if isinstance(value, (bool, np.bool_)):
        return found
    if isinstance(value, numbers.Real):
        found.append(float(value))
    elif isinstance(value, np.ndarray) and value.dtype.kind in "fiu" and value.size <= 1000:
        found.extend(float(v) for v in value.ravel())
    elif isinstance(value, dict):
        for item in list(value.values())[:100]:
            _numbers(item, found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value[:100]:
            _numbers(item, found, depth + 1)
    return found


def _bias_shapes(sub):
    """The bias shapes to try, the student's own first: the starter's 1-by-k, or (k,) as the handout's b in R^M
    reads (the starter's given checker code indexes the bias gradient with [0], which suits a (k,) bias)."""
    try:
        flat = np.ndim(sub.attr(MODULE, "linear_layer")(3, 4).params["b"]) == 1
    except Exception:
        flat = False
    return ["flat", "row"] if flat else ["row", "flat"]


def gradient_checker_run(sub, params, X, Y):
    """Run the student's gradient_checker on a model of correct stand-in layers with the grader's parameters,
    with the given forward_pass and a correct backward_pass, so that only the checker itself is judged.
    Reports what it printed and returned, and the parameters it left behind. Biases are shaped as the
    student's linear_layer shapes them; if the checker raises, the other shape is tried too."""
    module = sub.modules[MODULE]
    utils = sub.modules.get("utils") or __import__("utils")
    shapes = _bias_shapes(sub)
    for attempt, bias_shape in enumerate(shapes):
        shape = (lambda b: b.reshape(-1)) if bias_shape == "flat" else (lambda b: b)
        model = {"L1": _Linear(params["L1 W"], shape(params["L1 b"])), "nonlinear1": _Relu(),
                 "L2": _Linear(params["L2 W"], shape(params["L2 b"])), "loss": utils.softmax_cross_entropy()}
        saved = {name: getattr(module, name, None) for name in ("forward_pass", "backward_pass")}
        originals = {(layer, key): np.array(model[layer].params[key], copy=True) for layer, key in _PARAMETERS}
        state = {"previous": {p: v.copy() for p, v in originals.items()}, "reset": False}
        module.forward_pass = _forward_pass_as_if_restored(originals, state)
        module.backward_pass = _backward_pass
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                returned = module.gradient_checker(utils.DataSplit(X, Y), model)
        except Exception:
            if attempt == len(shapes) - 1:
                raise
            continue
        finally:
            for name, value in saved.items():
                setattr(module, name, value)
        after = {f"{layer} {key}": _array(model[layer].params[key], f"{layer} params[{key!r}] after gradient_checker")
                 for layer in ("L1", "L2") for key in ("W", "b")}
        return {"printed": printed.getvalue()[-20000:], "returned": _numbers(returned, []), "after": after,
                "bias_shape": bias_shape, "reset": state["reset"]}


# ------------------------------------------------------------------------------------------ main

def training_run(sub, data_dir, epochs):
    """Run the student's main as the handout's command does (batches of 5, learning rate 0.01) for ``epochs``
    epochs on the stand-in data folder; report the results file it wrote and the parameters of its model
    after the last step of gradient descent, for the grader to check the file against."""
    module = sub.modules[MODULE]
    original = module.miniBatchGradientDescent
    seen = {}

    def watched(model, _learning_rate):
        returned = original(model, _learning_rate)
        seen["model"] = returned if isinstance(returned, dict) else model
        return returned

    module.miniBatchGradientDescent = watched
    params = {"random_seed": 42, "data_dir": data_dir, "learning_rate": 0.01, "num_epoch": epochs,
              "minibatch_size": 5, "early_stopping_patience": 3, "check_gradient": False, "check_magnitude": False}
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):  # tqdm's bars
            module.main(params)
    finally:
        module.miniBatchGradientDescent = original
    final = None
    if "model" in seen:
        final = {f"{layer} {key}": _array(seen["model"][layer].params[key], f"{layer} params[{key!r}]")
                 for layer in ("L1", "L2") for key in ("W", "b")}
    written = os.path.exists(MAIN_RESULTS)
    return {"written": written, "text": open(MAIN_RESULTS).read()[:100000] if written else "", "final": final,
            "printed": printed.getvalue()[-2000:]}
