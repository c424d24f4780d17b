"""cs689-hw4 part 2: the music data set and its rules, the reference data loader and model, the
baselines in config.toml, and the scoring of note_predictions.pt (valid, corrupt and hostile files)."""
import functools
import json
import pickle
import shutil

import numpy as np
import pytest
import torch

from conftest import failed_checks, validate_results
from grader.assignments.cs689_hw4 import checks, music, scoring
from grader.assignments.cs689_hw4.baselines import measure, train_songs
from grader.core import assignments
from grader.core.checks import CheckFailed, CheckInfo
from grader.core.grading import Context, Session

cs689 = assignments.get("cs689-hw4")
DATA = cs689.data_dir
TARGETS = torch.load(DATA / "hidden" / "test_targets.pt", weights_only=True)
XTE = torch.load(DATA / "test.pt", weights_only=True)


# ------------------------------------------------------------------------------ the data

def test_events_follow_the_documented_rules():
    from music21 import chord, dynamics, meter, note, stream, tie

    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    part.append(note.Note("C4", quarterLength=1))                      # beat 1 (strength 1)
    part.append(note.Rest(quarterLength=1))
    first, second = note.Note("D4", quarterLength=0.5), note.Note("D4", quarterLength=0.5)
    first.tie, second.tie = tie.Tie("start"), tie.Tie("stop")
    part.append([first, second])                                        # beat 3, tied into one quarter
    part.insert(4.0, dynamics.Dynamic("f"))
    part.insert(4.0, chord.Chord(["G4", "E4"], quarterLength=2))         # next bar, forte, a chord
    events = music._part_events(part).tolist()
    mf, f = round(127 * music.MEZZO_FORTE), round(127 * dynamics.Dynamic("f").volumeScalar)
    tick = music.TICKS_PER_QUARTER
    assert events == [[0, tick, 60, round(mf * 1.0)],                   # strength 1: the full base
                      [2 * tick, tick, 62, round(mf * (0.85 + 0.15 * 0.5))],   # after the rest; ties merged
                      [2 * tick, 2 * tick, 64, f],                      # the chord's lower note first
                      [0, 2 * tick, 67, f]]                             # then the upper, 0 ticks later


def test_the_data_have_the_handouts_layout():
    songs = sorted((DATA / "train").glob("*/*.pt"))
    assert len({p.parent.name for p in songs}) >= 5 and len(songs) > 500
    for path in songs[::50]:
        song = torch.load(path, weights_only=True)
        assert song.dtype == torch.long and song.dim() == 2 and song.shape[1] == 4 and len(song) >= 2
        assert (song[:, :2] >= 0).all() and ((song[:, 2:] >= 0) & (song[:, 2:] <= 127)).all()
    assert XTE.dtype == torch.long and XTE.shape[1:] == (64, 4) and TARGETS.shape == (len(XTE), 4)
    assert any(len(torch.load(p, weights_only=True)) < 64 for p in songs[:40]), "some songs are shorter than C"
    manifest = json.loads((DATA / "music_manifest.json").read_text())
    assert manifest["fingerprint"] == music.fingerprint(XTE, TARGETS)
    # every song has its own file: no two parts share a name (and overwrite each other)
    assert len(songs) == sum(counts["train songs"] for counts in manifest["artists"].values())


def test_test_contexts_come_from_songs_held_out_of_training():
    windows = set()
    for song in train_songs(DATA):
        rows = [tuple(r) for r in song.tolist()]
        windows.update(tuple(rows[i:i + 12]) for i in range(len(rows) - 11))
    leaked = sum(tuple(tuple(r) for r in context[:12].tolist()) in windows for context in XTE)
    assert leaked <= len(XTE) // 50, f"{leaked} test contexts start like a training window"


# ------------------------------------------------------------------------------ the reference

