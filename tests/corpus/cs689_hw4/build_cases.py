"""Writes the cs689-hw4 corpus: gmm.py as students might write it, each case derived from the
reference by the edit described below. Run again after changing a case:

    .venv/bin/python tests/corpus/cs689_hw4/build_cases.py
"""
import shutil
from pathlib import Path

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
    "wrong_first_covariance_for_all": FULL["loop_over_components"].replace("cholesky(Sigma[k])", "cholesky(Sigma[0])"),
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


def main():
    for name, body in FULL.items():
        write(f"correct_{name}", full=body)
    write("correct_boolean_mask", observed=OBSERVED["boolean_mask"])
    write("correct_reference_as_is")
    for case, body in WRONG_FULL.items():
        write(case, full=body)
    for case, body in WRONG_OBSERVED.items():
        write(case, observed=body)
    print(f"wrote the corpus into {HERE}")


if __name__ == "__main__":
    main()
