"""Checks of EECS4404/5327 Assignment 3, the numpy network notebook (tasks 1-5 of the notebook).

Public checks test properties that follow from the definitions in the notebook (rows of softmax sum
to one, the Jacobian matches finite differences of your own softmax, back-propagation matches
finite differences of a network built from the notebook's formulas); hidden checks compare with the
reference on fresh random inputs every run. ``backward`` is given correct activation derivatives, so
a mistake in Task 1 or 2 never costs points in Task 4.
"""
import numpy as np

from grader.assignments.eecs4404_a3.probes import backward_run, sample_run, sgd_run
from grader.core.checks import CheckFailed, check
from grader.core.compare import expect, expect_close, expect_shape

MODULE = "a3_network"
TOL = dict(atol=1e-8, rtol=1e-6)
NUMERIC_TOL = dict(atol=1e-6, rtol=1e-4)  # against central differences


def _call(ctx, name, *args, doing):
    """``name(*args)`` of the notebook's code, which must leave the arrays it is given as they were."""
    found = ctx.call_function(MODULE, name, *args, doing=doing)
    if found.changed_input:
        raise CheckFailed(f"{name} changed the array it was given; compute the result in a new array "
                          "(the caller still needs its input, e.g. the cached pre-activations).")
    return found.value


def _random_array(rng, dims=None, scale=1.0):
    dims = dims or int(rng.integers(1, 4))
    return rng.normal(scale=scale, size=tuple(int(rng.integers(1, 7)) for _ in range(dims)))


# ----------------------------------------------------------------------------- Task 1: ReLU

@check("1", points=0.5, public=True)
def relu_toy(ctx):
    """Task 1: relu is max(0, a) on a small example and keeps the shape of its input"""
    a = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -1e-3]])
    found = _call(ctx, "relu", a, doing="calling relu on a (2, 3) array")
    expect_close("relu(a) for a = [[-2, -0.5, 0], [0.5, 3, -0.001]]",
                 np.array([[0.0, 0.0, 0.0], [0.5, 3.0, 0.0]]), found, **TOL)
    cube = np.arange(24.0).reshape(2, 3, 4) - 12
    found = _call(ctx, "relu", cube, doing="calling relu on a (2, 3, 4) array")
    expect_shape("relu(a) for a of shape (2, 3, 4)", (2, 3, 4), np.shape(found))


@check("1", points=0.5, public=True)
def relu_derivative_toy(ctx):
    """Task 1: relu_derivative is 1 where a > 0 and 0 where a < 0 (either at 0)"""
    a = np.array([[-2.0, 0.5, 0.0, 3.0, -1e-3]])
    found = np.asarray(_call(ctx, "relu_derivative", a, doing="calling relu_derivative"), dtype=float)
    expect_shape("relu_derivative(a) for a of shape (1, 5)", (1, 5), found.shape)
    expect(found[0, 2] in (0.0, 1.0), f"relu_derivative(0) should be 0 or 1; found {found[0, 2]}.")
    found[0, 2] = 0.0
    expect_close("relu_derivative(a) for a = [[-2, 0.5, 0, 3, -0.001]] (ignoring the entry at 0)",
                 np.array([[0.0, 1.0, 0.0, 1.0, 0.0]]), found, **TOL,
                 hint="The derivative of max(0, a) is 1 for a > 0, where relu passes a through.")


@check("1", points=1)
def relu_matches_reference(ctx):
    """Task 1: relu and relu_derivative match the reference on random arrays of 1 to 3 dimensions"""
    rng = ctx.np_random()
    for _ in range(3):
        a = _random_array(rng)
        a.flat[rng.integers(0, a.size)] = 0.0
        shown = f"an array of shape {a.shape}"
        found = _call(ctx, "relu", a, doing=f"calling relu on {shown}")
        expect_close(f"relu(a) for {shown}", ctx.reference.a3_network.relu(a), found, **TOL)
        found = np.array(_call(ctx, "relu_derivative", a, doing=f"calling relu_derivative on {shown}"), dtype=float)
        expect_shape(f"relu_derivative(a) for {shown}", a.shape, found.shape)
        at_zero = a == 0
        expect(np.all(np.isin(found[at_zero], (0.0, 1.0))), "relu_derivative at 0 should be 0 or 1.")
        found[at_zero] = 0.0
        expected = ctx.reference.a3_network.relu_derivative(a)
        expected[at_zero] = 0.0
        expect_close(f"relu_derivative(a) for {shown} (entries equal to 0 ignored)", expected, found, **TOL)


