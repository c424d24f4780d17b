# %% [markdown]
# # AMCS215 Assignment 9: autoencoders, the VAE's KL term, a sentiment RNN and a 1D CNN
#
# In this notebook you build two autoencoders for 28x28 digit images (one from dense layers, one
# from convolutions), write the Kullback-Leibler term that regularises a variational autoencoder,
# train a recurrent network that reads film reviews word by word, and count the parameters of the
# 1D convolutional text classifier of the textbook's Figure 15.14.
#
# **How this notebook is graded.** The cells you complete for the autograder carry the tag `graded`
# (View > Cell toolbar > Tags in Jupyter; Colab keeps the tag in the file). The grader runs those
# cells together with the notebook's imports and function and class definitions, never the training
# cells, and calls your code on its own inputs: it builds your models, looks at their layers, runs
# them with weights it chooses, and compares the results with the specification. Keep the names and
# arguments given below; add helpers wherever you like. The written questions (the derivation of
# the KL term, the VAE pseudo-code, the forward-pass equations) go in markdown cells and are read by
# the course staff. Run `python -m grader check amcs215-a9 a9_networks.ipynb` to try the public checks
# before you submit.

# %%
import math
import time
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

# %% [markdown]
# ## The data
#
# `digits_28x28.npz` holds 28x28 grayscale digit images (`x_train`, `y_train`, `x_test`, `y_test`, in
# the layout of `keras.datasets.mnist.load_data()`). `reviews_train.tsv` and `reviews_test.tsv` hold
# short film reviews, one per line as `label<TAB>text`, label 1 for positive and 0 for negative. Put
# the files beside this notebook or in a `data/` folder next to it (in Colab: upload them in the Files
# pane). `load_images` scales the pixels to [0, 1] and gives every image one channel, so a batch of
# images has shape (N, 1, 28, 28).

# %%
def data_path(name):
    """Where a data file is: beside the notebook, in data/, or in the course repository's data folder."""
    for candidate in (Path(name), Path("data") / name, Path("data") / "amcs215_a9" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} is neither beside this notebook nor in data/: put it there (in Colab, "
                            "upload it in the Files pane).")


def load_images(path):
    """(train, test): float32 tensors of shape (N, 1, 28, 28) with pixels in [0, 1]."""
    with np.load(path) as data:
        missing = {"x_train", "x_test"} - set(data.files)
        if missing:
            raise ValueError(f"{path} has no {', '.join(sorted(missing))}; it needs x_train and x_test arrays of "
                             "28x28 images.")
        train, test = data["x_train"], data["x_test"]
    for name, images in (("x_train", train), ("x_test", test)):
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(f"{path}: {name} has shape {images.shape}; expected (N, 28, 28).")
    scale = 255.0 if train.max() > 1 else 1.0
    return tuple(torch.tensor(images / scale, dtype=torch.float32).unsqueeze(1) for images in (train, test))

# %% [markdown]
# ## Exercise 1: an autoencoder of dense layers
#
# `DenseAutoencoder` maps a batch of images (N, 1, 28, 28) to a batch of the same shape. Its encoder
# has two dense layers, 784 -> 100 -> 30 (the 30 values are the code of an image), and its decoder is
# the mirror image, 30 -> 100 -> 784. Every layer except the last is followed by a SELU. The last
# layer has no activation: `forward` returns **logits**, and the sigmoid that turns them into pixel
# intensities is folded into the loss, which is then both cheaper and numerically stable.
#
# `reconstruction_loss(logits, images)` returns the binary cross-entropy between `sigmoid(logits)` and
# the pixel intensities `images` (both (N, 1, 28, 28)), summed over the pixels of each image and
# averaged over the batch: a scalar tensor that can be back-propagated. (The mean over all pixels,
# 784 times smaller, is accepted as well.) Compute it from the logits, without taking the sigmoid
# first: `log(sigmoid(a))` is `-softplus(-a)`.

