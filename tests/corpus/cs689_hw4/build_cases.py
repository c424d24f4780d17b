"""Writes the cs689-hw4 corpus: gmm.py, experiments.py, model.py and note_predictions.pt as students
might write them, each case derived from the reference by the edit described below. A case holds only
the files it changes; the test takes the others from the reference (cases.toml: complete_from_reference).
Run again after changing a case:

    .venv/bin/python tests/corpus/cs689_hw4/build_cases.py
"""
import shutil
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
REFERENCE = (HERE.parents[2] / "reference" / "cs689_hw4" / "gmm.py").read_text()
START = REFERENCE.index("    # BEGIN SOLUTION: log joint")
END = REFERENCE.index("def log_posterior_observed")
OBSERVED_START = REFERENCE.index("    # BEGIN SOLUTION: the marginal")
OBSERVED_END = REFERENCE.index("def tables")

FULL = {
    "solve_and_slogdet": '''    D = X.shape[1]
    diff = X[None, :, :] - mu[:, None, :]                          # (K, N, D)
    solved = torch.linalg.solve(Sigma, diff.transpose(1, 2))       # (K, D, N)
    maha = (diff.transpose(1, 2) * solved).sum(dim=1)              # (K, N)
    logdet = torch.linalg.slogdet(Sigma).logabsdet
    joint = log_pi[:, None] - 0.5 * (maha + logdet[:, None] + D * math.log(2 * math.pi))
    return (joint - torch.logsumexp(joint, 0)).T
''',
    "eigendecomposition": '''    values, vectors = torch.linalg.eigh(Sigma)                     # Sigma = V diag(values) V^T
    projected = torch.einsum("kdj,knd->knj", vectors, X[None] - mu[:, None])
    maha = (projected ** 2 / values[:, None, :]).sum(-1)
    joint = log_pi[:, None] - 0.5 * (maha + torch.log(values).sum(-1)[:, None] + X.shape[1] * math.log(2 * math.pi))
    return joint.T - torch.logsumexp(joint.T, dim=1, keepdim=True)
''',
    "loop_over_components": '''    columns = []
    for k in range(mu.shape[0]):
        L = torch.linalg.cholesky(Sigma[k])
        z = torch.linalg.solve_triangular(L, (X - mu[k]).T, upper=False)
        columns.append(log_pi[k] - 0.5 * (z.pow(2).sum(0) + 2 * torch.log(torch.diag(L)).sum()
                                          + X.shape[1] * math.log(2 * math.pi)))
    joint = torch.stack(columns, dim=1)
    return joint - torch.logsumexp(joint, dim=1, keepdim=True)
''',
    # As a student who published a solution wrote it: one component at a time with an explicit inverse and
    # logdet, the dimension read from the wrong axis (a constant that cancels), and a hand-made log-sum-exp.
    "inverse_and_logdet_per_component": '''    D = X.shape[0]
    columns = []
    for k in range(mu.shape[0]):
        centred = X - mu[k].unsqueeze(0)
        precision = torch.inverse(Sigma[k])
        quadratic = torch.sum(torch.matmul(centred, precision) * centred, dim=1)
        columns.append(log_pi[k] - 0.5 * torch.logdet(Sigma[k]) - 0.5 * D * math.log(2 * math.pi) - 0.5 * quadratic)
    joint = torch.stack(columns, dim=1)
    largest = torch.max(joint, dim=1, keepdim=True)[0]
    return joint - (largest + torch.log(torch.sum(torch.exp(joint - largest), dim=1, keepdim=True)))
''',
    "cholesky_solve_without_constant": '''    L = torch.linalg.cholesky(Sigma)
    diff = (X[None] - mu[:, None]).transpose(1, 2)
    maha = (diff * torch.cholesky_solve(diff, L)).sum(1)
    # The (2 pi)^D factor is the same for every component, so it cancels in the posterior.
    joint = log_pi[:, None] - torch.log(torch.diagonal(L, dim1=-2, dim2=-1)).sum(-1)[:, None] - maha / 2
    return (joint - joint.max(0).values - torch.log(torch.exp(joint - joint.max(0).values).sum(0))).T
''',
}