# ----------------------------------------------------------------------------- Task 2: softmax

def _softmax_of(ctx, a, what):
    found = _call(ctx, "softmax", a, doing=f"calling softmax on {what}")
    found = np.asarray(found, dtype=float)
    expect_shape(f"softmax(a) for {what}", a.shape, found.shape)
    return found


@check("2", points=0.5, public=True)
def softmax_rows_are_distributions(ctx):
    """Task 2: every row of softmax(a) is positive, sums to 1, and is unchanged by adding a constant to the row"""
    rng = ctx.np_random()
    a = rng.normal(scale=2.0, size=(5, 4))
    p = _softmax_of(ctx, a, "a (5, 4) array")
    expect(np.all(np.isfinite(p)) and np.all(p > 0), f"softmax(a) should be positive and finite; found\n{p}")
    expect_close("the sums of the rows of softmax(a) (softmax works along each row, the last axis)",
                 np.ones(5), p.sum(axis=1), **TOL)
    shift = rng.normal(scale=3.0, size=(5, 1))
    expect_close("softmax(a + c) for a constant c per row, against softmax(a)", p,
                 _softmax_of(ctx, a + shift, "a (5, 4) array"), **TOL)


@check("2", points=0.5, public=True)
def softmax_is_stable(ctx):
    """Task 2: softmax stays finite and correct for pre-activations in the thousands"""
    rng = ctx.np_random()
    small = rng.normal(size=(3, 6))
    for offset in (1000.0, -1000.0):
        big = _softmax_of(ctx, small + offset, f"a (3, 6) array whose entries are near {offset:g}")
        expect(np.all(np.isfinite(big)), f"softmax(a) for entries near {offset:g} is not finite (found {big[0]} in "
               "its first row): exp overflows or every term underflows. Subtract each row's maximum first.")
        expect_close(f"softmax(a) for entries near {offset:g}, against softmax(a - {offset:g})",
                     _softmax_of(ctx, small, "a (3, 6) array"), big, **TOL)


@check("2", points=1, public=True)
def softmax_derivative_matches_finite_differences(ctx):
    """Task 2: softmax_derivative(a) is the (N, K, K) Jacobian of your softmax, by finite differences"""
    rng = ctx.np_random()
    a = rng.normal(size=(3, 4))
    found = _call(ctx, "softmax_derivative", a, doing="calling softmax_derivative on a (3, 4) array")
    step = 1e-6
    columns = []
    for k in range(4):
        bump = np.zeros_like(a)
        bump[:, k] = step
        columns.append((_softmax_of(ctx, a + bump, "a (3, 4) array") - _softmax_of(ctx, a - bump, "a (3, 4) array"))
                       / (2 * step))
    numeric = np.stack(columns, axis=2)  # [n, j, k] = d softmax_j / d a_k
    expect_close("softmax_derivative(a)[n, j, k] = d softmax(a)[n, j] / d a[n, k] for a (3, 4) array, against "
                 "finite differences of your softmax", numeric, found, **NUMERIC_TOL)


@check("2", points=1)
def softmax_matches_reference(ctx):
    """Task 2: softmax matches the reference on random pre-activations, small and very large"""
    rng = ctx.np_random()
    for scale in (1.0, 30.0, 800.0):
        a = rng.normal(scale=scale, size=(int(rng.integers(1, 9)), int(rng.integers(2, 12))))
        a[0, int(rng.integers(0, a.shape[1]))] = scale  # a small draw could leave the largest scale harmless
        found = _softmax_of(ctx, a, f"a {a.shape} array with entries of size about {scale:g}")
        expect_close(f"softmax(a) for a {a.shape} array with entries of size about {scale:g}",
                     ctx.reference.a3_network.softmax(a), found, **TOL)


