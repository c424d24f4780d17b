"""Homework 2, question 3: a small residual network for 8x8 digit images.

Fill in ``Block`` (part a) and ``ResNet`` (part b). The training code below runs parts (c)
and (d); you only have to write ``plot_error_curves``. Train from the command line:

    python hw2_ResNet.py --widths 1 2 4 --epochs 4000 --out part_c.png
    python hw2_ResNet.py --widths 64 --epochs 4000 --out part_d.png

Keep module-level code to imports and definitions: the autograder imports this file.
"""
import argparse

import torch
from torch import nn


class Block(nn.Module):
    """A residual block that keeps the shape of its input.

    For an input x of shape (N, C, H, W) the block returns relu(x + f(x)), where f is

        Conv2d(C, C, kernel 3, stride 1, padding 1, bias=False)
        -> BatchNorm2d(C) -> ReLU
        -> Conv2d(C, C, kernel 3, stride 1, padding 1, bias=False)
        -> BatchNorm2d(C)

    Args:
        num_channels: C, the number of channels of the input and of the output.
    """

    def __init__(self, num_channels):
        super().__init__()
        # BEGIN SOLUTION: create the layers of f (two convolutions, two batch normalisations)
        self.conv1 = nn.Conv2d(num_channels, num_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(num_channels)
        self.relu = nn.ReLU()
        # END SOLUTION

    def forward(self, x):
        """Return relu(x + f(x)) for x of shape (N, C, H, W)."""
        # BEGIN SOLUTION: compute f(x), add the input back, apply the final ReLU
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(x + out)
        # END SOLUTION


class ResNet(nn.Module):
    """A shallow residual network for one-channel images.

    Layers, in order:
        Conv2d(1, C, kernel 3, stride 2, padding 1, bias=False) -> BatchNorm2d(C) -> ReLU
        -> MaxPool2d(kernel 2) -> Block(C) -> AdaptiveAvgPool2d(1) (one average per channel)
        -> Linear(C, num_classes)

    Args:
        num_channels: C, the width of the network.
        num_classes: the number of output scores per image.
    """

    def __init__(self, num_channels, num_classes=10):
        super().__init__()
        # BEGIN SOLUTION: create the stem, the pooling layers, the Block and the Linear layer
        self.conv = nn.Conv2d(1, num_channels, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(num_channels)
        self.relu = nn.ReLU()
        self.max_pool = nn.MaxPool2d(kernel_size=2)
        self.block = Block(num_channels)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(num_channels, num_classes)
        # END SOLUTION

    def forward(self, x):
        """Map images of shape (N, 1, H, W) to scores of shape (N, num_classes)."""
        # BEGIN SOLUTION: run the layers in order and flatten before the Linear layer
        x = self.max_pool(self.relu(self.bn(self.conv(x))))
        x = self.avg_pool(self.block(x))
        return self.fc(torch.flatten(x, 1))
        # END SOLUTION


# ---------------------------------------------------------------------------------------------
# Parts (c) and (d): training on scikit-learn's bundled 8x8 digits.


def load_digits_split(test_fraction=0.2, seed=0):
    """Digits as tensors (N, 1, 8, 8) scaled to [0, 1], split at random into train and test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    n_test = int(len(labels) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return images[train], labels[train], images[test], labels[test]


@torch.no_grad()
def error_rate(model, images, labels):
    """Fraction of misclassified images, with the model in evaluation mode."""
    model.eval()
    return (model(images).argmax(dim=1) != labels).float().mean().item()


def train(model, data, epochs, batch_size=128, step_size=0.1, seed=0, progress=None):
    """Mini-batch SGD on cross-entropy; returns the train and test error after every epoch."""
    x_train, y_train, x_test, y_test = data
    optimizer = torch.optim.SGD(model.parameters(), lr=step_size)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    history = {"train": [], "test": []}
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(y_train), generator=generator).split(batch_size):
            optimizer.zero_grad()
            loss_fn(model(x_train[batch]), y_train[batch]).backward()
            optimizer.step()
        history["train"].append(error_rate(model, x_train, y_train))
        history["test"].append(error_rate(model, x_test, y_test))
        if progress is not None:
            progress.update(1)
    return history


def plot_error_curves(histories, path):
    """Plot train and test error per epoch for each width C in ``histories`` ({C: history}) into ``path``."""
    # BEGIN SOLUTION: one train curve and one test curve per width, labelled, saved to path
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for index, (width, history) in enumerate(sorted(histories.items())):
        color = f"C{index}"
        epochs = range(1, len(history["train"]) + 1)
        ax.plot(epochs, history["train"], color=color, label=f"C={width} train")
        ax.plot(epochs, history["test"], color=color, linestyle="--", label=f"C={width} test")
    ax.set_xlabel("epoch")
    ax.set_ylabel("error rate")
    ax.set_title("ResNet on digits: training and test error")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    # END SOLUTION


def main(argv=None):
    parser = argparse.ArgumentParser(description="Train ResNet(C) on digits and plot train/test error.")
    parser.add_argument("--widths", type=int, nargs="+", default=[1, 2, 4], help="values of C (part d: 64)")
    parser.add_argument("--epochs", type=int, default=30, help="the handout asks for 4000")
    parser.add_argument("--out", default="resnet_errors.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from tqdm import tqdm

    data = load_digits_split(seed=args.seed)
    histories = {}
    with tqdm(total=args.epochs * len(args.widths), unit="epoch") as progress:
        for width in args.widths:
            torch.manual_seed(args.seed)
            progress.set_description(f"C={width}")
            histories[width] = train(ResNet(width), data, args.epochs, seed=args.seed, progress=progress)
    plot_error_curves(histories, args.out)
    for width, history in histories.items():
        print(f"C={width}: final train error {history['train'][-1]:.3f}, test error {history['test'][-1]:.3f}")
    print(f"plot written to {args.out}")
    return histories


if __name__ == "__main__":
    main()