OBSERVED = {
    "boolean_mask": '''    mask = torch.zeros(mu.shape[1], dtype=torch.bool)
    mask[torch.as_tensor(observed)] = True
    X, mu, Sigma = (torch.as_tensor(a, dtype=torch.float64) for a in (X, mu, Sigma))
    return log_posterior(X[:, mask], mu[:, mask], Sigma[:, mask][:, :, mask], pi)
''',
}

WRONG_FULL = {
    "wrong_forgets_log_pi": FULL["solve_and_slogdet"].replace("log_pi[:, None] - 0.5", "-0.5"),
    "wrong_full_log_determinant": FULL["solve_and_slogdet"].replace("maha + logdet[:, None]", "maha + 2 * logdet[:, None]"),
    "wrong_covariance_not_inverted": FULL["eigendecomposition"].replace("projected ** 2 / values", "projected ** 2 * values"),
    "wrong_no_logsumexp": '''    D = X.shape[1]
    diff = X[None, :, :] - mu[:, None, :]
    maha = (diff.transpose(1, 2) * torch.linalg.solve(Sigma, diff.transpose(1, 2))).sum(dim=1)
    joint = torch.exp(log_pi[:, None] - 0.5 * (maha + torch.linalg.slogdet(Sigma).logabsdet[:, None]
                                               + D * math.log(2 * math.pi)))
    return torch.log(joint / joint.sum(0)).T
''',
    "wrong_normalised_over_images": FULL["solve_and_slogdet"].replace("torch.logsumexp(joint, 0)", "torch.logsumexp(joint, 1, keepdim=True)"),
    "wrong_returns_probabilities": FULL["solve_and_slogdet"].replace("return (joint - torch.logsumexp(joint, 0)).T",
                                                                     "return torch.exp(joint - torch.logsumexp(joint, 0)).T"),
    "wrong_loop_over_images": '''    rows = []
    for n in range(X.shape[0]):
        L = torch.linalg.cholesky(Sigma)
        z = torch.linalg.solve_triangular(L, (X[n] - mu).unsqueeze(-1), upper=False).squeeze(-1)
        joint = log_pi - 0.5 * (z.pow(2).sum(-1) + 2 * torch.log(torch.diagonal(L, dim1=1, dim2=2)).sum(-1))
        rows.append(joint - torch.logsumexp(joint, 0))
    return torch.stack(rows)
''',
    "wrong_uses_torch_distributions": '''    components = torch.distributions.MultivariateNormal(mu, covariance_matrix=Sigma)
    joint = components.log_prob(X[:, None, :]) + log_pi
    return joint - torch.logsumexp(joint, dim=1, keepdim=True)
''',
    # the same, with the names spelled so that no attribute chain shows them (adjacent literals fold)
    "wrong_hides_torch_distributions_with_getattr": '''    density = getattr(getattr(torch, "distri" "butions"), "Multivariate" "Normal")
    components = density(mu, covariance_matrix=Sigma)
    joint = components.log_prob(X[:, None, :]) + log_pi
    return joint - torch.logsumexp(joint, dim=1, keepdim=True)
''',
    "wrong_imports_distributions_by_name": '''    import importlib
    density = importlib.import_module("torch." + "distributions").MultivariateNormal
    joint = density(mu, covariance_matrix=Sigma).log_prob(X[:, None, :]) + log_pi
    return joint - torch.logsumexp(joint, dim=1, keepdim=True)
''',
    "wrong_first_covariance_for_all": FULL["loop_over_components"].replace("cholesky(Sigma[k])", "cholesky(Sigma[0])"),
    # After published course code: the quadratic form continues the expression on a new line without
    # parentheses, so Python reads it as a statement of its own and the joint keeps only log pi and the determinant.
    "wrong_quadratic_form_lost_at_a_line_break": '''    precision = torch.inverse(Sigma)
    centred = X[None, :, :] - mu[:, None, :]
    joint = log_pi[:, None] - 0.5 * torch.logdet(2 * math.pi * Sigma)[:, None]
    - 0.5 * (centred @ precision * centred).sum(-1)
    return (joint - torch.logsumexp(joint, 0)).T
''',
    # a stand-in: every component equally likely whatever x is (3c and 3d must not excuse it as a slip)
    "wrong_uniform_stand_in": '''    return torch.full((X.shape[0], mu.shape[0]), -math.log(mu.shape[0]), dtype=torch.float64)
''',
    "wrong_single_precision": FULL["solve_and_slogdet"].replace("    D = X.shape[1]\n",
                                                                "    D = X.shape[1]\n    X, mu, Sigma = X.float(), mu.float(), Sigma.float()\n    log_pi = log_pi.float()\n"),
}

