"""The amcs215-a9 reference notebook: its data, both autoencoders, the KL terms against torch.distributions,
the VAE's forward pass, the sentiment RNN trained on the stand-in reviews, and the text CNN's sizes."""
import math

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.assignments.amcs215_a9 import data
from grader.core import assignments

matplotlib.use("Agg")
amcs215 = assignments.get("amcs215-a9")
net = amcs215.load_reference().a9_networks


@pytest.fixture(scope="module")
def images():
    return net.load_images(amcs215.data_dir / data.IMAGES)


@pytest.fixture(scope="module")
def reviews():
    train_texts, train_labels = net.load_reviews(amcs215.data_dir / "reviews_train.tsv")
    test_texts, test_labels = net.load_reviews(amcs215.data_dir / "reviews_test.tsv")
    vocabulary = net.build_vocabulary(train_texts)
    length = max(len(text.split()) for text in train_texts)
    return (net.encode_texts(train_texts, vocabulary, length), train_labels,
            net.encode_texts(test_texts, vocabulary, length), test_labels, vocabulary, test_texts)


# ----------------------------------------------------------------------------- data

def test_the_images_are_28x28_digits_in_the_mnist_layout(images):
    train, test = images
    assert train.shape[1:] == test.shape[1:] == (1, 28, 28) and len(train) + len(test) == 1797
    assert train.dtype == torch.float32 and 0 <= float(train.min()) and float(train.max()) == 1.0
    with np.load(amcs215.data_dir / data.IMAGES) as arrays:
        assert set(np.unique(arrays["y_train"])) == set(range(10)) and arrays["x_train"].dtype == np.uint8


def test_the_reviews_are_rebuilt_identically_and_both_labels_are_common(tmp_path):
    data.build(tmp_path)
    for name, count in data.REVIEWS.items():
        assert (tmp_path / name).read_bytes() == (amcs215.data_dir / name).read_bytes()
        texts, labels = net.load_reviews(tmp_path / name)
        assert len(texts) == count and 0.4 < labels.float().mean() < 0.6


def test_a_review_label_follows_its_opinions_with_but_counting_twice():
    rng = np.random.default_rng(5)
    polarity = {**{w: 1 for w in data.POSITIVE}, **{w: -1 for w in data.NEGATIVE}}
    for _ in range(300):
        text, label = data.review(rng)
        total, weight, negated = 0, 1, False
        for word in text.split():  # neutral clauses hold no opinion word, negation or "but"
            if word in ("and", "but"):
                weight, negated = (2 if word == "but" else 1), False
            elif word in data.NEGATORS:
                negated = True
            elif word in polarity:
                total += weight * polarity[word] * (-1 if negated else 1)
        assert total != 0 and label == int(total > 0), text


def test_bad_review_lines_and_missing_files_are_named(tmp_path, monkeypatch):
    path = tmp_path / "reviews.tsv"
    path.write_text("label\ttext\n1\tgood film\npositive\tgreat\n")
    with pytest.raises(ValueError, match=r"reviews.tsv, line 3: expected '0' or '1', a tab and the review"):
        net.load_reviews(path)
    path.write_text("1\tgood film\n")
    with pytest.raises(ValueError, match="reviews.tsv: the first line should be the header"):
        net.load_reviews(path)
    np.savez(tmp_path / "flat.npz", x_train=np.zeros((3, 784)), x_test=np.zeros((2, 784)))
    with pytest.raises(ValueError, match=r"flat.npz: x_train has shape \(3, 784\); expected \(N, 28, 28\)"):
        net.load_images(tmp_path / "flat.npz")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="reviews_train.tsv is neither beside this notebook"):
        net.data_path("reviews_train.tsv")


def test_texts_are_numbered_padded_at_the_front_and_cut_from_the_front():
    vocabulary = net.build_vocabulary(["good good film", "bad film", "good"])
    assert vocabulary["<pad>"] == 0 and vocabulary["<unk>"] == 1 and vocabulary["good"] == 2
    tokens = net.encode_texts(["bad film", "a good film indeed", ""], vocabulary, 3)
    film, good, bad = vocabulary["film"], vocabulary["good"], vocabulary["bad"]
    assert tokens.tolist() == [[0, bad, film], [good, film, 1], [0, 0, 0]]


