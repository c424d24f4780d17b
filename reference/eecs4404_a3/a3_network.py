# %% [markdown]
# # EECS4404/5327 Assignment 3: a neural network written in numpy
#
# You will build a multi-layer perceptron that sorts 28x28 grayscale clothing images into 10
# classes, compute its gradients by back-propagation, and train it with mini-batch stochastic
# gradient descent on the cross-entropy loss.
#
# **How this notebook is graded.** The cells you complete carry the tag `graded` (View > Cell
# toolbar > Tags in Jupyter; in Colab the tag is kept in the file). The grader runs those cells and
# the notebook's imports and function definitions, never the training cells, and calls your
# functions on its own inputs. Keep the function names and arguments as they are; add helper
# functions wherever you like. Run `python -m grader check eecs4404-a3 a3_network.ipynb` (or the
# `check.py` of your bundle) to try the public checks before you submit.
#
# Notation: layer `i` maps `z_i` to the pre-activation `a_{i+1} = z_i W_i + b_i` and then to
# `z_{i+1} = phi(a_{i+1})`; `z_0` is a batch of images (one per row), `phi` is ReLU on hidden layers
# and softmax on the output layer, so `z_L` holds the predicted class probabilities.

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

# %% [markdown]
# ## The data
#
# `fashion_mnist_standin.npz` holds `x_train` (N, 28, 28) uint8 images and `y_train` labels 0-9,
# in the layout of `keras.datasets.fashion_mnist.load_data()`. Put it beside this notebook or in a
# `data/` folder next to it (in Colab: upload it in the Files pane). `load_data` scales pixels to
# [0, 1], flattens each image to 784 values and holds out a validation set.

# %%
def data_path(name="fashion_mnist_standin.npz"):
    """Where the data file is: beside the notebook, in data/, or in the course repository's data folder."""
    for candidate in (Path(name), Path("data") / name, Path("data") / "eecs4404_a3" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} is neither beside this notebook nor in data/: put it there (in Colab, "
                            "upload it in the Files pane).")


def load_data(path, validation=300, seed=0):
    """(X_train, y_train, X_val, y_val) from an .npz file with x_train and y_train."""
    with np.load(path) as data:
        images, labels = data["x_train"], data["y_train"]
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    order = np.random.default_rng(seed).permutation(len(X))
    val, train = order[:validation], order[validation:]
    return X[train], labels[train].astype(int), X[val], labels[val].astype(int)


def onehot_encode(y, classes=10):
    """(N, classes) rows with a 1 in the column of each label."""
    encoded = np.zeros((len(y), classes))
    encoded[np.arange(len(y)), y] = 1.0
    return encoded

# %% [markdown]
# ## Task 1: ReLU and its derivative
#
# `relu(a)` is `max(0, a)` elementwise, for an array of any shape. `relu_derivative(a)` is its
# derivative elementwise: 1 where `a > 0` and 0 where `a < 0` (at exactly 0 either value will do).
# Neither may change the array it is given.

# %% tags=["graded"]
def relu(a):
    # BEGIN SOLUTION: return max(0, a) elementwise
    return np.maximum(a, 0.0)
    # END SOLUTION


def relu_derivative(a):
    # BEGIN SOLUTION: return the derivative of relu at every entry of a
    return (a > 0).astype(np.float64)
    # END SOLUTION

# %% [markdown]
# ## Task 2: softmax and its derivative
#
# `softmax(a)` takes pre-activations `a` of shape (N, K) and returns, row by row,
# `exp(a_k) / sum_i exp(a_i)`. Computed literally it overflows for large `a`; subtracting each row's
# maximum `c` first changes nothing mathematically and keeps every exponent at most 0.
#
# `softmax_derivative(a)` returns the Jacobian of every row: an (N, K, K) array `J` with
# `J[n, j, k] = d softmax(a)[n, j] / d a[n, k]`.

# %% tags=["graded"]
def softmax(a):
    # BEGIN SOLUTION: a numerically stable softmax of every row
    shifted = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return shifted / np.sum(shifted, axis=-1, keepdims=True)
    # END SOLUTION


def softmax_derivative(a):
    # BEGIN SOLUTION: the (N, K, K) Jacobians
    p = softmax(a)
    return p[:, :, None] * np.eye(p.shape[1])[None, :, :] - p[:, :, None] * p[:, None, :]
    # END SOLUTION

# %% [markdown]
# ## Task 3: the cross-entropy loss
#
# `cross_entropy(y, y_hat)` takes one-hot labels `y` and predicted probabilities `y_hat`, both
# (N, K), and returns the loss `-sum_k y_k log y_hat_k` averaged over the N examples: a float.
# (`cross_entropy_gradient`, its derivative with respect to `y_hat`, is written for you.)

