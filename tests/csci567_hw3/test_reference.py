"""The reference network as a student would run it, and the stand-in data it trains on."""
import json
import shutil
import subprocess
import sys

import numpy as np

from grader.engine import assignments

csci567 = assignments.get("csci567-hw3")
DATA = csci567.data_dir / "fashion_mnist_standin.json"


def test_standin_data_has_the_course_format():
    data = json.loads(DATA.read_text())
    assert set(data) == {"train", "valid", "test"}
    for name, (X, y) in data.items():
        X, y = np.array(X), np.array(y)
        assert X.shape[1] == 784 and len(X) == len(y) > 100, name
        assert 0.0 <= X.min() and X.max() <= 1.0 and set(np.unique(y)) == set(range(10))


def test_command_line_run_trains_checks_gradients_and_writes_results(tmp_path):
    for name in ("neural_networks.py", "utils.py"):
        shutil.copy(csci567.reference_dir / name, tmp_path)
    completed = subprocess.run(
        [sys.executable, "neural_networks.py", "--minibatch_size", "5", "--check_gradient", "--check_magnitude",
         "--num_epoch", "4", "--hidden", "128", "--input_file", str(DATA)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    checks = [line for line in completed.stdout.splitlines() if line.startswith("gradient check")]
    assert len(checks) == 4
    for line in checks:
        backprop = float(line.split("backprop ")[1].split(",")[0])
        approximation = float(line.split("approximation ")[1])
        assert abs(backprop - approximation) < 1e-5 * max(1.0, abs(backprop))
    assert "magnitude check" in completed.stdout
    results = json.loads((tmp_path / "MLP_lr0.01_b5.json").read_text())
    assert len(results["train"]) == len(results["val"]) <= 4
    assert results["train"][-1] > results["train"][0] and results["test"] > 0.8