# %% tags=["graded"]
class DenseAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION: the encoder 784 -> 100 -> 30 and the decoder 30 -> 100 -> 784
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.SELU(), nn.Linear(100, 30), nn.SELU())
        self.decoder = nn.Sequential(nn.Linear(30, 100), nn.SELU(), nn.Linear(100, 784), nn.Unflatten(1, (1, 28, 28)))
        # END SOLUTION

    def forward(self, images):
        # BEGIN SOLUTION: logits of shape (N, 1, 28, 28)
        return self.decoder(self.encoder(images))
        # END SOLUTION


def reconstruction_loss(logits, images):
    # BEGIN SOLUTION: binary cross-entropy with logits, summed over each image's pixels, mean over the batch
    per_pixel = F.binary_cross_entropy_with_logits(logits, images, reduction="none")
    return per_pixel.flatten(1).sum(dim=1).mean()
    # END SOLUTION

# %% [markdown]
# ### Training
#
# `fit` trains any of this notebook's models with Adam on shuffled mini-batches. `batch_loss(model,
# *batch)` computes the loss of one batch, so the same loop serves the autoencoders
# (`batch_loss = lambda model, x: reconstruction_loss(model(x), x)`), the VAE and the RNN. It returns
# the loss of every batch, for plotting.

# %%
def fit(model, batch_loss, tensors, epochs=5, batch_size=64, learning_rate=1e-3, seed=0, clip=None):
    """Train ``model`` in place; the list of batch losses. ``tensors`` are aligned tensors (images, or
    tokens and labels) cut into batches together; ``clip`` bounds the gradient norm (for the RNN)."""
    # BEGIN SOLUTION: Adam over shuffled mini-batches, recording every batch's loss
    shuffling = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=True, generator=shuffling)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = []
    model.train()
    for _ in tqdm(range(epochs), desc=f"training {type(model).__name__}", leave=False):
        for batch in loader:
            optimizer.zero_grad()
            loss = batch_loss(model, *batch)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    return losses
    # END SOLUTION


def autoencoder_loss(model, images):
    return reconstruction_loss(model(images), images)


@torch.no_grad()
def evaluate_loss(model, batch_loss, tensors, batch_size=256):
    """The mean of ``batch_loss`` over ``tensors`` (weighted by batch size), in evaluation mode."""
    model.eval()
    total, count = 0.0, 0
    for batch in DataLoader(TensorDataset(*tensors), batch_size=batch_size):
        total += batch_loss(model, *batch).item() * len(batch[0])
        count += len(batch[0])
    return total / count


def plot_losses(histories, batches_per_epoch, title="Training loss"):
    """Each model's batch losses (faint) and their mean over each epoch, against epochs."""
    figure, axis = plt.subplots(figsize=(7, 4))
    for name, losses in histories.items():
        steps = np.arange(1, len(losses) + 1) / batches_per_epoch
        line, = axis.plot(steps, losses, alpha=0.3, linewidth=0.8)
        epochs = len(losses) // batches_per_epoch
        means = np.asarray(losses[:epochs * batches_per_epoch]).reshape(epochs, -1).mean(axis=1)
        axis.plot(np.arange(1, epochs + 1), means, marker="o", color=line.get_color(), label=name)
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss per batch")
    axis.set_yscale("log")
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure


