"""Writes the amcs215-a9 corpus: notebooks as students hand them in, each derived from the solved
notebook by edits a student would make. Run it again after changing a case below:

    .venv/bin/python tests/corpus/amcs215_a9/build_cases.py

The notebooks are committed; this script documents how each one came about.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from notebook_edits import add_cell, colab_metadata, drop_tags, replace, with_outputs, write_cases  # noqa: E402

SOLVED = HERE.parents[2] / "reference" / "amcs215_a9" / "a9_networks.ipynb"

DENSE_ENCODER = "nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.SELU(), nn.Linear(100, 30), nn.SELU())"
DENSE_DECODER = "nn.Sequential(nn.Linear(30, 100), nn.SELU(), nn.Linear(100, 784), nn.Unflatten(1, (1, 28, 28)))"
DENSE = (f"        self.encoder = {DENSE_ENCODER}\n        self.decoder = {DENSE_DECODER}\n\n"
         "    def forward(self, images):\n        return self.decoder(self.encoder(images))")
CONV_ENCODER = ("            nn.Conv2d(1, 16, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),\n"
                "            nn.Conv2d(16, 32, 3, padding=1), nn.SELU(), nn.MaxPool2d(2),\n"
                "            nn.Conv2d(32, 64, 3, padding=1), nn.SELU(), nn.MaxPool2d(2))")
CONV_DECODER = ("            nn.ConvTranspose2d(64, 32, 3, stride=2), nn.SELU(),\n"
                "            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.SELU(),\n"
                "            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1))")
CONV = (f"        self.encoder = nn.Sequential(\n{CONV_ENCODER}\n        self.decoder = nn.Sequential(\n{CONV_DECODER}\n\n"
        "    def forward(self, images):\n        return self.decoder(self.encoder(images))")
LOSS = ('    per_pixel = F.binary_cross_entropy_with_logits(logits, images, reduction="none")\n'
        "    return per_pixel.flatten(1).sum(dim=1).mean()")
KL = "    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)"
KL_GAUSSIANS_START = "    chol0, chol1 = torch.linalg.cholesky(cov0), torch.linalg.cholesky(cov1)"
KL_GAUSSIANS = KL_GAUSSIANS_START + """
    whitened = torch.linalg.solve_triangular(chol1, chol0, upper=False)  # L1^-1 L0: its squared norm is the trace
    offset = torch.linalg.solve_triangular(chol1, (mean1 - mean0).unsqueeze(-1), upper=False).squeeze(-1)
    log_det = 2 * (chol1.diagonal().log().sum() - chol0.diagonal().log().sum())
    return 0.5 * (whitened.pow(2).sum() + offset.pow(2).sum() - mean0.shape[-1] + log_det)"""
RNN_FORWARD = "        _, last = self.rnn(self.embedding(tokens))\n        return self.classify(last[-1])"
RNN_LAYERS = ("        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)\n"
              "        self.rnn = nn.RNN(embedding_dim, hidden_size, batch_first=True)\n"
              "        self.classify = nn.Linear(hidden_size, num_classes)")
TEXTCNN_POOL = "        pooled = [torch.relu(conv(sequence)).amax(dim=2) for conv in self.convolutions]"
COUNT = """    convolutions = sum(width * embedding_dim * count + count
                       for width, count in zip(kernel_sizes, channels, strict=True))
    embedding = vocab_size * embedding_dim if trainable_embedding else 0
    return embedding + convolutions + sum(channels) * num_classes + num_classes"""

CASES = {
    # ------------------------------------------------------------------ correct, written differently
    "correct_colab_copy": dict(name="Copy of a9_networks.ipynb", edits=[
        drop_tags, colab_metadata("Copy of a9_networks.ipynb"),
        add_cell("import math", "from google.colab import drive\ndrive.mount('/content/drive')\n"
                 "!pip install -q torchinfo\n%matplotlib inline"),
    ]),
    "correct_functional_style": dict(edits=[
        # Named layers, functional activations and pooling, layers defined in another order than they run.
        replace(DENSE, "        self.fc1 = nn.Linear(28 * 28, 100)\n        self.fc2 = nn.Linear(100, 30)\n"
                       "        self.fc3 = nn.Linear(30, 100)\n        self.fc4 = nn.Linear(100, 28 * 28)\n\n"
                       "    def forward(self, images):\n"
                       "        code = F.selu(self.fc2(F.selu(self.fc1(images.view(images.shape[0], -1)))))\n"
                       "        return self.fc4(F.selu(self.fc3(code))).view(-1, 1, 28, 28)"),
        replace(CONV, "        self.up1 = nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2)\n"
                      "        self.up2 = nn.ConvTranspose2d(32, 16, kernel_size=3, stride=2, padding=1, output_padding=1)\n"
                      "        self.up3 = nn.ConvTranspose2d(16, 1, kernel_size=3, stride=2, padding=1, output_padding=1)\n"
                      "        self.conv1 = nn.Conv2d(1, 16, 3, padding=\"same\")\n"
                      "        self.conv2 = nn.Conv2d(16, 32, 3, padding=\"same\")\n"
                      "        self.conv3 = nn.Conv2d(32, 64, 3, padding=\"same\")\n\n"
                      "    def forward(self, images):\n"
                      "        x = F.max_pool2d(F.selu(self.conv1(images)), 2)\n"
                      "        x = F.max_pool2d(F.selu(self.conv2(x)), 2)\n"
                      "        x = F.max_pool2d(F.selu(self.conv3(x)), 2)\n"
                      "        return self.up3(F.selu(self.up2(F.selu(self.up1(x)))))"),
    ]),
    "correct_mean_loss_and_torch_distributions": dict(edits=[
        replace(LOSS, "    return nn.BCEWithLogitsLoss()(logits, images)"),
        replace(KL, "    posterior = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))\n"
                    "    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))\n"
                    "    return torch.distributions.kl_divergence(posterior, prior).sum(dim=1)"),
        replace(KL_GAUSSIANS, "    p = torch.distributions.MultivariateNormal(mean0, covariance_matrix=cov0)\n"
                              "    q = torch.distributions.MultivariateNormal(mean1, covariance_matrix=cov1)\n"
                              "    return torch.distributions.kl_divergence(p, q)"),
    ]),
    "correct_time_major_rnn_and_counting_by_building": dict(edits=[
        # nn.RNN's default layout (L, N, features), an embedding without padding_idx, the last output step;
        # pooling before the ReLU; the parameter count by building the network.
        replace(RNN_LAYERS, "        self.embed = nn.Embedding(vocab_size, embedding_dim)\n"
                            "        self.recurrent = nn.RNN(input_size=embedding_dim, hidden_size=hidden_size)\n"
                            "        self.out = nn.Linear(hidden_size, num_classes)"),
        replace(RNN_FORWARD, "        outputs, _ = self.recurrent(self.embed(tokens).permute(1, 0, 2))\n"
                             "        return self.out(outputs[-1])"),
        replace(TEXTCNN_POOL, "        pooled = [torch.relu(F.adaptive_max_pool1d(conv(sequence), 1).squeeze(-1))\n"
                              "                  for conv in self.convolutions]"),
        replace(COUNT, "    model = TextCNN(vocab_size, embedding_dim, kernel_sizes, channels, num_classes)\n"
                       "    if not trainable_embedding:\n"
                       "        model.embedding.weight.requires_grad_(False)\n"
                       "    return sum(p.numel() for p in model.parameters() if p.requires_grad)"),
    ]),
    "correct_manual_formulas": dict(edits=[
        replace(LOSS, "    return (F.softplus(logits) - images * logits).sum() / logits.shape[0]"),
        replace(KL, "    return 0.5 * (mu ** 2 + torch.exp(logvar) - 1 - logvar).sum(-1)"),
        replace(KL_GAUSSIANS, "    inverse = torch.linalg.inv(cov1)\n"
                              "    difference = mean1 - mean0\n"
                              "    return 0.5 * (torch.trace(inverse @ cov0) + difference @ inverse @ difference\n"
                              "                  - len(mean0) + torch.logdet(cov1) - torch.logdet(cov0))"),
        replace(COUNT, "    total = vocab_size * embedding_dim if trainable_embedding else 0\n"
                       "    for width, count in zip(kernel_sizes, channels):\n"
                       "        total += count * (width * embedding_dim + 1)\n"
                       "    return total + (sum(channels) + 1) * num_classes"),
    ]),
    "correct_outputs_scratch_and_training_left_in": dict(edits=[
        with_outputs,
        # A scratch copy after the graded cell (the graded cell wins) and a training loop that never ends.
        add_cell("## Exercise 4", "def kl_to_standard_normal(mu, logvar):\n    return mu.mean()  # scratch"),
        add_cell("## Exercise 4", "%%time\nwhile True:\n    pass"),
        replace("    return self.classify(last[-1])", "    return self.classify(last.squeeze(0))"),
    ]),
    # ------------------------------------------------------------------ realistic mistakes
    "wrong_dense_flat_output": dict(edits=[replace(DENSE_DECODER, DENSE_DECODER.replace(
        ", nn.Unflatten(1, (1, 28, 28)))", ")"))]),
    "wrong_dense_code_size_32": dict(edits=[
        replace(DENSE_ENCODER, DENSE_ENCODER.replace("(100, 30)", "(100, 32)")),
        replace(DENSE_DECODER, DENSE_DECODER.replace("(30, 100)", "(32, 100)"))]),
    "wrong_dense_sigmoid_output": dict(edits=[
        replace(DENSE, DENSE.replace("return self.decoder(self.encoder(images))",
                                     "return torch.sigmoid(self.decoder(self.encoder(images)))"))]),
    "wrong_dense_relu": dict(edits=[
        replace(DENSE_ENCODER, DENSE_ENCODER.replace("SELU", "ReLU")),
        replace(DENSE_DECODER, DENSE_DECODER.replace("SELU", "ReLU"))]),
    "wrong_loss_sigmoid_then_bce": dict(edits=[
        replace(LOSS, '    per_pixel = F.binary_cross_entropy(torch.sigmoid(logits), images, reduction="none")\n'
                      "    return per_pixel.flatten(1).sum(dim=1).mean()")]),
    "wrong_conv_no_padding": dict(edits=[replace(CONV_ENCODER, CONV_ENCODER.replace(", padding=1", ""))]),
    "wrong_conv_decoder_keeps_encoder_channels": dict(edits=[
        replace(CONV_DECODER, "            nn.ConvTranspose2d(64, 64, 3, stride=2), nn.SELU(),\n"
                              "            nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.SELU(),\n"
                              "            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.SELU(),\n"
                              "            nn.Conv2d(16, 1, 1))")]),
    "wrong_conv_average_pooling": dict(edits=[replace(CONV_ENCODER, CONV_ENCODER.replace("MaxPool2d", "AvgPool2d"))]),
    "wrong_kl_mean_over_dimensions": dict(edits=[replace(KL, KL.replace("torch.sum", "torch.mean"))]),
    "wrong_kl_logvar_taken_as_log_std": dict(edits=[replace(KL, KL.replace("logvar.exp()", "logvar.exp() ** 2"))]),
    "wrong_kl_gaussians_reversed": dict(edits=[
        replace(KL_GAUSSIANS_START, "    mean0, cov0, mean1, cov1 = mean1, cov1, mean0, cov0\n" + KL_GAUSSIANS_START)]),
    "wrong_rnn_sizes_fixed": dict(edits=[
        replace(RNN_LAYERS, "        self.embedding = nn.Embedding(vocab_size, 100, padding_idx=0)\n"
                            "        self.rnn = nn.RNN(100, 256, batch_first=True)\n"
                            "        self.classify = nn.Linear(256, 2)")]),
    "wrong_rnn_lstm": dict(edits=[
        replace(RNN_LAYERS, RNN_LAYERS.replace("nn.RNN(", "nn.LSTM(")),
        replace(RNN_FORWARD, "        _, (last, _) = self.rnn(self.embedding(tokens))\n"
                             "        return self.classify(last[-1])")]),
    "wrong_rnn_not_batch_first": dict(edits=[replace(RNN_LAYERS, RNN_LAYERS.replace(", batch_first=True", ""))]),
    "wrong_rnn_first_step": dict(edits=[
        replace(RNN_FORWARD, "        outputs, _ = self.rnn(self.embedding(tokens))\n"
                             "        return self.classify(outputs[:, 0])")]),
    "wrong_textcnn_no_transpose": dict(edits=[replace(".transpose(1, 2)  # (N, d, L)", "  # (N, d, L)")]),
    "wrong_textcnn_count_without_biases": dict(edits=[
        replace(COUNT, COUNT.replace("count + count", "count").replace(" + num_classes", ""))]),
}


def main():
    write_cases(SOLVED, CASES, HERE, default_name="a9_networks.ipynb")


if __name__ == "__main__":
    main()
