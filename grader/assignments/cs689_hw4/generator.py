"""Question 8's hidden targets: draws from a generator model, not the published music.

The test contexts are real music from scores that anyone can parse out of music21's corpus, so the
event that really follows a context is public: a student who finds the score would read it off. Each
hidden target is therefore a sample from the predictive distribution of a *generator* given that
context: a NoteModel (the reference's own model) trained on the training songs only, with a seed drawn
with the staff's key, so it is a different fit from the reference (which stays the full-marks example)
and has never seen a held-out song. Knowing the real continuation then tells a student nothing about a
target beyond what a model of the music knows.

The generator's weights, ``GENERATOR_FILE``, sit beside the key: committed (``make data`` draws the same
targets every time), shipped in the autograder zip only. The samples are drawn in float64 with the key's
numpy generator, so neither thread counts nor float32 rounding can change them. After the training songs
or the reference model change, train it again with ``make generator``
(``python -m grader.assignments.cs689_hw4.generator``), then ``make data baselines``.
"""
import argparse
import time

import numpy as np

from grader import REPO_ROOT
from grader.assignments.cs689_hw4 import music

GENERATOR_FILE = REPO_ROOT / "reference" / "cs689_hw4" / "target_generator.pt"
EPOCHS = 8  # as the reference's experiments.py
# Valid values of each event column (music.py's rules): times and durations are never negative, notes
# are MIDI 0-127, and volumes stay within 1-127.
LOWEST = np.array([0, 0, 0, 1])
HIGHEST = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).max, 127, 127])


def training_seed(key: str) -> int:
    """The generator's seed (initial weights, validation songs, batch order): drawn with the key, so
    that nobody without it can train the very same generator."""
    return int(music._keyed_rng(key, "target generator").integers(2 ** 31))


def load(path=GENERATOR_FILE):
    """The trained generator (a float64 NoteModel in eval mode), or None where its weights are absent
    (a student's copy of the code)."""
    import torch

    from grader.core import assignments

    if not path.is_file():
        return None
    model = assignments.get("cs689-hw4").load_reference_module("model").NoteModel()
    try:
        model.load_state_dict(torch.load(path, weights_only=True))
    except RuntimeError as error:
        raise RuntimeError(f"{path} does not fit the reference's NoteModel (reference/cs689_hw4/model.py changed?): "
                           f"train it again with `make generator`.\n{error}") from None
    return model.double().eval()


def predictions(model, contexts, batch_size=512):
    """The generator's (M, 134) float64 parameters for contexts (M, C, 4)."""
    import torch

    with torch.no_grad():
        return torch.cat([model(contexts[i:i + batch_size]) for i in range(0, len(contexts), batch_size)]).double()


def sample(params, key: str):
    """One event (M, 4) int64 drawn from each row of params (M, 134): time, duration and volume from
    their Gaussians, rounded to the nearest integer and kept within the valid values; the note from its
    128 probabilities. One stream of numbers, drawn with the key, for all rows in order."""
    params = np.asarray(params, dtype=np.float64)
    rng = music._keyed_rng(key, "targets")
    normal = rng.standard_normal((len(params), 3))
    uniform = rng.random(len(params))
    means, sigmas = params[:, [0, 2, 132]], params[:, [1, 3, 133]]
    numbers = np.rint(means + sigmas * normal)
    log_pi = params[:, 4:132]
    probabilities = np.exp(log_pi - log_pi.max(axis=1, keepdims=True))
    cumulative = np.cumsum(probabilities, axis=1)
    notes = np.minimum((cumulative < uniform[:, None] * cumulative[:, -1:]).sum(axis=1), 127)
    events = np.stack([numbers[:, 0], numbers[:, 1], notes, numbers[:, 2]], axis=1)
    return np.clip(events, LOWEST, HIGHEST).astype(np.int64)


def sampler(key: str, path=GENERATOR_FILE):
    """contexts (M, C, 4) -> their targets (M, 4), drawn from the generator; None without its weights."""
    model = load(path)
    if model is None:
        return None
    return lambda contexts: sample(predictions(model, contexts).numpy(), key)


def train(data_dir, key: str, out=GENERATOR_FILE, epochs=EPOCHS, progress=True):
    """Train the generator on ``data_dir/train`` alone with the reference's own code and a keyed seed."""
    import torch

    from grader.core import assignments

    reference = assignments.get("cs689-hw4").load_reference()
    seed = training_seed(key)
    dataset = reference.experiments.NoteDataset(data_dir / "train")
    train_set, validation_set = reference.experiments.split_by_song(dataset, seed=seed)
    with torch.random.fork_rng():
        torch.random.manual_seed(seed)  # the initial weights; train() seeds the batch order itself
        model = reference.model.NoteModel()
    started = time.perf_counter()
    history = reference.experiments.train(model, train_set, validation_set, epochs=epochs, seed=seed,
                                          progress=progress)
    torch.save(model.state_dict(), out)
    return (f"trained the target generator on {len(dataset.songs)} training songs for {epochs} epoch(s) in "
            f"{time.perf_counter() - started:.0f} s (best validation NLL {min(history['validation']):.4f}); "
            f"wrote {out}: now run `make data baselines`")


def main(argv=None):
    from grader.assignments.cs689_hw4 import data
    from grader.core import assignments

    parser = argparse.ArgumentParser(description="Train cs689-hw4's target generator (question 8's hidden targets).")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    key = data.heldout_key()
    if not key:
        raise SystemExit(f"no held-out key at {data.HELDOUT_KEY_FILE}: the generator's seed is drawn with it")
    data_dir = assignments.get("cs689-hw4").data_dir
    # The training songs are all it needs (and the current weights, which may no longer fit the model,
    # are not used): written without the key.
    print(music.build(data_dir, None))
    print(train(data_dir, key, epochs=args.epochs))


if __name__ == "__main__":
    main()