@torch.no_grad()
def show_reconstructions(models, images, count=8, seed=0):
    """A figure: ``count`` randomly chosen images in the top row, each model's reconstructions below."""
    chosen = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:count]
    originals = images[chosen]
    rows = [("original", originals)]
    for name, model in models.items():
        model.eval()
        output = model(originals)
        logits = output[0] if isinstance(output, tuple) else output
        rows.append((name, torch.sigmoid(logits)))
    figure, axes = plt.subplots(len(rows), count, figsize=(1.2 * count, 1.3 * len(rows)), squeeze=False)
    for row, (name, pictures) in enumerate(rows):
        for column in range(count):
            axis = axes[row, column]
            axis.imshow(pictures[column].reshape(28, 28).numpy(), cmap="gray", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center")
    figure.tight_layout()
    return figure

# %%
if __name__ == "__main__":
    train_images, test_images = load_images(data_path("digits_28x28.npz"))
    torch.manual_seed(0)
    dense = DenseAutoencoder()
    started = time.perf_counter()
    dense_losses = fit(dense, autoencoder_loss, [train_images], epochs=10)
    print(f"dense autoencoder: {time.perf_counter() - started:.1f} s, test loss "
          f"{evaluate_loss(dense, autoencoder_loss, [test_images]):.1f} nats per image")
    plot_losses({"dense": dense_losses}, batches_per_epoch=math.ceil(len(train_images) / 64))
    show_reconstructions({"dense": dense}, test_images)
    plt.show()

# %% [markdown]
# ## Exercise 2: a convolutional autoencoder
#
# `ConvAutoencoder` has the same interface as `DenseAutoencoder`. Its encoder is
#
# | layer | output for one image |
# |---|---|
# | Conv2d, 16 filters 3x3, padding "same" (1), SELU | 16 x 28 x 28 |
# | MaxPool2d 2x2 | 16 x 14 x 14 |
# | Conv2d, 32 filters 3x3, padding 1, SELU | 32 x 14 x 14 |
# | MaxPool2d 2x2 | 32 x 7 x 7 |
# | Conv2d, 64 filters 3x3, padding 1, SELU | 64 x 7 x 7 |
# | MaxPool2d 2x2 | 64 x 3 x 3 (the code) |
#
# and its decoder mirrors it with three transposed convolutions, 3x3 with stride 2 and no pooling,
# which bring the code back to 28 x 28: 64 -> 32 channels (3 -> 7 pixels), 32 -> 16 channels
# (7 -> 14; padding 1 and output_padding 1) and 16 -> 1 channel (14 -> 28; padding 1 and
# output_padding 1). SELU follows the first two; the last returns logits. (For a transposed
# convolution, output = (input - 1) x stride - 2 x padding + kernel + output_padding.)

# %% tags=["graded"]
class ConvAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        # BEGIN SOLUTION: the encoder and its mirror image, the decoder
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.SELU(), nn.MaxPool2d(2))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(64, 32, 3, stride=2), nn.SELU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.SELU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1))
        # END SOLUTION

    def forward(self, images):
        # BEGIN SOLUTION: logits of shape (N, 1, 28, 28)
        return self.decoder(self.encoder(images))
        # END SOLUTION

# %%
if __name__ == "__main__":
    torch.manual_seed(0)
    convolutional = ConvAutoencoder()
    started = time.perf_counter()
    conv_losses = fit(convolutional, autoencoder_loss, [train_images], epochs=10)
    print(f"convolutional autoencoder: {time.perf_counter() - started:.1f} s, test loss "
          f"{evaluate_loss(convolutional, autoencoder_loss, [test_images]):.1f} nats per image")
    plot_losses({"dense": dense_losses, "convolutional": conv_losses},
                batches_per_epoch=math.ceil(len(train_images) / 64))
    show_reconstructions({"dense": dense, "convolutional": convolutional}, test_images)
    plt.show()

# %% [markdown]
# ## Exercise 3: the variational autoencoder's KL term
#
# A VAE's encoder gives, for every image, the mean `mu` and the log-variances `logvar` of a diagonal
# Gaussian over the code. Its regulariser is the KL divergence from that Gaussian to the standard
# normal N(0, I).
#
# `kl_to_standard_normal(mu, logvar)` takes two (N, d) tensors and returns the (N,) tensor of the KL
# divergences KL(N(mu_n, diag(exp(logvar_n))) || N(0, I)), one per row, in closed form. It must be
# differentiable (the VAE trains through it) and stay finite for log-variances of size 50.
#
# `kl_gaussians(mean0, cov0, mean1, cov1)` returns KL(N(mean0, cov0) || N(mean1, cov1)) for two
# general d-dimensional Gaussians (means (d,), covariances (d, d) positive definite), the textbook's
# Eq 6.32, as a 0-dimensional tensor. With it you can check your derivation: for a diagonal `cov0`
# and N(0, I) it must agree with `kl_to_standard_normal`.

# %% tags=["graded"]
def kl_to_standard_normal(mu, logvar):
    # BEGIN SOLUTION: the closed form, one value per row, summed over the code's dimensions
    # KL = -1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
    # END SOLUTION