@check("2", points=1)
def softmax_derivative_matches_reference(ctx):
    """Task 2: softmax_derivative matches the reference Jacobians on random pre-activations"""
    rng = ctx.np_random()
    for scale in (1.0, 20.0):
        a = rng.normal(scale=scale, size=(int(rng.integers(1, 7)), int(rng.integers(2, 9))))
        found = _call(ctx, "softmax_derivative", a, doing=f"calling softmax_derivative on a {a.shape} array")
        expect_close(f"softmax_derivative(a) for a {a.shape} array", ctx.reference.a3_network.softmax_derivative(a),
                     found, **TOL, hint="Row n of the result is the K x K matrix diag(p) - p p^T with p = softmax(a[n]).")


# ----------------------------------------------------------------------------- Task 3: cross-entropy

def _loss(ctx, y, y_hat, what):
    found = np.asarray(_call(ctx, "cross_entropy", y, y_hat, doing=f"calling cross_entropy on {what}"), dtype=float)
    expect(found.size == 1, f"cross_entropy on {what} should return one number (the mean loss); found an array of "
           f"shape {found.shape}.")
    return found.reshape(())


def _probabilities(rng, n, k):
    p = rng.dirichlet(np.ones(k), size=n)
    return (p + 1e-3) / (1 + k * 1e-3)  # no probability is 0, so every correct formula is finite


@check("3", points=1, public=True)
def cross_entropy_properties(ctx):
    """Task 3: cross_entropy gives log K for uniform predictions and averages over the examples"""
    rng = ctx.np_random()
    labels = rng.integers(0, 5, size=6)
    y = np.eye(5)[labels]
    expect_close("cross_entropy(y, y_hat) with y_hat = 1/5 everywhere (6 examples, 5 classes)", np.log(5.0),
                 _loss(ctx, y, np.full((6, 5), 0.2), "6 uniform predictions"), **TOL)
    y_hat = _probabilities(rng, 6, 5)
    once = _loss(ctx, y, y_hat, "6 examples")
    twice = _loss(ctx, np.vstack([y, y]), np.vstack([y_hat, y_hat]), "the same 6 examples twice")
    expect_close("cross_entropy of a batch repeated twice, against the batch once (the loss is a mean, not a sum)",
                 once, twice, **TOL)


@check("3", points=1)
def cross_entropy_matches_reference(ctx):
    """Task 3: cross_entropy matches the reference on random labels and predictions"""
    rng = ctx.np_random()
    for index in range(3):
        n, k = int(rng.integers(1 if index else 2, 30)), int(rng.integers(2, 12))  # with one example mean = sum
        y, y_hat = np.eye(k)[rng.integers(0, k, size=n)], _probabilities(rng, n, k)
        expect_close(f"cross_entropy(y, y_hat) for {n} examples and {k} classes",
                     ctx.reference.a3_network.cross_entropy(y, y_hat),
                     _loss(ctx, y, y_hat, f"{n} examples of {k} classes"), **TOL)


# ----------------------------------------------------------------------------- Task 4: backward

