"""Questions 4, 6, 7 and 8: the data loader, the train/validation experiment, and the test predictions.

Run ``python experiments.py --data DATA_FOLDER`` (the folder holding ``train/`` and ``test.pt``). It
trains NoteModel, saves the loss curves to ``loss_curves.png``, prints a table of the final losses,
the training time and the time per prediction, and writes ``note_predictions.pt`` (M, 134) and the
trained weights ``note_model.pt``, with the numbers of question 7 in ``experiment.json``.
Nothing runs on import.
"""
import json
import math
import time
from pathlib import Path

import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset

from model import NoteModel

CONTEXT = 64


class NoteDataset(Dataset):
    """(context, next event) pairs from the songs under ``root/<artist>/<song>.pt``.

    Item i is a pair: ``context`` events of one song (a tensor (context, 4)) and the event that follows
    them (4,). A window never runs from one song into another. Describe in your report which windows
    you take and what you do with songs shorter than the context.
    """

    def __init__(self, root, context=CONTEXT):
        # BEGIN SOLUTION: load every song and index its (song, position) pairs
        # Every event but a song's first is a target: windows overlap (stride one). A target with fewer
        # than `context` events before it gets a context filled on the left with rows of zeros.
        self.context = context
        paths = sorted(Path(root).glob("*/*.pt"))
        self.songs = [torch.load(path, weights_only=True).long() for path in paths]
        self.song_names = [f"{path.parent.name}/{path.stem}" for path in paths]
        self.index = [(s, p) for s, song in enumerate(self.songs) for p in range(1, len(song))]
        # END SOLUTION

    def __len__(self):
        # BEGIN SOLUTION
        return len(self.index)
        # END SOLUTION

    def __getitem__(self, i):
        # BEGIN SOLUTION: the context before position p of song s, padded on the left, and event p
        s, p = self.index[i]
        song = self.songs[s]
        window = song[max(0, p - self.context):p]
        padding = torch.zeros(self.context - len(window), 4, dtype=torch.long)
        return torch.cat([padding, window]), song[p]
        # END SOLUTION


def split_by_song(dataset, validation_fraction=0.1, seed=0):
    """Training and validation subsets that share no song (windows of one song are alike)."""
    # BEGIN SOLUTION
    order = torch.randperm(len(dataset.songs), generator=torch.Generator().manual_seed(seed)).tolist()
    held_out = set(order[:max(1, round(validation_fraction * len(order)))])
    train = [i for i, (s, _) in enumerate(dataset.index) if s not in held_out]
    validation = [i for i, (s, _) in enumerate(dataset.index) if s in held_out]
    return Subset(dataset, train), Subset(dataset, validation)
    # END SOLUTION


def negative_log_likelihood(params, targets):
    """Mean over rows of -[log N(t) + log N(d) + log pi_n + log N(v)] for params (B, 134), targets (B, 4)."""
    # BEGIN SOLUTION
    targets = targets.float()

    def log_normal(x, mu, sigma):
        return -0.5 * ((x - mu) / sigma) ** 2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)

    log_pi = params[:, 4:132].gather(1, targets[:, 2:3].long()).squeeze(1)
    return -(log_normal(targets[:, 0], params[:, 0], params[:, 1]) + log_normal(targets[:, 1], params[:, 2], params[:, 3])
             + log_pi + log_normal(targets[:, 3], params[:, 132], params[:, 133])).mean()
    # END SOLUTION


def mean_loss(model, loader):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for contexts, targets in loader:
            total += negative_log_likelihood(model(contexts), targets).item() * len(targets)
            count += len(targets)
    return total / count