def kl_gaussians(mean0, cov0, mean1, cov1):
    # BEGIN SOLUTION: Eq 6.32
    # 1/2 (tr(S1^-1 S0) + (m1 - m0)^T S1^-1 (m1 - m0) - d + log det S1 - log det S0), through Cholesky factors
    chol0, chol1 = torch.linalg.cholesky(cov0), torch.linalg.cholesky(cov1)
    whitened = torch.linalg.solve_triangular(chol1, chol0, upper=False)  # L1^-1 L0: its squared norm is the trace
    offset = torch.linalg.solve_triangular(chol1, (mean1 - mean0).unsqueeze(-1), upper=False).squeeze(-1)
    log_det = 2 * (chol1.diagonal().log().sum() - chol0.diagonal().log().sum())
    return 0.5 * (whitened.pow(2).sum() + offset.pow(2).sum() - mean0.shape[-1] + log_det)
    # END SOLUTION

# %% [markdown]
# ### The VAE's forward pass
#
# The question asks for pseudo-code; runnable code in the cell below is welcome too, and lets you
# train the VAE with `fit` (the autograder does not run this cell). `VariationalAutoencoder(latent=30)`
# keeps the dense autoencoder's sizes; `forward(images, noise=None)` returns `(logits, mu, logvar)`
# for a batch, and `vae_loss(model, images)` the loss of a batch.

# %%
class VariationalAutoencoder(nn.Module):
    def __init__(self, latent=30):
        super().__init__()
        # BEGIN SOLUTION: the hidden layer, the heads for mu and logvar, and the decoder
        # The encoder's hidden layer (784 -> 100, SELU) feeds two dense heads, mu and logvar (30 each);
        # the decoder is the dense autoencoder's, 30 -> 100 -> 784.
        self.hidden = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.SELU())
        self.mean = nn.Linear(100, latent)
        self.log_variance = nn.Linear(100, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, 100), nn.SELU(), nn.Linear(100, 784),
                                     nn.Unflatten(1, (1, 28, 28)))
        # END SOLUTION

    def forward(self, images, noise=None):
        """(logits, mu, logvar). Without ``noise`` (N, latent), it is drawn from N(0, I) in training mode and
        is 0 in evaluation mode (the mean code)."""
        # BEGIN SOLUTION: encode, draw a code, decode
        # Reparameterisation: z = mu + exp(logvar / 2) * noise with noise ~ N(0, I), so that gradients reach
        # mu and logvar through z.
        hidden = self.hidden(images)
        mu, logvar = self.mean(hidden), self.log_variance(hidden)
        if noise is None:
            noise = torch.randn_like(mu) if self.training else torch.zeros_like(mu)
        z = mu + torch.exp(0.5 * logvar) * noise
        return self.decoder(z), mu, logvar
        # END SOLUTION


def vae_loss(model, images):
    # BEGIN SOLUTION: the negative evidence lower bound of a batch
    # the reconstruction loss (per image, mean over the batch) plus the mean KL term
    logits, mu, logvar = model(images)
    return reconstruction_loss(logits, images) + kl_to_standard_normal(mu, logvar).mean()
    # END SOLUTION

# %%
if __name__ == "__main__":
    torch.manual_seed(0)
    vae = VariationalAutoencoder()
    vae_losses = fit(vae, vae_loss, [train_images], epochs=10)
    reconstruction_only = lambda model, images: reconstruction_loss(model(images)[0], images)  # noqa: E731
    print(f"VAE: test loss {evaluate_loss(vae, vae_loss, [test_images]):.1f} nats per image, of which the "
          f"reconstruction from the mean code is {evaluate_loss(vae, reconstruction_only, [test_images]):.1f}")
    show_reconstructions({"dense": dense, "convolutional": convolutional, "VAE (mean code)": vae}, test_images)
    plt.show()