def _network(rng, sizes, n):
    params = [(rng.normal(size=(i, o)) / np.sqrt(i), rng.normal(scale=0.1, size=o))
              for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    return params, rng.normal(size=(n, sizes[0]))


def _check_gradients(found, expected, layers):
    expect(isinstance(found, list) and len(found) == layers,
           f"backward should return a list with one (dL/dW, dL/db) pair per layer ({layers}); found "
           f"{type(found).__name__} of length {len(found) if isinstance(found, list) else '?'}.")
    for index in reversed(range(layers)):
        pair = found[index]
        expect(isinstance(pair, list) and len(pair) == 2,
               f"backward's entry for layer {index + 1} should be a pair (dL/dW, dL/db).")
        hint = "" if index == layers - 1 else ("The last layer is right but this one is not: look at how dL/dz "
                                               "passes through the linear map (times W^T) and the ReLU derivative.")
        for name, want, got in (("W", expected[index][0], pair[0]), ("b", expected[index][1], pair[1])):
            expect_close(f"dL/d{name} of layer {index + 1} of {layers}", want, got, **TOL, hint=hint)


def _softmax_by_definition(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _forward_by_definition(params, X):
    """The notebook's network, from the formulas of Tasks 1 and 2 (for public checks)."""
    a, z = [], [X]
    for i, (W, b) in enumerate(params):
        a.append(z[-1] @ W + b)
        z.append(_softmax_by_definition(a[-1]) if i == len(params) - 1 else np.maximum(a[-1], 0.0))
    return {"a": a, "z": z}


def _numeric_derivatives(cache, step=1e-6):
    """relu and softmax derivatives at the cached pre-activations, by central differences."""
    *hidden, last = cache["a"]
    relu = [(a, (np.maximum(a + step, 0) - np.maximum(a - step, 0)) / (2 * step)) for a in hidden]
    columns = []
    for k in range(last.shape[1]):
        bump = np.zeros_like(last)
        bump[:, k] = step
        columns.append((_softmax_by_definition(last + bump) - _softmax_by_definition(last - bump)) / (2 * step))
    return {"relu_derivative": relu, "softmax_derivative": [(last, np.stack(columns, axis=2))]}


@check("4", points=1.5, public=True)
def backward_matches_finite_differences(ctx):
    """Task 4: backward's gradients match finite differences on a small 3-layer network"""
    rng = ctx.np_random()
    while True:
        params, X = _network(rng, [4, 5, 4, 3], 3)
        cache = _forward_by_definition(params, X)
        if min(np.abs(a).min() for a in cache["a"][:-1]) > 1e-3:  # no ReLU kink within reach of the differences
            break
    grad_output = rng.normal(size=(3, 3))
    found = ctx.call(backward_run, params, cache, grad_output, _numeric_derivatives(cache),
                     doing="running backward on a network with layers 4-5-4-3")
    step, numeric = 1e-6, []
    for W, b in params:
        pair = []
        for array in (W, b):
            gradient = np.zeros_like(array)
            for position in np.ndindex(array.shape):
                values = []
                for sign in (1, -1):
                    array[position] += sign * step
                    values.append(np.sum(grad_output * _forward_by_definition(params, X)["z"][-1]))
                    array[position] -= sign * step
                gradient[position] = (values[0] - values[1]) / (2 * step)
            pair.append(gradient)
        numeric.append(pair)
    try:
        _check_gradients(found, numeric, len(params))
    except CheckFailed as failure:
        raise CheckFailed(f"{failure} (Expected values are finite differences; the grader passed backward correct "
                          "relu and softmax derivatives, so only Task 4's steps are being judged.)") from None


@check("4", points=2.5)
def backward_matches_reference(ctx):
    """Task 4: backward matches the reference on random networks of 1 to 4 layers"""
    rng = ctx.np_random()
    ref = ctx.reference.a3_network
    for layers in (1, 2, int(rng.integers(3, 5))):
        sizes = [int(rng.integers(2, 9)) for _ in range(layers + 1)]
        n = int(rng.integers(1, 8))
        params, X = _network(rng, sizes, n)
        cache = ref.forward(params, X)
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=n)]
        grad_output = ref.cross_entropy_gradient(y, cache["z"][-1])
        derivatives = {"relu_derivative": [(a, ref.relu_derivative(a)) for a in cache["a"][:-1]],
                       "softmax_derivative": [(cache["a"][-1], ref.softmax_derivative(cache["a"][-1]))]}
        found = ctx.call(backward_run, params, cache, grad_output, derivatives,
                         doing=f"running backward on a network with layers {'-'.join(map(str, sizes))}")
        _check_gradients(found, ref.backward(params, cache, grad_output), layers)


# ----------------------------------------------------------------------------- Task 5: SGD

@check("5", points=0.5, public=True)
def sgd_step_toy(ctx):
    """Task 5: sgd_step moves every W and b against its gradient by step_size times the gradient"""
    params = [(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])), (np.array([[0.5], [-0.5]]), np.array([2.0]))]
    grads = [(np.array([[1.0, -1.0], [0.0, 2.0]]), np.array([4.0, 0.0])), (np.array([[2.0], [2.0]]), np.array([-2.0]))]
    found = ctx.call(sgd_run, params, grads, 0.5, doing="calling sgd_step on a two-layer network")
    expected = [(np.array([[0.5, 2.5], [3.0, 3.0]]), np.array([-1.0, -1.0])), (np.array([[-0.5], [-1.5]]), np.array([3.0]))]
    expect(isinstance(found, list) and len(found) == 2, "sgd_step should return the list of (W, b) of both layers.")
    for index, ((W, b), got) in enumerate(zip(expected, found, strict=True), start=1):
        expect_close(f"W of layer {index} after sgd_step with step_size 0.5", W, got[0], **TOL)
        expect_close(f"b of layer {index} after sgd_step with step_size 0.5", b, got[1], **TOL)