def train(model, train_set, validation_set, epochs=8, batch_size=128, learning_rate=2e-3, seed=0, progress=True):
    """Fit ``model`` on ``train_set``; return {"train": [...], "validation": [...]}, the loss per epoch."""
    from tqdm import tqdm

    # BEGIN SOLUTION: minibatch training, keeping the weights of the best validation epoch
    # Adam on the mean NLL (the quantity question 8 scores), a cosine learning-rate schedule, clipped gradients.
    torch.manual_seed(seed)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    evaluation = DataLoader(validation_set, batch_size=512)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=1e-5)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    history, best = {"train": [], "validation": []}, (math.inf, None)
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for contexts, targets in tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False, disable=not progress):
            loss = negative_log_likelihood(model(contexts), targets)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            schedule.step()
            total, count = total + loss.item() * len(targets), count + len(targets)
        history["train"].append(total / count)
        history["validation"].append(mean_loss(model, evaluation))
        if history["validation"][-1] < best[0]:
            best = (history["validation"][-1], {k: v.clone() for k, v in model.state_dict().items()})
        if progress:
            print(f"epoch {epoch + 1}: train {history['train'][-1]:.4f}, validation {history['validation'][-1]:.4f}")
    model.load_state_dict(best[1])
    widen_sigmas(model, DataLoader(ConcatDataset([train_set, validation_set]), batch_size=1024))
    return history
    # END SOLUTION


def widen_sigmas(model, loader):
    """Set model.sigma_extra: for time, duration and volume, the extra spread c (sigma -> sqrt(sigma^2 + c^2))
    that makes the mean predicted variance equal the mean squared error on ``loader``. A Gaussian NLL
    punishes a confident miss quadratically, and rare long rests are exactly such misses: matching the
    second moment, as the best Gaussian does, keeps them affordable."""
    # BEGIN SOLUTION
    model.sigma_extra.zero_()
    model.eval()
    squared_error, variance, count = torch.zeros(3), torch.zeros(3), 0
    with torch.no_grad():
        for contexts, targets in loader:
            params, targets = model(contexts).double(), targets.double()
            squared_error += ((targets[:, [0, 1, 3]] - params[:, [0, 2, 132]]) ** 2).sum(dim=0).float()
            variance += (params[:, [1, 3, 133]] ** 2).sum(dim=0).float()
            count += len(targets)
    extra = ((squared_error - variance) / count).clamp(min=0).sqrt()
    model.sigma_extra.copy_(extra)
    print("extra spread of time, duration, volume: " + ", ".join(f"{c:.2f}" for c in extra.tolist()))
    # END SOLUTION


def plot_losses(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    epochs = range(1, len(history["train"]) + 1)
    axes.plot(epochs, history["train"], marker="o", label="training (average over the epoch)")
    axes.plot(epochs, history["validation"], marker="o", label="validation (end of the epoch)")
    axes.set(xlabel="epoch", ylabel="mean negative log-likelihood", title="NoteModel")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def predict(model, contexts, batch_size=512):
    """(M, 134) predictions for contexts (M, C, 4)."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(contexts[i:i + batch_size]) for i in range(0, len(contexts), batch_size)])


def main(argv=None):
    import argparse
    import platform

    from tabulate import tabulate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/cs689_hw4"), help="folder with train/ and test.pt")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("."), help="where the plot and note_predictions.pt go")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    dataset = NoteDataset(args.data / "train")
    train_set, validation_set = split_by_song(dataset)
    model = NoteModel()
    started = time.perf_counter()
    history = train(model, train_set, validation_set, epochs=args.epochs)
    training_seconds = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    plot_losses(history, args.out / "loss_curves.png")
    final_train = mean_loss(model, DataLoader(train_set, batch_size=512))
    final_validation = mean_loss(model, DataLoader(validation_set, batch_size=512))
    Xte = torch.load(args.data / "test.pt", weights_only=True)
    started = time.perf_counter()
    predictions = predict(model, Xte)
    per_prediction = (time.perf_counter() - started) / len(Xte)
    torch.save(predictions.float(), args.out / "note_predictions.pt")
    torch.save(model.state_dict(), args.out / "note_model.pt")
    summary = {"train_nll": final_train, "validation_nll": final_validation, "training_seconds": training_seconds,
               "seconds_per_prediction": per_prediction, "epochs": len(history["train"])}
    (args.out / "experiment.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(tabulate([["training", f"{final_train:.4f}"], ["validation", f"{final_validation:.4f}"]],
                   headers=["set", "final mean NLL"]))
    print(f"training time {training_seconds:.0f} s; {1e3 * per_prediction:.3f} ms per context window "
          f"(batches of 512) on {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads")
    print(f"wrote {args.out / 'note_predictions.pt'} {tuple(predictions.shape)}, the weights (note_model.pt), "
          f"these numbers (experiment.json) and {args.out / 'loss_curves.png'}")
    return model, history


if __name__ == "__main__":
    main()
