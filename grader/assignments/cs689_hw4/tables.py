"""The reference's tables of questions 3b and 3d, for TAs comparing written reports
(``python -m grader tables cs689-hw4``)."""


def tables(assignment):
    """[(title, column headers, rows)]: one row per supplied image, one column per component."""
    gmm = assignment.load_reference().gmm
    full, left = gmm.tables(assignment.data_dir / "mixture_model.npz", assignment.data_dir / "mixture_data.npz")
    headers = ["case"] + [f"z={z}" for z in range(full.shape[1])]
    return [(f"3b: log P(Z = z | x_n), all {len(gmm.LEFT_HALF) * 2} pixels", headers,
             [[n, *row] for n, row in enumerate(full.tolist())]),
            (f"3d: log P(Z = z | x_n), the left half ({len(gmm.LEFT_HALF)} pixels: columns 0-13 of every row)",
             headers, [[n, *row] for n, row in enumerate(left.tolist())])]