def test_reference_dataset_gives_every_window_of_every_song(tmp_path):
    experiments = cs689.load_reference().experiments
    songs = checks._random_songs(np.random.default_rng(1), [3, 64, 100])
    for name, events in songs.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        torch.save(events, tmp_path / f"{name}.pt")
    dataset = experiments.NoteDataset(tmp_path)
    assert len(dataset) == sum(len(s) - 1 for s in songs.values())
    sources = {checks._source_of(*dataset[i], songs) for i in range(len(dataset))}
    assert None not in sources and len(sources) == len(dataset)
    context, _ = dataset[0]
    assert (context[:-1] == 0).all(), "a song's first target has 63 padding rows of zeros"


def test_reference_model_and_loss():
    reference = cs689.load_reference()
    model = reference.model.NoteModel()
    params = model(XTE[:8])
    assert params.shape == (8, 134) and model(XTE[0]).shape == (1, 134)
    assert scoring.problems(params.detach(), 8, 1e-5) == []
    # the training loss is the scored NLL (its sigmas are above the floor already)
    assert reference.experiments.negative_log_likelihood(params, TARGETS[:8]).item() == pytest.approx(
        scoring.mean_nll(params.detach(), TARGETS[:8], cs689.settings["sigma_floor"]), rel=1e-5)


def test_baselines_in_the_config_are_those_of_the_current_data_and_reference():
    measured = measure(cs689, cs689.reference_dir / "note_predictions.pt")
    assert cs689.baselines["data_fingerprint"] == measured["data_fingerprint"], "run `make baselines`"
    for key in ("marginal_nll", "reference_nll"):
        assert cs689.baselines[key] == pytest.approx(measured[key], abs=1e-5), "run `make baselines`"
    assert measured["reference_nll"] < measured["marginal_nll"] - 1.0, "the reference must clearly beat the marginals"


def test_the_sigma_floor_bounds_the_score():
    import math

    reference = torch.load(cs689.reference_dir / "note_predictions.pt", weights_only=True)
    collapsed = reference.clone()
    collapsed[:, 132], collapsed[:, 133] = TARGETS[:, 3].float(), 1e-6  # every volume exactly right, sigma ~ 0
    floor = cs689.settings["sigma_floor"]
    # without the floor, shrinking sigma lowers the NLL without bound (here by 13.8 nats a row at 1e-6)
    assert scoring.mean_nll(collapsed, TARGETS, 0.0) < scoring.mean_nll(reference, TARGETS, 0.0) - 10
    # with it, a perfect volume term is worth no more than an exact mean at sigma = floor
    assert scoring.nll_parts(collapsed, TARGETS, floor)["volume"] == pytest.approx(0.5 * math.log(2 * math.pi)
                                                                                   + math.log(floor))


# ------------------------------------------------------------------------------ note_predictions.pt

def _context(folder):
    """A hidden check's context on ``folder``, for checks that only read its files (no sandbox)."""
    session = Session(cs689, folder, sandbox=None, reference=None, seed=0, budget=60)
    return Context(session, CheckInfo("8", 9.0, False, "t", "t"), run_seed=0)


class RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


@functools.cache
def _reference_predictions():
    return torch.load(cs689.reference_dir / "note_predictions.pt", weights_only=True)


def _valid():
    return _reference_predictions().clone()


def _with(column, value):
    predictions = _valid()
    predictions[5, column] = value
    return predictions


