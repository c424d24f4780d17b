"""Stand-ins for the data of AMCS215 Assignment 9 (nothing is downloaded).

``digits_28x28.npz``: scikit-learn's 8x8 digits upsampled to 28x28 uint8 images, in the layout of
``keras.datasets.mnist.load_data()`` saved with ``np.savez`` (``x_train``, ``y_train``, ``x_test``,
``y_test``); the course's MNIST drops in as the same four arrays.

``reviews_train.tsv`` and ``reviews_test.tsv``: short film reviews for the sentiment exercise, one per
line after a ``label<TAB>text`` header, label 1 for a positive review and 0 for a negative one. They
are written from a small grammar: each review has one to three opinion clauses ("the plot was not
very good") among neutral ones ("i saw it on a sunday"). A clause's polarity is its adjective's,
flipped by a negation; the review's label is the sign of the sum of its clauses' polarities, where
a clause introduced by "but" counts twice (neutral remarks never follow "but"). Word order matters
("not good" against "good"), so a model that reads the words in order can beat one that only counts
them.
"""
from pathlib import Path

import numpy as np

from grader.assignments.digits import split, upsampled_digits

IMAGES = "digits_28x28.npz"
TEST_IMAGES = 297
REVIEWS = {"reviews_train.tsv": 4000, "reviews_test.tsv": 1000}

POSITIVE = ["good", "great", "excellent", "wonderful", "brilliant", "enjoyable", "moving", "superb", "charming",
            "fun", "clever", "gripping"]
NEGATIVE = ["bad", "terrible", "awful", "boring", "dull", "weak", "poor", "tedious", "clumsy", "bland", "silly",
            "predictable"]
SUBJECTS = ["the movie", "the film", "the plot", "the acting", "the story", "the cast", "the script", "the ending",
            "the music", "the dialogue", "the pacing", "this sequel", "the lead actor", "the camera work"]
VERBS = ["was", "is", "felt", "seemed", "looked"]
NEGATORS = ["not", "never", "hardly"]
INTENSIFIERS = ["very", "really", "truly", "quite", "so", "rather"]
OPENERS = ["honestly", "overall", "i thought", "in my opinion", "to be fair", "frankly", "i think"]
NEUTRAL = ["i saw it on a sunday", "we watched it at home", "it runs about two hours", "the theater was full",
           "my friend picked it", "it is based on a novel", "i went with my sister", "the tickets were cheap",
           "it came out last year", "there is a long prologue", "i had read the book", "we got popcorn"]


def _clause(rng):
    """(words of an opinion clause, its polarity +1 or -1)."""
    positive = rng.random() < 0.5
    words = []
    if rng.random() < 0.3:
        words += rng.choice(OPENERS).split()
    words += rng.choice(SUBJECTS).split() + [str(rng.choice(VERBS))]
    negated = rng.random() < 0.3
    if negated:
        words.append(str(rng.choice(NEGATORS)))
    if rng.random() < 0.4:
        words.append(str(rng.choice(INTENSIFIERS)))
    words.append(str(rng.choice(POSITIVE if positive else NEGATIVE)))
    return words, (1 if positive else -1) * (-1 if negated else 1)


def review(rng):
    """(text, label) of one review."""
    while True:
        words, total = [], 0
        for index in range(int(rng.integers(1, 4))):
            neutral = str(rng.choice(NEUTRAL)).split() if rng.random() < 0.35 else []
            if index == 0:
                words += neutral + ["and"] if neutral else []
                joint = []
            else:  # a neutral remark goes before the conjunction, so "but" always introduces an opinion
                words += ["and"] + neutral if neutral else []
                joint = ["but"] if rng.random() < 0.4 else ["and"]
            clause, polarity = _clause(rng)
            total += polarity * (2 if joint == ["but"] else 1)
            words += joint + clause
        if total != 0:
            return " ".join(words), int(total > 0)


def write_reviews(path: Path, count: int, rng) -> None:
    lines = ["label\ttext"] + [f"{label}\t{text}" for text, label in (review(rng) for _ in range(count))]
    path.write_text("\n".join(lines) + "\n")


def build(target: Path) -> str:
    target.mkdir(parents=True, exist_ok=True)
    images, labels = upsampled_digits()
    images, labels = np.round(images * 255).astype(np.uint8), labels.astype(np.uint8)
    test, train = split(len(labels), [TEST_IMAGES])
    np.savez_compressed(target / IMAGES, x_train=images[train], y_train=labels[train],
                        x_test=images[test], y_test=labels[test])
    rng = np.random.default_rng(215)
    for name, count in REVIEWS.items():
        write_reviews(target / name, count, rng)
    return (f"wrote {target / IMAGES} ({len(train)} training and {len(test)} test images of 28x28) and "
            + ", ".join(f"{name} ({count} reviews)" for name, count in REVIEWS.items()))
