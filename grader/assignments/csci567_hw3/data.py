"""A Fashion-MNIST stand-in built from scikit-learn's bundled 8x8 digits (nothing is downloaded).

Same file format and per-example shape as the course's data: a JSON object with "train",
"valid" and "test", each [X, y], where X holds rows of 784 = 28x28 grayscale pixels in [0, 1]
and y labels 0-9. Each digit is upsampled 3x (to 24x24) and padded by 2 pixels on each side.
The course's own file drops in by passing it with --input_file.
"""
import json
from pathlib import Path

from grader.assignments.digits import split, upsampled_digits

FILE = "fashion_mnist_standin.json"
SPLITS = {"train": 1200, "valid": 200}  # the rest (397) is the test split


def build(target: Path) -> str:
    images, y = upsampled_digits()
    X = images.reshape(len(images), 28 * 28).round(4)
    parts = dict(zip(["train", "valid", "test"], split(len(y), list(SPLITS.values())), strict=True))
    target.mkdir(parents=True, exist_ok=True)
    payload = {name: [X[idx].tolist(), y[idx].tolist()] for name, idx in parts.items()}
    (target / FILE).write_text(json.dumps(payload, separators=(",", ":")))
    sizes = ", ".join(f"{name} {len(idx)}" for name, idx in parts.items())
    return f"wrote {target / FILE} ({sizes} examples of 784 pixels)"