@check("5", points=1)
def sgd_step_matches_reference(ctx):
    """Task 5: sgd_step matches the reference on a random network and step size"""
    rng = ctx.np_random()
    sizes = [int(rng.integers(2, 8)) for _ in range(4)]
    params, _ = _network(rng, sizes, 1)
    grads = [(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in params]
    step = float(rng.uniform(0.01, 1.0))
    found = ctx.call(sgd_run, params, grads, step, doing="calling sgd_step on a three-layer network")
    expected = ctx.reference.a3_network.sgd_step(params, grads, step)
    expect(isinstance(found, list) and len(found) == 3, "sgd_step should return the list of (W, b) of every layer.")
    for index, ((W, b), got) in enumerate(zip(expected, found, strict=True), start=1):
        expect_close(f"W of layer {index} after sgd_step(step_size={step:.3f})", W, got[0], **TOL)
        expect_close(f"b of layer {index} after sgd_step(step_size={step:.3f})", b, got[1], **TOL)


def _batches(ctx, n, batch_size, repeats, seed):
    """The examples chosen in ``repeats`` calls, as row indices, after checking shapes and pairing."""
    X = np.repeat(np.arange(n, dtype=float)[:, None], 3, axis=1)  # row i holds i
    y = np.arange(n)
    batches = ctx.call(sample_run, X, y, batch_size, seed, repeats,
                       doing=f"calling sample_batch(X, y, {batch_size}, rng) {repeats} times on {n} examples")
    chosen = []
    for X_batch, y_batch in batches:
        expect_shape(f"X of sample_batch(X, y, {batch_size}, rng) with X of shape {X.shape}", (batch_size, 3),
                     X_batch.shape)
        expect_shape(f"y of sample_batch(X, y, {batch_size}, rng)", (batch_size,), y_batch.shape)
        expect(np.array_equal(X_batch[:, 0], y_batch), "sample_batch returned rows of X with labels of other "
               "examples: pick the same indices from X and from y.")
        expect(np.array_equal(X_batch[:, 0], X_batch[:, 0].round()) and X_batch[:, 0].min() >= 0,
               "sample_batch returned rows that are not rows of X.")
        chosen.append(X_batch[:, 0].astype(int))
    return np.array(chosen)


@check("5", points=1, public=True)
def sample_batch_draws_distinct_pairs(ctx):
    """Task 5: sample_batch returns batch_size distinct rows of X with their own labels, a new batch each call"""
    chosen = _batches(ctx, 50, 8, 30, ctx.seed)
    for batch in chosen:
        expect(len(set(batch.tolist())) == len(batch), f"sample_batch(X, y, 8, rng) repeated examples in one batch "
               f"(rows {sorted(batch.tolist())}): draw without replacement.")
    expect(len({tuple(sorted(b)) for b in chosen.tolist()}) > 1, "Every call of sample_batch returned the same batch: "
           "draw from the rng you are given on every call.")


@check("5", points=1)
def sample_batch_is_unbiased(ctx):
    """Task 5: over thousands of calls, every example is drawn equally often"""
    rng = ctx.np_random()
    n, batch_size, repeats = int(rng.integers(10, 21)), int(rng.integers(2, 7)), 3000
    chosen = _batches(ctx, n, batch_size, repeats, int(rng.integers(1 << 31)))
    counts = np.bincount(chosen.ravel(), minlength=n)
    p = batch_size / n
    expected, spread = repeats * p, np.sqrt(repeats * p * (1 - p))
    worst = int(np.argmax(np.abs(counts - expected)))
    expect(abs(counts[worst] - expected) < 6 * spread,
           f"In {repeats} batches of {batch_size} from {n} examples each example should appear about {expected:.0f} "
           f"times; example {worst} appeared {counts[worst]} times (all counts: {counts.tolist()}). Every example "
           "must be equally likely, including the first and the last.")
