"""The written problems' reference answers, checked against independent computations."""
import numpy as np
import pytest
import torch

from grader.core import assignments

csci567 = assignments.get("csci567-hw3")
written = csci567.load_reference_module("written_problems")


def test_written_problems_never_reach_students():
    from grader.staff.templates import template_files

    assert "written_problems.py" in csci567.reference_only
    assert not [p for p in template_files(csci567) if p.name == "written_problems.py"]


@pytest.mark.parametrize("seed", range(5))
def test_kernel_perceptron_with_linear_kernel_predicts_like_the_perceptron(seed):
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(40, 6)).astype(float)  # integers: both forms compute exactly
    y = rng.integers(0, 4, size=40)
    picks = rng.integers(0, 40, size=300)
    W = written.perceptron(X, y, 4, picks)
    alpha = written.kernel_perceptron(X, y, 4, picks, written.linear_kernel)
    assert np.array_equal(alpha @ X, W)  # w_c = sum_i alpha[c, i] x_i throughout
    X_new = rng.integers(-3, 4, size=(25, 6)).astype(float)
    assert np.array_equal(written.predict_perceptron(W, X_new),
                          written.predict_kernel_perceptron(alpha, X, X_new, written.linear_kernel))
    assert (written.predict_perceptron(W, X) == y).mean() > 0.25  # it learned something


def test_perceptron_update_only_on_mistakes():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = written.perceptron(X, np.array([1, 0]), 2, [0, 0, 1])
    # pick 0: scores (0, 0) predict class 0, the label is 1 -> w0 -= x0, w1 += x0.
    # pick 0 again: scores (-1, 1) predict 1, correct. pick 1: scores (0, 0) predict 0, correct.
    assert np.array_equal(W, np.array([[-1.0, 0.0], [1.0, 0.0]]))


@pytest.mark.parametrize("seed", range(10))
def test_mini_cnn_gradients_match_autograd(seed):
    rng = np.random.default_rng(seed)
    x, w, v = rng.normal(size=3), rng.normal(size=2), rng.normal(size=2)
    y = float(rng.choice([-1.0, 1.0]))
    wt = torch.tensor(w, requires_grad=True)
    vt = torch.tensor(v, requires_grad=True)
    xt = torch.tensor(x)
    a = torch.stack([xt[0] * wt[0] + xt[1] * wt[1], xt[1] * wt[0] + xt[2] * wt[1]])
    loss = torch.log1p(torch.exp(-y * (torch.relu(a) @ vt)))
    loss.backward()
    grads = written.mini_cnn_gradients(x, y, w, v)
    assert np.allclose([grads["w1"], grads["w2"]], wt.grad.numpy(), atol=1e-12)
    assert np.allclose([grads["v1"], grads["v2"]], vt.grad.numpy(), atol=1e-12)
    assert np.isclose(written.mini_cnn_loss(x, y, w, v), loss.item())


def test_mini_cnn_sgd_step_uses_the_old_weights_everywhere():
    x, y, w, v = np.array([1.0, 2.0, -1.0]), 1.0, np.array([0.5, 0.3]), np.array([0.7, -0.2])
    new_w, new_v = written.mini_cnn_sgd_step(x, y, w, v, 0.1)
    grads = written.mini_cnn_gradients(x, y, w, v)
    assert np.allclose(new_w, w - 0.1 * np.array([grads["w1"], grads["w2"]]))
    assert np.allclose(new_v, v - 0.1 * np.array([grads["v1"], grads["v2"]]))


def test_parameter_counts_of_problem_3_5():
    counts = written.parameter_counts()
    assert counts == {"2-layer MLP": 101770, "2-layer CNN": 80650, "3-layer CNN": 68106}
    for model in written.architectures().values():
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)  # the layer sizes fit 28x28 images