# %% [markdown]
# ## Exercise 4: a recurrent network for sentiment
#
# `load_reviews` reads a review file; `build_vocabulary` numbers the training set's words (0 is
# padding, 1 any word it has not seen); `encode_texts` turns reviews into an (N, L) tensor of word
# numbers, padded **at the front** with zeros, so the last word of every review is at the end.
#
# `SentimentRNN(vocab_size, embedding_dim=100, hidden_size=256, num_classes=2)` embeds each word
# (`nn.Embedding`, trained with the rest), reads the embeddings in order with one `nn.RNN` layer (tanh,
# hidden size 256), and maps the hidden state after the last word to `num_classes` scores with
# `nn.Linear`. `forward(tokens)` takes an (N, L) LongTensor and returns the (N, num_classes) scores
# (logits; the cross-entropy loss applies the softmax).

# %%
def load_reviews(path):
    """(texts, labels): the reviews of a ``label<TAB>text`` file with a header, labels a LongTensor of 0/1."""
    texts, labels = [], []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != ["label", "text"]:
        raise ValueError(f"{path}: the first line should be the header 'label<TAB>text'.")
    for number, line in enumerate(lines[1:], start=2):
        label, tab, text = line.partition("\t")
        if not tab or label not in ("0", "1"):
            raise ValueError(f"{path}, line {number}: expected '0' or '1', a tab and the review; found {line[:60]!r}")
        texts.append(text)
        labels.append(int(label))
    return texts, torch.tensor(labels)


def build_vocabulary(texts, min_count=1):
    """{word: number}: 0 is padding, 1 an unknown word, then words by decreasing frequency."""
    counts = Counter(word for text in texts for word in text.split())
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return {"<pad>": 0, "<unk>": 1, **{word: index for index, word in enumerate(words, start=2)}}


def encode_texts(texts, vocabulary, length):
    """(N, length) LongTensor: each text's last ``length`` words, padded at the front with 0."""
    tokens = torch.zeros(len(texts), length, dtype=torch.long)
    for row, text in enumerate(texts):
        numbers = [vocabulary.get(word, 1) for word in text.split()][-length:]
        if numbers:
            tokens[row, length - len(numbers):] = torch.tensor(numbers)
    return tokens

# %% tags=["graded"]
class SentimentRNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim=100, hidden_size=256, num_classes=2):
        super().__init__()
        # BEGIN SOLUTION: the embedding, the RNN and the output layer
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.rnn = nn.RNN(embedding_dim, hidden_size, batch_first=True)
        self.classify = nn.Linear(hidden_size, num_classes)
        # END SOLUTION

    def forward(self, tokens):
        # BEGIN SOLUTION: scores (N, num_classes) from the hidden state after the last word
        _, last = self.rnn(self.embedding(tokens))
        return self.classify(last[-1])
        # END SOLUTION

# %%
def classifier_loss(model, tokens, labels):
    return F.cross_entropy(model(tokens), labels)


@torch.no_grad()
def accuracy(model, tokens, labels):
    model.eval()
    return float((model(tokens).argmax(dim=1) == labels).float().mean())

# %%
if __name__ == "__main__":
    train_texts, train_labels = load_reviews(data_path("reviews_train.tsv"))
    test_texts, test_labels = load_reviews(data_path("reviews_test.tsv"))
    vocabulary = build_vocabulary(train_texts)
    length = max(len(text.split()) for text in train_texts)
    train_tokens = encode_texts(train_texts, vocabulary, length)
    test_tokens = encode_texts(test_texts, vocabulary, length)
    torch.manual_seed(0)
    rnn = SentimentRNN(len(vocabulary))
    started = time.perf_counter()
    rnn_losses = fit(rnn, classifier_loss, [train_tokens, train_labels], epochs=8, clip=1.0)
    positive = test_labels.float().mean().item()
    print(f"RNN: {time.perf_counter() - started:.1f} s; test accuracy {accuracy(rnn, test_tokens, test_labels):.3f} "
          f"(always guessing the commoner label: {max(positive, 1 - positive):.3f})")
    negated = torch.tensor([any(w in text.split() for w in ("not", "never", "hardly")) for text in test_texts])
    print(f"on the {int(negated.sum())} test reviews with a negation: "
          f"{accuracy(rnn, test_tokens[negated], test_labels[negated]):.3f}")
    plot_losses({"RNN": rnn_losses}, batches_per_epoch=math.ceil(len(train_tokens) / 64), title="RNN training loss")
    plt.show()