# ----------------------------------------------------------------------------- exercises 1 and 2

def sizes_along_the_way(model, x):
    """The spatial side of every Conv2d / ConvTranspose2d output, in the order they run."""
    sides = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: sides.append(out.shape[-1]))
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d))]
    model(x)
    for hook in hooks:
        hook.remove()
    return sides


def test_the_convolutional_autoencoder_has_the_specified_sizes():
    sides = sizes_along_the_way(net.ConvAutoencoder(), torch.rand(2, 1, 28, 28))
    assert sides == [28, 14, 14, 7, 7, 3, 7, 14, 28]  # conv, pool three times; then three transposed convolutions


def test_both_autoencoders_return_logits_of_the_input_shape():
    x = torch.rand(3, 1, 28, 28)
    for model in (net.DenseAutoencoder(), net.ConvAutoencoder()):
        assert model(x).shape == x.shape
    dense = net.DenseAutoencoder()
    selu_count = sum(isinstance(m, nn.SELU) for m in dense.modules())
    assert selu_count == 3 and sum(isinstance(m, nn.Linear) for m in dense.modules()) == 4


def test_the_reconstruction_loss_is_the_binary_cross_entropy_and_stays_finite():
    logits = torch.randn(4, 1, 28, 28, dtype=torch.float64) * 3
    images = torch.rand(4, 1, 28, 28, dtype=torch.float64)
    literal = F.binary_cross_entropy(torch.sigmoid(logits), images, reduction="sum") / 4
    assert float(net.reconstruction_loss(logits, images)) == pytest.approx(float(literal), rel=1e-10)
    wrong = torch.full((1, 1, 28, 28), 300.0)
    assert float(net.reconstruction_loss(wrong, torch.zeros_like(wrong))) == pytest.approx(300.0 * 784)


def test_training_lowers_both_reconstruction_losses_and_draws_the_figures(images):
    train, test = images
    histories = {}
    for name, model_class in (("dense", net.DenseAutoencoder), ("convolutional", net.ConvAutoencoder)):
        torch.manual_seed(0)
        model = model_class()
        before = net.evaluate_loss(model, net.autoencoder_loss, [test])
        histories[name] = net.fit(model, net.autoencoder_loss, [train[:640]], epochs=2)
        after = net.evaluate_loss(model, net.autoencoder_loss, [test])
        assert after < 0.7 * before, name
        assert len(histories[name]) == 2 * 10
    figure = net.plot_losses(histories, batches_per_epoch=10)
    assert len(figure.axes[0].lines) == 4  # each model's batch losses and epoch means
    figure = net.show_reconstructions({"dense": model}, test, count=5)
    assert len(figure.axes) == 2 * 5


# ----------------------------------------------------------------------------- exercise 3