# %% tags=["graded"]
def cross_entropy(y, y_hat):
    # BEGIN SOLUTION: the mean over the rows of -sum_k y_k log y_hat_k
    return float(-np.mean(np.log(np.sum(y * y_hat, axis=1))))
    # END SOLUTION

# %%
def cross_entropy_gradient(y, y_hat):
    """dL/dy_hat of the mean cross-entropy; zero where the label is zero (even if y_hat is 0 there)."""
    gradient = np.zeros_like(y_hat, dtype=np.float64)
    positive = y > 0
    gradient[positive] = -y[positive] / y_hat[positive]
    return gradient / len(y_hat)

# %% [markdown]
# ## Task 4: back-propagation
#
# `forward` (below) keeps, for a batch, the pre-activations `a` (one array per layer) and the
# activations `z` (`z[0]` is the input, `z[-1]` the output probabilities). `backward` receives them
# with `grad_output = dL/dz_L` and walks from the last layer to the first. At layer `i` it turns
# `dL/dz_{i+1}` into `dL/da_{i+1}` through the activation's derivative (ReLU: elementwise; softmax:
# through its Jacobian), and `dL/da_{i+1}` into `dL/dz_i` through the linear map. The gradients of
# `W_i` and `b_i` are written for you. Complete the two marked steps.

# %%
def init_params(sizes, rng):
    """[(W, b), ...] for layer sizes such as [784, 100, 10]: He-scaled normal weights, zero biases."""
    return [(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)), np.zeros(fan_out))
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True)]


def forward(params, X):
    """{"a": pre-activations of every layer, "z": [X, activations of every layer]}."""
    a, z = [], [X]
    for i, (W, b) in enumerate(params):
        a.append(z[-1] @ W + b)
        z.append(softmax(a[-1]) if i == len(params) - 1 else relu(a[-1]))
    return {"a": a, "z": z}

# %% tags=["graded"]
def backward(params, cache, grad_output):
    grads = [None] * len(params)
    grad_z = grad_output
    for i in reversed(range(len(params))):
        W, _ = params[i]
        # BEGIN SOLUTION: grad_a = dL/da of this layer, from grad_z = dL/dz of this layer
        if i == len(params) - 1:
            grad_a = np.einsum("nk,nkj->nj", grad_z, softmax_derivative(cache["a"][i]))
        else:
            grad_a = grad_z * relu_derivative(cache["a"][i])
        # END SOLUTION
        grads[i] = (cache["z"][i].T @ grad_a, grad_a.sum(axis=0))
        # BEGIN SOLUTION: grad_z = dL/dz of the layer below, from grad_a
        grad_z = grad_a @ W.T
        # END SOLUTION
    return grads

# %% [markdown]
# ## Task 5: stochastic gradient descent
#
# `sgd_step(params, grads, step_size)` returns the parameters after one step against the
# gradient, `[(W - step_size * dW, b - step_size * db), ...]`. `sample_batch(X, y, batch_size, rng)`
# returns `batch_size` distinct training examples chosen uniformly at random (rows of `X` with their
# labels), drawing from the numpy Generator `rng`.

