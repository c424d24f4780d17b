"""The eecs4404-a3 reference network: its data, its gradients, training and the Step 2 experiments."""
import matplotlib
import numpy as np
import pytest
import torch

from grader.core import assignments

matplotlib.use("Agg")
eecs4404 = assignments.get("eecs4404-a3")
net = eecs4404.load_reference().a3_network
DATA = eecs4404.data_dir / "fashion_mnist_standin.npz"


@pytest.fixture(scope="module")
def data():
    return net.load_data(DATA)


def test_the_stand_in_data_has_the_keras_layout():
    with np.load(DATA) as arrays:
        assert {"x_train", "y_train", "x_test", "y_test"} <= set(arrays.files)
        assert arrays["x_train"].dtype == np.uint8 and arrays["x_train"].shape[1:] == (28, 28)
        assert set(np.unique(arrays["y_train"])) == set(range(10))
        assert len(arrays["x_train"]) == len(arrays["y_train"])


def test_backward_matches_autograd_on_a_deep_network():
    rng = np.random.default_rng(0)
    params = net.init_params([6, 8, 7, 5], rng)
    X, labels = rng.normal(size=(9, 6)), rng.integers(0, 5, size=9)
    y = net.onehot_encode(labels, 5)
    cache = net.forward(params, X)
    grads = net.backward(params, cache, net.cross_entropy_gradient(y, cache["z"][-1]))
    tensors = [(torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)) for W, b in params]
    h = torch.tensor(X)
    for i, (W, b) in enumerate(tensors):
        h = h @ W + b
        h = torch.relu(h) if i < len(tensors) - 1 else h
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(labels))
    loss.backward()
    assert net.cross_entropy(y, cache["z"][-1]) == pytest.approx(loss.item(), rel=1e-12)
    for (dW, db), (W, b) in zip(grads, tensors, strict=True):
        np.testing.assert_allclose(dW, W.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(db, b.grad.numpy(), atol=1e-12)


def test_training_learns_the_stand_in(data):
    _, history = net.train(*data, iterations=600)
    assert history["val_accuracy"][-1] > 0.9
    assert history["train_loss"][-1] < history["train_loss"][0] / 4
    assert len(history["batch_loss"]) == 600 and len(history["val_loss"]) == len(history["evaluated_at"])
    figure = net.plot_history(history)
    assert [len(axis.lines) for axis in figure.axes] == [3, 3]


def test_the_step_2_sweeps_produce_their_results_and_plots(data):
    histories, figure = net.batch_size_sweep(*data, batch_sizes=(10, 100), examples=3000)
    assert set(histories) == {10, 100} and len(histories[10]["batch_loss"]) == 300
    assert [len(axis.lines) for axis in figure.axes] == [2, 2]
    best, figure = net.hidden_units_sweep(*data, widths=(8, 32), iterations=300)
    assert set(best) == {8, 32} and all(0 <= b["val_accuracy"] <= 1 for b in best.values())
    assert len(figure.axes[0].lines) == 2


def test_a_missing_data_file_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="fashion_mnist_standin.npz is neither beside this notebook"):
        net.data_path()
