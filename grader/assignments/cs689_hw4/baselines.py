"""``make baselines`` for cs689-hw4: the two NLLs that question 8's points are scaled between.

Trains the reference model with ``reference/cs689_hw4/experiments.py`` (a few minutes on two cores),
keeps its ``note_predictions.pt`` in the reference folder (the full-marks example) and its loss curves
in ``build/``, then writes the test NLL of the product-of-marginals baseline and of the reference,
with the fingerprint of the data they were measured on, into the ``[baselines]`` table at the end of
config.toml. Graded data that no longer match that fingerprint are refused by the checks.
"""
import json
import shutil
import subprocess
import sys

import torch

from grader.assignments.cs689_hw4 import scoring
from grader import REPO_ROOT
from grader.core.assignments import ASSIGNMENTS_DIR

MARKER = "# ---- written by `make baselines` (python -m grader baselines cs689-hw4); do not edit below ----"


def train_songs(data_dir):
    return [torch.load(path, weights_only=True) for path in sorted((data_dir / "train").glob("*/*.pt"))]


def measure(assignment, predictions_file):
    data_dir = assignment.data_dir
    targets = torch.load(data_dir / "hidden" / "test_targets.pt", weights_only=True)
    floor = assignment.settings["sigma_floor"]
    marginal = scoring.marginal_predictions(train_songs(data_dir), len(targets))
    reference = torch.load(predictions_file, weights_only=True)
    manifest = json.loads((data_dir / "music_manifest.json").read_text())
    # full precision (json writes floats that read back exactly): the reference must score exactly full marks
    return {"data_fingerprint": manifest["fingerprint"],
            "marginal_nll": scoring.mean_nll(marginal, targets, floor),
            "reference_nll": scoring.mean_nll(reference, targets, floor),
            "reference_nll_unfloored": scoring.mean_nll(reference, targets, 0.0)}


def write_config(values, config=ASSIGNMENTS_DIR / "cs689_hw4" / "config.toml"):
    text = config.read_text()
    kept = text.split(MARKER)[0].rstrip("\n")
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    config.write_text(f"{kept}\n\n{MARKER}\n[baselines]\n" + "\n".join(lines) + "\n")


def build(assignment, epochs=8) -> str:
    out = REPO_ROOT / "build" / "cs689_hw4_baselines"
    subprocess.run([sys.executable, "experiments.py", "--data", str(assignment.data_dir), "--epochs", str(epochs),
                    "--out", str(out)], cwd=assignment.reference_dir, check=True)
    shutil.copy(out / "note_predictions.pt", assignment.reference_dir / "note_predictions.pt")
    values = measure(assignment, assignment.reference_dir / "note_predictions.pt")
    experiment = json.loads((out / "experiment.json").read_text())
    values.update(reference_training_seconds=round(experiment["training_seconds"], 1),
                  reference_epochs=experiment["epochs"])
    write_config(values)
    return (f"marginal baseline NLL {values['marginal_nll']:.4f}, reference NLL {values['reference_nll']:.4f}; "
            f"written to the [baselines] table of config.toml (loss curves in {out})")