# %% tags=["graded"]
def sgd_step(params, grads, step_size):
    # BEGIN SOLUTION: one gradient-descent step on every W and b
    return [(W - step_size * dW, b - step_size * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]
    # END SOLUTION


def sample_batch(X, y, batch_size, rng):
    # BEGIN SOLUTION: a uniformly random mini-batch without repeated examples
    chosen = rng.choice(len(X), size=batch_size, replace=False)
    return X[chosen], y[chosen]
    # END SOLUTION

# %% [markdown]
# ## Training
#
# `train` runs mini-batch SGD with a step size that decays geometrically from `step_size` to
# `step_size * decay` over the run. Every iteration records the batch loss and accuracy; every
# `eval_every` iterations it also evaluates the whole training set and the validation set.

# %%
def evaluate(params, X, y):
    """(mean cross-entropy, accuracy) of the network on X, y."""
    probabilities = forward(params, X)["z"][-1]
    return cross_entropy(onehot_encode(y), probabilities), float(np.mean(probabilities.argmax(axis=1) == y))


def train(X, y, X_val, y_val, hidden=(100,), batch_size=32, iterations=1000, step_size=0.1, decay=0.1,
          eval_every=25, seed=0):
    """(final parameters, history of losses and accuracies)."""
    rng = np.random.default_rng(seed)
    params = init_params([X.shape[1], *hidden, 10], rng)
    history = {key: [] for key in ("batch_loss", "batch_accuracy", "evaluated_at", "train_loss",
                                   "train_accuracy", "val_loss", "val_accuracy")}
    started = time.perf_counter()
    for t in range(iterations):
        X_batch, y_batch = sample_batch(X, y, batch_size, rng)
        cache = forward(params, X_batch)
        probabilities = cache["z"][-1]
        history["batch_loss"].append(cross_entropy(onehot_encode(y_batch), probabilities))
        history["batch_accuracy"].append(float(np.mean(probabilities.argmax(axis=1) == y_batch)))
        grads = backward(params, cache, cross_entropy_gradient(onehot_encode(y_batch), probabilities))
        params = sgd_step(params, grads, step_size * decay ** (t / iterations))
        if (t + 1) % eval_every == 0 or t + 1 == iterations:
            history["evaluated_at"].append(t + 1)
            for split, (X_eval, y_eval) in (("train", (X, y)), ("val", (X_val, y_val))):
                loss, accuracy = evaluate(params, X_eval, y_eval)
                history[f"{split}_loss"].append(loss)
                history[f"{split}_accuracy"].append(accuracy)
    history["seconds"] = time.perf_counter() - started
    return params, history


def plot_history(history, title="One training run"):
    """Loss and accuracy per iteration: the batch curves and the full training and validation curves."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        axis.plot(np.arange(1, len(history[f"batch_{metric}"]) + 1), history[f"batch_{metric}"],
                  alpha=0.35, linewidth=0.8, label="batch")
        axis.plot(history["evaluated_at"], history[f"train_{metric}"], label="training set")
        axis.plot(history["evaluated_at"], history[f"val_{metric}"], label="validation set")
        axis.set_xlabel("iteration")
        axis.set_ylabel(metric)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    return figure

# %% [markdown]
# ## Step 2 experiments
#
# `batch_size_sweep` gives every batch size the same number of examples to process, so a batch ten
# times larger takes ten times fewer iterations; its step size grows with the square root of the
# batch size. `hidden_units_sweep` trains one network per hidden-layer width and compares the best
# training and validation results of each.

# %%
def batch_size_sweep(X, y, X_val, y_val, batch_sizes=(1, 10, 100, 1000), examples=30_000, base_step=0.02,
                     seed=0):
    """{batch size: history}, and a figure of the training and validation loss against examples seen."""
    histories = {}
    for batch_size in tqdm(batch_sizes, desc="batch sizes"):
        iterations = max(1, examples // batch_size)
        _, histories[batch_size] = train(X, y, X_val, y_val, batch_size=batch_size, iterations=iterations,
                                         step_size=base_step * np.sqrt(batch_size),
                                         eval_every=max(1, iterations // 40), seed=seed)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for batch_size, history in histories.items():
        seen = np.asarray(history["evaluated_at"]) * batch_size
        axes[0].plot(seen, history["train_loss"], label=f"batch {batch_size}")
        axes[1].plot(seen, history["val_loss"], label=f"batch {batch_size}")
    for axis, split in zip(axes, ("training", "validation"), strict=True):
        axis.set_xlabel("examples processed")
        axis.set_ylabel(f"{split} loss")
        axis.set_yscale("log")
        axis.legend()
    figure.tight_layout()
    return histories, figure


def hidden_units_sweep(X, y, X_val, y_val, widths=(4, 16, 64, 256), iterations=2000, seed=0):
    """{width: best results}, and a figure of the best training and validation loss per width."""
    best = {}
    for width in tqdm(widths, desc="hidden units"):
        _, history = train(X, y, X_val, y_val, hidden=(width,), iterations=iterations, seed=seed)
        best[width] = {key: (min if key.endswith("loss") else max)(history[key])
                       for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")}
    figure, axis = plt.subplots(figsize=(6, 4))
    for split in ("train", "val"):
        axis.plot(list(best), [best[w][f"{split}_loss"] for w in best], marker="o",
                  label="training" if split == "train" else "validation")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("hidden units")
    axis.set_ylabel("best loss")
    axis.legend()
    figure.tight_layout()
    return best, figure

# %% [markdown]
# ## Running the experiments
#
# The cells below train the network; they take a minute or two on a laptop.

# %%
if __name__ == "__main__":
    X_train, y_train, X_val, y_val = load_data(data_path())
    params, history = train(X_train, y_train, X_val, y_val)
    print(f"validation loss {history['val_loss'][-1]:.3f}, accuracy {history['val_accuracy'][-1]:.3f} "
          f"after {history['seconds']:.1f} s")
    plot_history(history)
    plt.show()

# %%
if __name__ == "__main__":
    histories, figure = batch_size_sweep(X_train, y_train, X_val, y_val)
    plt.show()

# %%
if __name__ == "__main__":
    best, figure = hidden_units_sweep(X_train, y_train, X_val, y_val)
    for width, results in best.items():
        print(width, {key: round(value, 3) for key, value in results.items()})
    plt.show()
