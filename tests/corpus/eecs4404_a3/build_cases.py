"""Writes the eecs4404-a3 corpus: notebooks as students hand them in, each derived from the solved
notebook by an edit a student would make. Run it again after changing a case below:

    .venv/bin/python tests/corpus/eecs4404_a3/build_cases.py

The notebooks are committed; this script documents how each one came about.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from notebook_edits import add_cell, colab_metadata, drop_tags, replace, with_outputs, write_cases  # noqa: E402

SOLVED = HERE.parents[2] / "reference" / "eecs4404_a3" / "a3_network.ipynb"


STABLE_SOFTMAX = "    shifted = np.exp(a - np.max(a, axis=-1, keepdims=True))\n"
SOFTMAX_JACOBIAN = ("    return p[:, :, None] * np.eye(p.shape[1])[None, :, :] - p[:, :, None] * p[:, None, :]")
HIDDEN_STEP = "            grad_a = grad_z * relu_derivative(cache[\"a\"][i])"
LINEAR_STEP = "        grad_z = grad_a @ W.T"
SGD = "    return [(W - step_size * dW, b - step_size * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]"
SAMPLE = "    chosen = rng.choice(len(X), size=batch_size, replace=False)\n    return X[chosen], y[chosen]"

CASES = {
    # ------------------------------------------------------------------ correct, written differently
    "correct_colab_copy": dict(name="Copy of a3_network.ipynb", edits=[
        drop_tags, colab_metadata("Copy of a3_network.ipynb"),
        add_cell("import time", "from google.colab import drive\ndrive.mount('/content/drive')\n"
                 "!pip install -q tqdm\n%matplotlib inline"),
    ]),
    "correct_helper_in_new_cell": dict(edits=[
        add_cell("## Task 2", "def stable_exponentials(a):\n    return np.exp(a - a.max(axis=1, keepdims=True))"),
        replace(STABLE_SOFTMAX, "    shifted = stable_exponentials(a)\n"),
        replace("return np.maximum(a, 0.0)", "return a * (a > 0)"),
        replace("return (a > 0).astype(np.float64)", "return np.heaviside(a, 0.0)"),
    ]),
    "correct_inplace_sgd_and_loops": dict(edits=[
        replace(SGD, "    for index, ((W, b), (dW, db)) in enumerate(zip(params, grads)):\n"
                     "        params[index] = (W - step_size * dW, b - step_size * db)"),
        replace(SOFTMAX_JACOBIAN, "    jacobians = np.zeros((p.shape[0], p.shape[1], p.shape[1]))\n"
                                  "    for n in range(p.shape[0]):\n"
                                  "        for j in range(p.shape[1]):\n"
                                  "            for k in range(p.shape[1]):\n"
                                  "                jacobians[n, j, k] = p[n, j] * ((j == k) - p[n, k])\n"
                                  "    return jacobians"),
    ]),
    "correct_inline_backward": dict(edits=[
        # Softmax's vector-Jacobian product from the cached output, ReLU's mask from the activation.
        replace("            grad_a = np.einsum(\"nk,nkj->nj\", grad_z, softmax_derivative(cache[\"a\"][i]))",
                "            p = cache[\"z\"][i + 1]\n"
                "            grad_a = p * (grad_z - np.sum(grad_z * p, axis=1, keepdims=True))"),
        replace(HIDDEN_STEP, "            grad_a = np.where(cache[\"z\"][i + 1] > 0, grad_z, 0.0)"),
        replace(LINEAR_STEP, "        grad_z = np.dot(grad_a, np.transpose(W))"),
    ]),
    "correct_permutation_sampler_training_left_in": dict(edits=[
        replace(SAMPLE, "    order = rng.permutation(X.shape[0])[:batch_size]\n    return X[order, :], y[order]"),
        replace("return float(-np.mean(np.log(np.sum(y * y_hat, axis=1))))",
                "return -np.sum(y * np.log(y_hat)) / y.shape[0]"),
        # A training cell the grader must never run: it would not finish.
        add_cell("## Running the experiments", "while True:\n    pass"),
    ]),
    "correct_outputs_magics_and_scratch": dict(edits=[
        with_outputs,
        add_cell("## Task 3", "%%time\nprint(softmax(np.array([[1.0, 2.0]])))\nnp.sum?"),
        # A scratch copy after the graded cell: the graded cell wins.
        add_cell("## Task 3", "def relu(a):\n    return a  # scratch: trying things out"),
        replace("    return np.maximum(a, 0.0)", "    return np.clip(a, 0, None)"),
    ]),
    # ------------------------------------------------------------------ realistic mistakes
    "wrong_relu_derivative_flipped": dict(edits=[replace("return (a > 0).astype", "return (a < 0).astype")]),
    "wrong_relu_in_place": dict(edits=[replace("    return np.maximum(a, 0.0)", "    a[a < 0] = 0\n    return a")]),
    "wrong_softmax_no_shift": dict(edits=[replace(STABLE_SOFTMAX, "    shifted = np.exp(a)\n")]),
    "wrong_softmax_over_columns": dict(edits=[
        replace("    return shifted / np.sum(shifted, axis=-1, keepdims=True)",
                "    return shifted / np.sum(shifted, axis=0, keepdims=True)")]),
    "wrong_softmax_jacobian_no_diagonal": dict(edits=[
        replace(SOFTMAX_JACOBIAN, "    return -p[:, :, None] * p[:, None, :]")]),
    "wrong_cross_entropy_summed": dict(edits=[
        replace("return float(-np.mean(np.log(np.sum(y * y_hat, axis=1))))", "return -np.sum(y * np.log(y_hat))")]),
    "wrong_cross_entropy_mean_over_entries": dict(edits=[
        replace("return float(-np.mean(np.log(np.sum(y * y_hat, axis=1))))", "return -np.mean(y * np.log(y_hat))")]),
    "wrong_backward_no_relu_derivative": dict(edits=[replace(HIDDEN_STEP, "            grad_a = grad_z")]),
    "wrong_backward_forgot_transpose": dict(edits=[replace(LINEAR_STEP, "        grad_z = grad_a @ W")]),
    "wrong_sgd_ascent": dict(edits=[replace(SGD, SGD.replace("W - step", "W + step").replace("b - step", "b + step"))]),
    "wrong_sgd_weights_only": dict(edits=[replace(SGD, SGD.replace("b - step_size * db", "b"))]),
    "wrong_sample_with_replacement": dict(edits=[replace("replace=False", "replace=True")]),
    "wrong_sample_never_the_last": dict(edits=[replace("rng.choice(len(X),", "rng.choice(len(X) - 1,")]),
    "wrong_sample_contiguous_window": dict(edits=[
        replace(SAMPLE, "    start = rng.integers(0, len(X) - batch_size + 1)\n"
                        "    return X[start:start + batch_size], y[start:start + batch_size]")]),
    "wrong_sample_labels_drawn_separately": dict(edits=[
        replace(SAMPLE, "    rows = rng.choice(len(X), size=batch_size, replace=False)\n"
                        "    labels = rng.choice(len(X), size=batch_size, replace=False)\n"
                        "    return X[rows], y[labels]")]),
    "wrong_sample_fixed_seed": dict(edits=[
        replace(SAMPLE, "    chosen = np.random.default_rng(0).choice(len(X), size=batch_size, replace=False)\n"
                        "    return X[chosen], y[chosen]")]),
}


def main():
    write_cases(SOLVED, CASES, HERE, default_name="a3_network.ipynb")


if __name__ == "__main__":
    main()
