"""A Fashion-MNIST stand-in built from scikit-learn's bundled 8x8 digits (nothing is downloaded).

Written in the layout of ``keras.datasets.fashion_mnist.load_data()`` saved with ``np.savez``:
``x_train`` (N, 28, 28) uint8 and ``y_train`` (N,) uint8, likewise ``x_test`` and ``y_test``.
Each digit is upsampled 3x to 24x24 and padded by 2 pixels on each side. The course's own data
drops in as the same four arrays.
"""
from pathlib import Path

import numpy as np

from grader.assignments.digits import split, upsampled_digits

FILE = "fashion_mnist_standin.npz"
TEST = 297


def build(target: Path) -> str:
    images, labels = upsampled_digits()
    images, labels = np.round(images * 255).astype(np.uint8), labels.astype(np.uint8)
    test, train = split(len(labels), [TEST])
    target.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target / FILE, x_train=images[train], y_train=labels[train],
                        x_test=images[test], y_test=labels[test])
    return f"wrote {target / FILE} ({len(train)} training and {len(test)} test images of 28x28)"