# %% [markdown]
# ## Exercise 5: the 1D CNN of Figure 15.14
#
# The text CNN embeds each of the L words of a review in d dimensions, treats the d embedding values
# as channels of a sequence of length L, applies one `nn.Conv1d` per kernel width k_i with c_i output
# channels (no padding, stride 1) followed by a ReLU, keeps the maximum over time of every channel,
# concatenates the sum(c_i) maxima and maps them to `num_classes` scores with `nn.Linear`.
#
# `TextCNN(vocab_size, embedding_dim, kernel_sizes, channels, num_classes=2)` is that network;
# `textcnn_parameter_count(...)` returns its number of trainable parameters as a formula in its sizes
# (without building it), leaving out the embedding table when `trainable_embedding` is False.
# `textcnn_sizes` lists the size of every intermediate tensor for one review of `length` words.

# %%
FIGURE_15_14 = dict(length=11, embedding_dim=6, kernel_sizes=(2, 4), channels=(4, 5), num_classes=2)

# %% tags=["graded"]
class TextCNN(nn.Module):
    def __init__(self, vocab_size, embedding_dim, kernel_sizes, channels, num_classes=2):
        super().__init__()
        # BEGIN SOLUTION: the embedding, one Conv1d per kernel width, the output layer
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, count, width)
                                          for width, count in zip(kernel_sizes, channels, strict=True))
        self.classify = nn.Linear(sum(channels), num_classes)
        # END SOLUTION

    def forward(self, tokens):
        # BEGIN SOLUTION: embed, convolve, max over time, concatenate, classify
        sequence = self.embedding(tokens).transpose(1, 2)  # (N, d, L): embedding values are channels
        pooled = [torch.relu(conv(sequence)).amax(dim=2) for conv in self.convolutions]
        return self.classify(torch.cat(pooled, dim=1))
        # END SOLUTION


def textcnn_parameter_count(vocab_size, embedding_dim, kernel_sizes, channels, num_classes=2,
                            trainable_embedding=True):
    # BEGIN SOLUTION: the count from the sizes alone, without building the network
    # embedding table + (k d c + c) per convolution + (sum c) x classes + classes
    convolutions = sum(width * embedding_dim * count + count
                       for width, count in zip(kernel_sizes, channels, strict=True))
    embedding = vocab_size * embedding_dim if trainable_embedding else 0
    return embedding + convolutions + sum(channels) * num_classes + num_classes
    # END SOLUTION

# %%
def textcnn_sizes(length, embedding_dim, kernel_sizes, channels, num_classes=2):
    """[(tensor, shape)] for one review of ``length`` words, in the order the forward pass makes them."""
    # BEGIN SOLUTION: the shapes of every intermediate tensor
    sizes = [("word numbers", (length,)), ("embeddings, as channels x time", (embedding_dim, length))]
    for width, count in zip(kernel_sizes, channels, strict=True):
        sizes.append((f"convolution of width {width} and its ReLU", (count, length - width + 1)))
    for width, count in zip(kernel_sizes, channels, strict=True):
        sizes.append((f"max over time of the width-{width} channels", (count,)))
    sizes += [("concatenated maxima", (sum(channels),)), ("class scores", (num_classes,))]
    return sizes
    # END SOLUTION

# %%
if __name__ == "__main__":
    figure_sizes = {key: value for key, value in FIGURE_15_14.items() if key != "length"}
    for tensor, shape in textcnn_sizes(**FIGURE_15_14):
        print(f"{tensor:45s} {' x '.join(map(str, shape))}")
    print("parameters without the embedding table:",
          textcnn_parameter_count(vocab_size=len(vocabulary), trainable_embedding=False, **figure_sizes))
    print(f"with a trainable embedding of the {len(vocabulary)} words of the reviews:",
          textcnn_parameter_count(vocab_size=len(vocabulary), **figure_sizes))
