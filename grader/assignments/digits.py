"""scikit-learn's bundled 8x8 digits as 28x28 images: the stand-in for (Fashion-)MNIST that every
assignment's ``data.py`` builds from (nothing is downloaded)."""
import numpy as np

SIDE = 28


def upsampled_digits():
    """(images, labels): each digit upsampled 3x to 24x24 and padded by 2 pixels on each side, as float64
    in [0, 1] of shape (1797, 28, 28); labels int64 0-9."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.pad(np.kron(digits.images / 16.0, np.ones((3, 3))), ((0, 0), (2, 2), (2, 2)))
    return images, digits.target.astype(np.int64)


def split(count, sizes, seed=0):
    """Index arrays of a fixed random permutation of ``count`` items cut into ``sizes`` and the rest."""
    order = np.random.default_rng(seed).permutation(count)
    return np.split(order, np.cumsum(sizes))
