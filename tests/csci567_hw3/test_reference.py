"""The reference network as a student would run it, and the stand-in data it trains on."""
import json
import shutil
import subprocess
import sys

import numpy as np

from grader.core import assignments

csci567 = assignments.get("csci567-hw3")
DATA = csci567.data_dir / "fashion_mnist_data"


def test_standin_data_is_a_fashion_mnist_folder_the_course_loader_reads():
    utils = csci567.load_reference().utils
    for kind, count in (("train", 18200), ("t10k", 2000)):
        images, labels = utils.load_mnist(str(DATA), kind)
        assert images.shape == (count, 784) and images.dtype == np.uint8 and set(np.unique(labels)) == set(range(10))
    np.random.seed(0)
    Xtrain, Ytrain, Xval, Yval, Xtest, Ytest = utils.data_loader_mnist(str(DATA))
    # the course's sizes: 1000 and 200 of each class, whole batches of 1000 for the starter's accuracy loop
    assert Xtrain.shape == (10000, 784) and Xval.shape == (2000, 784) and Xtest.shape == (2000, 784)
    assert np.bincount(Ytrain).tolist() == [1000] * 10 and np.bincount(Yval).tolist() == [200] * 10
    assert 0.0 <= Xtrain.min() and Xtrain.max() <= 1.0
    # validation images are other digits than the training ones, not shifted copies of them
    train_rows = {row.tobytes() for row in (Xtrain * 255).round().astype(np.uint8)}
    assert not any(row.tobytes() in train_rows for row in (Xval * 255).round().astype(np.uint8))


def test_command_line_run_trains_checks_gradients_and_writes_results(tmp_path):
    for name in ("neural_networks.py", "utils.py"):
        shutil.copy(csci567.reference_dir / name, tmp_path)
    completed = subprocess.run(
        [sys.executable, "neural_networks.py", "--minibatch_size", "5", "--check_gradient", "--check_magnitude",
         "--num_epoch", "3", "--data_dir", str(DATA)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    checks = [line for line in completed.stdout.splitlines() if line.startswith("Gradient of")]
    assert len(checks) == 4
    for line in checks:
        backprop = float(line.split("back-propagation ")[1].split(",")[0])
        approximation = float(line.split("central differences ")[1])
        assert abs(backprop - approximation) < 1e-5 * max(1.0, abs(backprop))
    assert "Magnitude check" in completed.stdout
    results = json.loads((tmp_path / "MLP_lr0.01_b5.json").read_text())
    assert len(results["train"]) == len(results["val"]) <= 3
    assert results["train"][-1] > results["train"][0] and results["test"] > 0.8