CORRUPT = {
    "a dict": ({"predictions": _valid()}, "holds a dict, not a tensor"),
    "wrong shape": (_valid()[:, :130], "expected ("),
    "missing rows": (_valid()[:-1], "row i must be the prediction for Xte[i]"),
    "integers": (_valid().long(), "must be floating point"),
    "NaN": (_with(0, float("nan")), "NaN or infinite (first: row 5, column 0)"),
    "inf": (_with(133, float("inf")), "NaN or infinite"),
    "negative sigma": (_with(3, -2.0), "row 5 has sigma_d = -2"),
    "logits": (torch.cat([_valid()[:, :4], torch.randn(len(XTE), 128), _valid()[:, 132:]], dim=1), "use log_softmax"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_each_corrupt_predictions_file_gets_its_own_message(tmp_path, case):
    content, expected = CORRUPT[case]
    torch.save(content, tmp_path / "note_predictions.pt")
    with pytest.raises(CheckFailed) as failure:
        checks._load_predictions(_context(tmp_path))
    assert expected in str(failure.value)


def test_a_pickle_that_would_run_code_is_refused_unrun(tmp_path, capsys):
    torch.save({"x": RunsCode()}, tmp_path / "note_predictions.pt", pickle_module=pickle)
    with pytest.raises(CheckFailed, match="could not be loaded with torch.load"):
        checks._load_predictions(_context(tmp_path))
    assert "this must never run" not in capsys.readouterr().out


def test_reference_scores_full_marks_and_the_marginal_baseline_none(graders, tmp_path):
    grader = graders("cs689-hw4")
    folder = tmp_path / "marginal"
    shutil.copytree(cs689.reference_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    torch.save(scoring.marginal_predictions(train_songs(DATA), len(XTE)).float(), folder / "note_predictions.pt")
    baseline = grader.grade(folder)
    validate_results(baseline)
    nll = next(t for t in baseline["tests"] if t["number"] == "8.2")
    assert nll["score"] == pytest.approx(0.0, abs=0.05) and "product-of-marginals baseline" in nll["output"]
    assert failed_checks(baseline) == {grader.title("test_negative_log_likelihood")}
    reference = grader.grade(cs689.reference_dir)
    assert reference["score"] == sum(info.points for info, _ in cs689.checks)
    board = reference["leaderboard"]
    assert len(board) == 1 and board[0]["order"] == "asc"
    assert board[0]["value"] == pytest.approx(cs689.baselines["reference_nll"], abs=1e-4)


def test_an_oversized_predictions_file_is_not_loaded(graders, tmp_path):
    folder = tmp_path / "big"
    shutil.copytree(cs689.reference_dir, folder, ignore=shutil.ignore_patterns("__pycache__"))
    torch.save(torch.zeros(len(XTE) * 40, 134), folder / "note_predictions.pt")
    results = graders("cs689-hw4").grade(folder)
    test = next(t for t in results["tests"] if t["number"] == "8.1")
    assert test["status"] == "failed" and "the limit is 20.0 MB" in test["output"]


def test_part_one_alone_is_graded_on_question_three(graders, tmp_path):
    folder = tmp_path / "part1"
    folder.mkdir()
    shutil.copy(cs689.reference_dir / "gmm.py", folder / "gmm.py")
    results = graders("cs689-hw4").grade(folder)
    validate_results(results)
    for test in results["tests"]:
        question = test["number"].split(".")[0].rstrip("abcde")
        if question == "3":
            assert test["status"] == "passed", test
        elif test["number"].endswith(".0"):  # a rule about an absent file is not broken: nothing deducted
            assert test["status"] == "passed" and test["output"].startswith("Not checked: The submission has no")
        else:
            assert test["status"] == "failed" and "no file named" in test["output"], test
    assert results["score"] == sum(info.points for info, _ in cs689.checks if info.question.startswith("3"))


def test_a_collapsed_sigma_is_scored_at_the_floor_and_the_report_says_so(tmp_path):
    collapsed = _valid()
    collapsed[:, 133] = 1e-3   # volume sigmas far below the floor
    torch.save(collapsed, tmp_path / "note_predictions.pt")
    scored = checks.test_negative_log_likelihood(_context(tmp_path))
    floor = cs689.settings["sigma_floor"]
    assert scored.leaderboard["Test NLL (lower is better)"][0] == pytest.approx(
        scoring.mean_nll(collapsed, TARGETS, floor), abs=1e-4)
    assert f"without that floor the NLL would be {scoring.mean_nll(collapsed, TARGETS, 0.0):.4f}" in scored.report
    assert 0 <= scored.points <= 9