WRONG_OBSERVED = {
    "wrong_conditions_with_rows_of_the_inverse": '''    index = torch.as_tensor(observed, dtype=torch.long)
    X, mu, Sigma = (torch.as_tensor(a, dtype=torch.float64) for a in (X, mu, Sigma))
    precision = torch.linalg.inv(Sigma)[:, index][:, :, index]   # the block of the inverse, not the inverse of the block
    return log_posterior(X[:, index], mu[:, index], torch.linalg.inv(precision), pi)
''',
    "wrong_zero_fills_the_rest": '''    keep = torch.zeros(mu.shape[1], dtype=torch.float64)
    keep[torch.as_tensor(observed)] = 1.0
    return log_posterior(torch.as_tensor(X, dtype=torch.float64) * keep, mu, Sigma, pi)
''',
    "wrong_observed_ignores_covariance_block": '''    index = torch.as_tensor(observed, dtype=torch.long)
    X, mu, Sigma = (torch.as_tensor(a, dtype=torch.float64) for a in (X, mu, Sigma))
    diagonal = torch.diag_embed(torch.diagonal(Sigma, dim1=1, dim2=2)[:, index])
    return log_posterior(X[:, index], mu[:, index], diagonal, pi)
''',
}


def write(case, full=None, observed=None):
    text = REFERENCE
    if observed is not None:
        block_end = text.index("    # END SOLUTION", OBSERVED_START) + len("    # END SOLUTION\n")
        text = text[:OBSERVED_START] + observed + text[block_end:]
    if full is not None:
        block_end = text.index("    # END SOLUTION", START) + len("    # END SOLUTION\n")
        text = text[:START] + full + text[block_end:]
    text = "\n".join(line for line in text.splitlines() if "SOLUTION" not in line) + "\n"
    folder = HERE / case
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "gmm.py").write_text(text)


EXPERIMENTS = (HERE.parents[2] / "reference" / "cs689_hw4" / "experiments.py").read_text()
MODEL = (HERE.parents[2] / "reference" / "cs689_hw4" / "model.py").read_text()


def _without_markers(text):
    return "\n".join(line for line in text.splitlines() if "SOLUTION" not in line) + "\n"


def _edited(text, *replacements):
    for old, new in replacements:
        assert old in text, f"the reference no longer contains {old!r}: update build_cases.py"
        text = text.replace(old, new)
    return _without_markers(text)


