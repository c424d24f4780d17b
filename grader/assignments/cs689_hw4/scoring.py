"""Scoring question 8's ``note_predictions.pt``: validation, the NLL, the baselines, the points.

The score is the mean over the M test contexts of
    -[log N(t; mu_t, s_t) + log N(d; mu_d, s_d) + log pi_n + log N(v; mu_v, s_v)],   s = max(sigma, floor).
The targets are integers, so a Gaussian can be made arbitrarily tall on a value that repeats: without
a floor on the sigmas the NLL would have no lower bound and a collapsed sigma would beat any honest
model. The floor comes from the config (``[scoring] sigma_floor``); the unfloored NLL is reported too.
"""
import math

import torch

SIGMA_COLUMNS = (1, 3, 133)
LOG_PI = slice(4, 132)


def problems(predictions, rows, normalisation_tolerance):
    """What is wrong with a predictions object, as sentences for the student (empty when it is usable)."""
    if not isinstance(predictions, torch.Tensor):
        return [f"note_predictions.pt holds a {type(predictions).__name__}, not a tensor: save the (M, 134) tensor "
                "itself with torch.save(predictions, 'note_predictions.pt')."]
    if predictions.dim() != 2 or predictions.shape[1] != 134:
        return [f"note_predictions.pt has shape {tuple(predictions.shape)}; expected ({rows}, 134): one row of 134 "
                "parameters per test context."]
    if predictions.shape[0] != rows:
        return [f"note_predictions.pt has {predictions.shape[0]} rows; test.pt has {rows} contexts, and row i must "
                "be the prediction for Xte[i]."]
    if not predictions.is_floating_point():
        return [f"note_predictions.pt holds {predictions.dtype} values; the parameters must be floating point."]
    found = []
    bad = ~torch.isfinite(predictions)
    if bad.any():
        row, column = bad.nonzero()[0].tolist()
        found.append(f"{int(bad.sum())} values are NaN or infinite (first: row {row}, column {column}).")
    sigmas = predictions[:, list(SIGMA_COLUMNS)]
    if (sigmas <= 0).any():
        row, which = (sigmas <= 0).nonzero()[0].tolist()
        found.append(f"sigmas must be positive: row {row} has sigma_{'tdv'[which]} = {sigmas[row, which].item():.4g} "
                     f"(column {SIGMA_COLUMNS[which]}).")
    totals = torch.logsumexp(predictions[:, LOG_PI].double(), dim=1)
    worst = int(totals.abs().nan_to_num(math.inf).argmax())
    if not totals[worst].abs() <= normalisation_tolerance:
        found.append(f"columns 4-131 must be log-probabilities whose exponentials sum to 1; in row {worst} they sum "
                     f"to {math.exp(min(totals[worst].item(), 700)):.6g} (use log_softmax).")
    return found


def _log_normal(x, mu, sigma):
    # torch's own density: independent of the reference's hand-written loss, which a test compares with it
    return torch.distributions.Normal(mu, sigma, validate_args=False).log_prob(x)


def _terms(predictions, targets, sigma_floor):
    """The four (M,) negative log-likelihood terms of the integer targets (M, 4) under predictions (M, 134)."""
    p, y = predictions.double(), targets.double()
    return {"time": -_log_normal(y[:, 0], p[:, 0], p[:, 1].clamp(min=sigma_floor)),
            "duration": -_log_normal(y[:, 1], p[:, 2], p[:, 3].clamp(min=sigma_floor)),
            "note": -p[:, LOG_PI].gather(1, targets[:, 2:3].long()).squeeze(1),
            "volume": -_log_normal(y[:, 3], p[:, 132], p[:, 133].clamp(min=sigma_floor))}


def nll_parts(predictions, targets, sigma_floor):
    """The mean NLL's four terms: {"time", "duration", "note", "volume"}."""
    return {name: float(term.mean()) for name, term in _terms(predictions, targets, sigma_floor).items()}


def mean_nll(predictions, targets, sigma_floor):
    return float(sum(_terms(predictions, targets, sigma_floor).values()).mean())


def marginal_predictions(train_songs, rows):
    """The product-of-marginals baseline: one Gaussian per numeric attribute and the note frequencies
    (plus one, so every note has some probability), fitted on the training events; the same row M times."""
    events = torch.cat([song.double() for song in train_songs])
    counts = torch.bincount(events[:, 2].long().clamp(0, 127), minlength=128).double() + 1
    row = torch.cat([torch.stack([events[:, 0].mean(), events[:, 0].std(), events[:, 1].mean(), events[:, 1].std()]),
                     torch.log(counts / counts.sum()), torch.stack([events[:, 3].mean(), events[:, 3].std()])])
    return row.unsqueeze(0).repeat(rows, 1)


def points(nll, marginal_nll, reference_nll, max_points):
    """Linear between the marginal baseline (0) and the reference (max_points), clipped to that range."""
    fraction = (marginal_nll - nll) / (marginal_nll - reference_nll)
    return max_points * min(1.0, max(0.0, fraction))