def test_the_closed_form_kl_matches_torch_distributions_and_the_general_formula():
    torch.manual_seed(0)
    mu, logvar = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64) * 2
    posterior = torch.distributions.Independent(torch.distributions.Normal(mu, torch.exp(0.5 * logvar)), 1)
    prior = torch.distributions.Independent(torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    expected = torch.distributions.kl_divergence(posterior, prior)
    torch.testing.assert_close(net.kl_to_standard_normal(mu, logvar), expected)
    identity = torch.eye(4, dtype=torch.float64)
    for row in range(6):  # Eq 6.32 with a diagonal covariance and N(0, I) is the closed form
        general = net.kl_gaussians(mu[row], torch.diag(logvar[row].exp()), torch.zeros(4, dtype=torch.float64),
                                   identity)
        assert float(general) == pytest.approx(float(expected[row]), rel=1e-10)


def test_the_general_kl_matches_torch_for_full_covariances():
    torch.manual_seed(1)
    for d in (1, 3, 7):
        a, b = torch.randn(d, d, dtype=torch.float64), torch.randn(d, d, dtype=torch.float64)
        cov0, cov1 = a @ a.T + 0.5 * torch.eye(d), b @ b.T + 0.5 * torch.eye(d)
        mean0, mean1 = torch.randn(d, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
        p = torch.distributions.MultivariateNormal(mean0, covariance_matrix=cov0)
        q = torch.distributions.MultivariateNormal(mean1, covariance_matrix=cov1)
        assert float(net.kl_gaussians(mean0, cov0, mean1, cov1)) == \
            pytest.approx(float(torch.distributions.kl_divergence(p, q)), rel=1e-9)


def test_the_vae_forward_pass_reparameterises_and_its_loss_adds_the_kl_term():
    torch.manual_seed(2)
    vae = net.VariationalAutoencoder()
    x = torch.rand(5, 1, 28, 28)
    noise = torch.randn(5, 30)
    logits, mu, logvar = vae(x, noise)
    assert logits.shape == x.shape and mu.shape == logvar.shape == (5, 30)
    # the gradient reaches logvar through z = mu + exp(logvar / 2) * noise
    logits.sum().backward()
    assert vae.log_variance.weight.grad.abs().sum() > 0
    vae.eval()
    with torch.no_grad():
        first, second = vae(x)[0], vae(x)[0]
        torch.testing.assert_close(first, second)  # evaluation mode decodes the mean code
        logits, mu, logvar = vae(x)
        expected = net.reconstruction_loss(logits, x) + net.kl_to_standard_normal(mu, logvar).mean()
        torch.testing.assert_close(net.vae_loss(vae, x), expected)


# ----------------------------------------------------------------------------- exercise 4

def test_the_rnn_learns_the_reviews_including_negations(reviews):
    train_tokens, train_labels, test_tokens, test_labels, vocabulary, test_texts = reviews
    torch.manual_seed(0)
    rnn = net.SentimentRNN(len(vocabulary))
    losses = net.fit(rnn, net.classifier_loss, [train_tokens, train_labels], epochs=4, clip=1.0)
    assert len(losses) == 4 * math.ceil(len(train_tokens) / 64)  # batches of 64
    assert net.accuracy(rnn, test_tokens, test_labels) > 0.85
    negated = torch.tensor([any(w in text.split() for w in data.NEGATORS) for text in test_texts])
    assert net.accuracy(rnn, test_tokens[negated], test_labels[negated]) > 0.8


def test_the_rnn_has_the_specified_parameters():
    rnn = net.SentimentRNN(500)
    expected = sum(p.numel() for p in (*nn.Embedding(500, 100).parameters(), *nn.RNN(100, 256).parameters(),
                                       *nn.Linear(256, 2).parameters()))
    assert sum(p.numel() for p in rnn.parameters()) == expected
    assert rnn(torch.randint(0, 500, (7, 12))).shape == (7, 2)


# ----------------------------------------------------------------------------- exercise 5

@pytest.mark.parametrize("seed", range(5))
def test_the_parameter_count_formula_counts_the_built_network(seed):
    rng = np.random.default_rng(seed)
    widths = sorted(set(rng.integers(1, 6, size=rng.integers(1, 4)).tolist()))
    sizes = dict(vocab_size=int(rng.integers(2, 300)), embedding_dim=int(rng.integers(1, 50)), kernel_sizes=widths,
                 channels=rng.integers(1, 40, size=len(widths)).tolist(), num_classes=int(rng.integers(2, 5)))
    model = net.TextCNN(**sizes)
    total = sum(p.numel() for p in model.parameters())
    assert net.textcnn_parameter_count(**sizes) == total
    assert net.textcnn_parameter_count(**sizes, trainable_embedding=False) == total - model.embedding.weight.numel()


def test_the_figure_sizes_are_those_of_the_running_network():
    example = dict(net.FIGURE_15_14)
    length = example.pop("length")
    model = net.TextCNN(vocab_size=20, **example)
    seen = []
    hooks = [conv.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:])))
             for conv in model.convolutions]
    scores = model(torch.randint(0, 20, (1, length)))
    for hook in hooks:
        hook.remove()
    sizes = dict(net.textcnn_sizes(length=length, **example))
    assert [shape for name, shape in sizes.items() if name.startswith("convolution")] == seen
    assert sizes["embeddings, as channels x time"] == (example["embedding_dim"], length)
    assert sizes["concatenated maxima"] == (model.classify.in_features,)
    assert sizes["class scores"] == tuple(scores.shape[1:])