OLD_INDEX = "        self.index = [(s, p) for s, song in enumerate(self.songs) for p in range(1, len(song))]\n"
OLD_ITEM = """        window = song[max(0, p - self.context):p]
        padding = torch.zeros(self.context - len(window), 4, dtype=torch.long)
        return torch.cat([padding, window]), song[p]
"""
EXPERIMENT_CASES = {
    # correct: one window every `context` events, no padding; songs shorter than the context are skipped
    "correct_dataset_non_overlapping": [(OLD_INDEX, "        self.index = [(s, p) for s, song in enumerate(self.songs) "
                                                    "for p in range(context, len(song), context)]\n")],
    # correct: pads short contexts by repeating the song's first event, and returns float tensors
    "correct_dataset_repeats_first_event": [(OLD_ITEM, """        window = song[max(0, p - self.context):p]
        padding = song[:1].repeat(self.context - len(window), 1)
        return torch.cat([padding, window]).float(), song[p].float()
""")],
    # all songs glued into one sequence, then windows slid over it: contexts run across songs
    "wrong_dataset_crosses_songs": [(OLD_INDEX, """        self.songs = [torch.cat(self.songs)]
        self.index = [(0, p) for p in range(1, len(self.songs[0]))]
""")],
    # the window ends at the target instead of just before it
    "wrong_dataset_context_includes_target": [(OLD_ITEM, """        window = song[max(0, p + 1 - self.context):p + 1]
        padding = torch.zeros(self.context - len(window), 4, dtype=torch.long)
        return torch.cat([padding, window]), song[p]
""")],
    # short contexts are returned as they are, so items differ in shape and batches cannot be stacked
    "wrong_dataset_unpadded_short_contexts": [(OLD_ITEM, """        return song[max(0, p - self.context):p], song[p]
""")],
    # the experiment runs when the file is imported (no `if __name__ == "__main__":`)
    "wrong_experiments_run_at_import": [('if __name__ == "__main__":\n    main()\n', "main()\n")],
}
HUB = '''def pretrained_features():
    """An ImageNet ResNet, tried as a feature extractor."""
    return torch.hub.load("pytorch/vision", "resnet18", weights="IMAGENET1K_V1")


class NoteModel(nn.Module):'''
MODEL_CASES = {
    # correct: the handout's interface only, one context (C, 4) at a time; a batch raises
    "correct_model_one_context_at_a_time": [("""        single = x.dim() == 2
        if single:
            x = x.unsqueeze(0)
""", """        if x.dim() != 2:
            raise ValueError("NoteModel takes one context of shape (C, 4)")
        single = True
        x = x.unsqueeze(0)
""")],
    # correct: a different model, an MLP over the last 16 events
    "correct_model_mlp": [("        self.read_events = 48", "        self.read_events = 16\n        self.mlp = nn.Sequential("
                           "nn.Flatten(), nn.Linear(16 * 4, 64), nn.ReLU(), nn.Linear(64, 134))"),
                          ("        out = self.head(states[:, -1])", "        out = self.mlp(x / 64.0)")],
    # one context gives (134,), not (1, 134)
    "wrong_model_single_output_flat": [("        return params\n", "        return params.squeeze(0) if single else params\n")],
    # sigmas straight from a linear layer: some are negative
    "wrong_model_raw_sigmas": [("SIGMA_FLOOR + torch.tensor([ts, ds, vs]) * softplus(out[:, [1, 3, 133]])",
                                "torch.tensor([ts, ds, vs]) * out[:, [1, 3, 133]]"),
                               ("        sigmas = torch.sqrt(sigmas ** 2 + self.sigma_extra ** 2)\n", "")],
    # note logits that are not log-probabilities
    "wrong_model_unnormalised_logits": [("torch.log_softmax(out[:, 4:132], dim=1)", "out[:, 4:132]")],
    # a pre-trained network fetched with torch.hub (never called by the checks: the rule reads the code)
    "wrong_model_uses_torch_hub": [("class NoteModel(nn.Module):", HUB)],
}
GMM_CASES = {
    # correct: no casts of the inputs (the supplied data are float64 throughout)
    "correct_no_input_casts": [("""    X, mu, Sigma = (torch.as_tensor(a, dtype=torch.float64) for a in (X, mu, Sigma))
    log_pi = torch.log(torch.as_tensor(pi, dtype=torch.float64).reshape(-1))
    # BEGIN SOLUTION: log joint""", """    log_pi = torch.log(pi.reshape(-1))
    # BEGIN SOLUTION: log joint""")],
}
PREDICTION_CASES = {
    # a dict around the tensor
    "wrong_predictions_in_a_dict": {"predictions": torch.zeros(3, 134)},
    # predictions for the first ten test contexts only (valid rows: uniform notes)
    "wrong_predictions_ten_rows": torch.cat([torch.zeros(10, 4), torch.full((10, 128), -4.852030263919617),
                                            torch.tensor([[74.0, 4.0]]).repeat(10, 1)], dim=1),
}


def _case_folder(case):
    folder = HERE / case
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def main():
    for name, body in FULL.items():
        write(f"correct_{name}", full=body)
    write("correct_boolean_mask", observed=OBSERVED["boolean_mask"])
    write("correct_reference_as_is")
    for case, body in WRONG_FULL.items():
        write(case, full=body)
    for case, body in WRONG_OBSERVED.items():
        write(case, observed=body)
    for case, edits in EXPERIMENT_CASES.items():
        (_case_folder(case) / "experiments.py").write_text(_edited(EXPERIMENTS, *edits))
    for case, edits in MODEL_CASES.items():
        (_case_folder(case) / "model.py").write_text(_edited(MODEL, *edits))
    for case, edits in GMM_CASES.items():
        (_case_folder(case) / "gmm.py").write_text(_edited(REFERENCE, *edits))
    for case, predictions in PREDICTION_CASES.items():
        torch.save(predictions, _case_folder(case) / "note_predictions.pt")
    print(f"wrote the corpus into {HERE}")


if __name__ == "__main__":
    main()
