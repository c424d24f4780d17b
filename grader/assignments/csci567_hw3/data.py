"""A Fashion-MNIST stand-in built from scikit-learn's bundled 8x8 digits (nothing is downloaded).

The course's starter reads a folder, ``data_loader_mnist(data_dir)``, holding Fashion-MNIST's four
gzipped idx files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz`` and the ``t10k-``
pair); it keeps the first 1000 training images of each class for training and the last 200 of each
class for validation. This builder writes that folder. Each digit is upsampled 3x to 24x24, padded to
28x28 and shifted by up to two pixels, 13 ways, so that every class has more than 1200 training images;
a digit's shifted copies sit together, so the first 1000 and the last 200 of a class come from different
digits. The test part holds 2000 shifted copies of 397 digits kept out of training: the starter's
accuracy loop runs over whole batches of 1000. The course's own folder drops in with ``--data_dir``.
"""
import gzip
import struct
from pathlib import Path

import numpy as np

from grader.assignments.digits import split, upsampled_digits

FOLDER = "fashion_mnist_data"
# A small folder of the same format for the autograder's run of main: 100 training images of each class, so
# that the starter's loader keeps all of them (one batch of 1000 for its accuracy loop), and 1000 test images
GRADING_FOLDER = "grading_data"
GRADING_PER_CLASS = 100
HELD_OUT = 397
TEST_IMAGES = 2000
SHIFTS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)] + [(-2, 0), (2, 0), (0, -2), (0, 2)]


def _shifted(images):
    """(len(images) * 13, 28, 28): each image's 13 shifted copies next to each other."""
    copies = [np.roll(images, shift, axis=(1, 2)) for shift in SHIFTS]  # the 2-pixel border is empty: no wrap
    return np.stack(copies, axis=1).reshape(-1, *images.shape[1:])


def _write_idx(folder: Path, kind: str, images, labels):
    with gzip.GzipFile(folder / f"{kind}-images-idx3-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">iiii", 2051, len(images), 28, 28) + images.astype(np.uint8).tobytes())
    with gzip.GzipFile(folder / f"{kind}-labels-idx1-ubyte.gz", "wb", mtime=0) as f:
        f.write(struct.pack(">ii", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


def build(target: Path) -> str:
    images, labels = upsampled_digits()
    images = np.round(images * 255).astype(np.uint8)
    test, train = split(len(labels), [HELD_OUT])
    train = np.sort(train)
    folder = target / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = _shifted(images[train]), np.repeat(labels[train], len(SHIFTS))
    _write_idx(folder, "train", train_images, train_labels)
    pick = np.random.default_rng(1).choice(len(test) * len(SHIFTS), size=TEST_IMAGES, replace=False)
    _write_idx(folder, "t10k", _shifted(images[test])[pick], np.repeat(labels[test], len(SHIFTS))[pick])
    per_class = np.bincount(train_labels, minlength=10)
    small = target / GRADING_FOLDER
    small.mkdir(parents=True, exist_ok=True)
    keep = np.sort(np.concatenate([np.where(train_labels == label)[0][::len(SHIFTS)][:GRADING_PER_CLASS]
                                   for label in range(10)]))
    _write_idx(small, "train", train_images[keep], train_labels[keep])
    _write_idx(small, "t10k", _shifted(images[test])[pick][:1000], np.repeat(labels[test], len(SHIFTS))[pick][:1000])
    return (f"wrote {folder} ({len(train_labels)} training images, {per_class.min()}-{per_class.max()} per class, "
            f"and {TEST_IMAGES} test images of 28x28), and {small} for the autograder's run of main")
