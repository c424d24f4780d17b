"""Question 8's hidden targets cannot be rebuilt from what students receive, nor read off published
music. The held-out songs come from scores that the student zip's own code does not name, drawn with a
key that only the autograder zip carries: rebuilding every song the zip's code can produce and looking
for each shipped test context in them finds none. But the held-out scores are published too (music21's
corpus), so a student who parses the rest of it finds every context and its real continuation: the
targets are therefore draws from a generator model given the context (generator.py), and scoring
predictions centred on the real continuations shows what that knowledge is worth now."""
import importlib.util
import json
import math
import shutil
import sys
import zipfile

import numpy as np
import pytest
import torch

from grader.assignments.cs689_hw4 import data, generator, music, scoring
from grader.assignments.cs689_hw4.baselines import train_songs
from grader.core import assignments
from grader.staff import packaging

cs689 = assignments.get("cs689-hw4")
XTE = torch.load(cs689.data_dir / "test.pt", weights_only=True)
TARGETS = torch.load(cs689.data_dir / "hidden" / "test_targets.pt", weights_only=True)
PREFIX = 8  # events that key the search index; a hit is then compared over the whole context


@pytest.fixture(scope="module")
def student_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    archive = packaging.build_bundle(cs689, out)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(out / "unzipped")
        contents = {name: opened.read(name) for name in opened.namelist()}
    return out / "unzipped" / cs689.folder, contents


def _load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # the parsing pool pickles functions by module name
    spec.loader.exec_module(module)
    return module


def _index(songs):
    """{first PREFIX events as bytes: [(song events, position)]} over every window of every song."""
    index = {}
    for events in songs:
        events = np.ascontiguousarray(events, dtype=np.int64)
        for p in range(music.CONTEXT, len(events) + 1):
            index.setdefault(events[p - music.CONTEXT:p - music.CONTEXT + PREFIX].tobytes(), []).append((events, p))
    return index


def _continuations(contexts, songs):
    """For each context found verbatim in ``songs``, the event that follows it there: {row: event}."""
    index, found = _index(songs), {}
    for row, context in enumerate(contexts.numpy()):
        for events, p in index.get(np.ascontiguousarray(context[:PREFIX]).tobytes(), []):
            if p < len(events) and np.array_equal(events[p - music.CONTEXT:p], context):
                found[row] = events[p]
                break
    return found


def _with_cache_of(scores, into):
    """Copy the repository's parsed scores named by ``scores`` into ``into`` (what parsing them anew would
    write, in seconds instead of minutes)."""
    import music21

    version = f"music21-{music21.__version__}-ticks{music.TICKS_PER_QUARTER}-format{music.FORMAT}"
    source, target = cs689.data_dir / "hidden" / "cache" / version, into / "hidden" / "cache" / version
    for artist, _, path in scores:
        name = f"{music._safe(music.Path(path).name)}.npz"
        if (source / artist / name).exists():
            (target / artist).mkdir(parents=True, exist_ok=True)
            shutil.copy(source / artist / name, target / artist / name)
    return target


@pytest.fixture(scope="module")
def real_continuations(tmp_path_factory):
    """{row: the event that follows test context ``row`` in its score}: what a student who parsed the
    held-out scores (published music) would know. Found with the key here, which is the same search."""
    scores = music._heldout_scores(data.heldout_key())
    held_out = music._parse_all(scores, _with_cache_of(scores, tmp_path_factory.mktemp("keyed")), False, "")
    return _continuations(XTE, [events for parts in held_out.values() for _, events in parts])


def test_the_key_and_the_generator_ship_only_in_the_autograder_zip(student_zip, tmp_path):
    _, contents = student_zip
    key = data.heldout_key()
    assert key and len(key) >= 32
    weights = generator.GENERATOR_FILE.read_bytes()
    assert not [name for name, blob in contents.items() if key.encode() in blob or "heldout_key" in name]
    assert not [name for name, blob in contents.items() if weights[-4096:] in blob or "target_generator" in name]
    with zipfile.ZipFile(packaging.build_autograder(cs689, tmp_path)) as autograder:
        assert autograder.read("reference/cs689_hw4/heldout_key.txt").decode().strip() == key
        assert autograder.read("reference/cs689_hw4/target_generator.pt") == weights


def test_rebuilding_from_the_student_zip_finds_no_hidden_target(student_zip, real_continuations, tmp_path):
    folder, _ = student_zip
    zipped = _load_module(folder / "_checker" / "grader" / "assignments" / "cs689_hw4" / "music.py",
                          "student_zip_music")
    shipped_contexts = torch.load(folder / "data" / "test.pt", weights_only=True)
    targets = torch.load(cs689.data_dir / "hidden" / "test_targets.pt", weights_only=True)

    # The zip's own build (it has no key) reproduces the shipped training songs and nothing hidden.
    scores = zipped._scores()
    _with_cache_of(scores, tmp_path)
    message = zipped.build(tmp_path, None, progress=False)
    assert "no held-out key" in message
    assert not (tmp_path / "test.pt").exists() and not (tmp_path / "hidden" / "test_targets.pt").exists()
    rebuilt = sorted(p.relative_to(tmp_path / "train") for p in (tmp_path / "train").rglob("*.pt"))
    shipped = folder / "data" / "train"
    assert rebuilt == sorted(p.relative_to(shipped) for p in shipped.rglob("*.pt"))

    # Every part of every score the zip's code names: no shipped context occurs in any of them.
    every_song = [events for parts in zipped._parse_all(scores, tmp_path / "hidden" / "cache" / next(
        (tmp_path / "hidden" / "cache").iterdir()).name, False, "").values() for _, events in parts]
    assert len(every_song) > 1000
    assert _continuations(shipped_contexts, every_song) == {}

    # The same search over the songs the key draws finds every context, so the search is not what fails
    # above (what the continuations it finds are worth: the tests below).
    assert torch.equal(shipped_contexts, XTE) and len(targets) == len(XTE)
    assert len(real_continuations) == len(shipped_contexts)

    # With the key but without the generator's weights (which the zip lacks too) no targets are written.
    _with_cache_of(scores, tmp_path / "keyed_only")
    message = zipped.build(tmp_path / "keyed_only", data.heldout_key(), None, progress=False)
    assert "no target generator" in message and not (tmp_path / "keyed_only" / "test.pt").exists()


def test_the_held_out_scores_are_drawn_with_the_key():
    key = data.heldout_key()
    training = {path for _, _, path in music._scores()}
    chosen = music._heldout_scores(key)
    assert chosen and not {path for _, _, path in chosen} & training
    assert music._heldout_scores(key) == chosen                          # deterministic for `make data`
    assert {path for _, _, path in music._heldout_scores("another key")} != {path for _, _, path in chosen}


def _centred_on(events, sigma, note_probability):
    """Predictions (M, 134) centred on ``events`` (M, 4): Gaussians of spread ``sigma`` on their time,
    duration and volume, ``note_probability`` on their note and the rest spread evenly over the others."""
    events = torch.as_tensor(events, dtype=torch.float64)
    log_pi = torch.full((len(events), 128), math.log((1 - note_probability) / 127), dtype=torch.float64)
    log_pi.scatter_(1, events[:, 2:3].long(), math.log(note_probability))
    sigmas = torch.full((len(events), 1), float(sigma), dtype=torch.float64)
    return torch.cat([events[:, 0:1], sigmas, events[:, 1:2], sigmas, log_pi, events[:, 3:4], sigmas], dim=1)


def _points(predictions):
    baselines, floor = cs689.baselines, cs689.settings["sigma_floor"]
    nll = scoring.mean_nll(predictions, TARGETS, floor)
    return nll, scoring.points(nll, baselines["marginal_nll"], baselines["reference_nll"], 9.0)


@pytest.mark.parametrize("sigma, note_probability", [(1.0, 0.99), (8.0, 0.5)])
def test_the_real_continuations_earn_no_more_than_the_reference(real_continuations, sigma, note_probability):
    real = np.stack([real_continuations[row] for row in range(len(XTE))])
    attack = _centred_on(real, sigma, note_probability)
    # Had the targets been the real continuations (the published music), this attack would take full marks.
    published = scoring.mean_nll(attack, torch.from_numpy(real), cs689.settings["sigma_floor"])
    assert published < cs689.baselines["reference_nll"]
    # On the generator's draws it does worse than the product of the marginals: no points.
    nll, points = _points(attack)
    assert nll > cs689.baselines["marginal_nll"] and points == 0.0, (nll, points)


def test_a_weak_model_gains_little_from_the_real_continuations(real_continuations):
    """The marginal baseline with its means moved onto the real continuation and 30% of its note
    probability on the real note: what the published music is still worth to a student with no model."""
    real = torch.from_numpy(np.stack([real_continuations[row] for row in range(len(XTE))]))
    predictions = scoring.marginal_predictions(train_songs(cs689.data_dir), len(XTE))
    predictions[:, [0, 2, 132]] = real[:, [0, 1, 3]].double()
    on_real = torch.zeros(len(XTE), 128, dtype=torch.float64).scatter_(1, real[:, 2:3], 1.0)
    predictions[:, 4:132] = torch.log(0.7 * predictions[:, 4:132].exp() + 0.3 * on_real)
    nll, points = _points(predictions)
    assert points < 1.5, (nll, points)


def test_the_targets_are_the_generators_draws_not_the_music(real_continuations):
    real = torch.from_numpy(np.stack([real_continuations[row] for row in range(len(XTE))]))
    same = (TARGETS == real).all(dim=1).float().mean().item()
    assert same < 0.25, f"{same:.0%} of the targets are the real continuation"
    # valid events: the columns' ranges of music.py's rules, and values music has
    assert (TARGETS[:, :2] >= 0).all() and ((TARGETS[:, 2] >= 0) & (TARGETS[:, 2] <= 127)).all()
    assert ((TARGETS[:, 3] >= 1) & (TARGETS[:, 3] <= 127)).all()
    assert TARGETS[:, 2].unique().numel() > 30 and (TARGETS[:, 0] == 0).any() and (TARGETS[:, 0] > 12).any()
    # plausible for a model of the music: the reference, a different fit, comes near the generator itself
    # (which no model can beat on average), and far from the product of the marginals
    params = generator.predictions(generator.load(), XTE)
    own = scoring.mean_nll(params, TARGETS, cs689.settings["sigma_floor"])
    baselines = cs689.baselines
    assert own < baselines["reference_nll"] < baselines["marginal_nll"] - 2
    assert baselines["reference_nll"] - own < (baselines["marginal_nll"] - own) / 2
    # and they are exactly the generator's draws with the key
    assert torch.equal(TARGETS, torch.from_numpy(generator.sample(params.numpy(), data.heldout_key())))


def test_building_again_draws_the_same_targets_whatever_the_thread_count(tmp_path):
    key = data.heldout_key()
    _with_cache_of(music._scores() + music._heldout_scores(key), tmp_path)
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if threads > 1 else 2)
    try:
        music.build(tmp_path, key, generator.sampler(key), progress=False)
    finally:
        torch.set_num_threads(threads)
    rebuilt = json.loads((tmp_path / "music_manifest.json").read_text())
    assert rebuilt == json.loads((cs689.data_dir / "music_manifest.json").read_text())
    assert torch.equal(torch.load(tmp_path / "hidden" / "test_targets.pt", weights_only=True), TARGETS)


def test_a_draw_follows_the_predicted_distribution_within_the_valid_values():
    rows = 4000
    params = torch.zeros(rows, 134, dtype=torch.float64)
    params[:, [0, 1, 2, 3, 132, 133]] = torch.tensor([-40.0, 1.0, 30.0, 5.0, 200.0, 1.0], dtype=torch.float64)
    log_pi = torch.full((128,), -1e9, dtype=torch.float64)
    log_pi[[60, 64, 127]] = torch.log(torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64))
    params[:, 4:132] = log_pi
    drawn = generator.sample(params.numpy(), "a key")
    assert drawn.dtype == np.int64 and drawn.shape == (rows, 4)
    assert (drawn[:, 0] == 0).all() and (drawn[:, 3] == 127).all()          # clamped into the valid values
    assert abs(drawn[:, 1].mean() - 30) < 0.5 and abs(drawn[:, 1].std() - 5) < 0.5
    assert set(np.unique(drawn[:, 2])) == {60, 64, 127}
    assert [round(float((drawn[:, 2] == n).mean()), 1) for n in (60, 64, 127)] == [0.5, 0.3, 0.2]
    params[:, 132] = -20.0
    assert (generator.sample(params.numpy(), "a key")[:, 3] == 1).all()
    assert np.array_equal(generator.sample(params.numpy(), "a key"), generator.sample(params.numpy(), "a key"))
    assert not np.array_equal(generator.sample(params.numpy(), "a key"), generator.sample(params.numpy(), "another"))


def test_make_generator_trains_weights_that_draw_targets(tmp_path):
    """``make generator``'s training, on a few songs for one epoch: the weights load and draw valid targets,
    and the seed comes from the key (the reference's is 0)."""
    songs = sorted((cs689.data_dir / "train").glob("*/*.pt"))[::200]
    for path in songs:
        (tmp_path / "train" / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, tmp_path / "train" / path.parent.name / path.name)
    message = generator.train(tmp_path, "a key", out=tmp_path / "generator.pt", epochs=1, progress=False)
    assert f"on {len(songs)} training songs for 1 epoch(s)" in message
    drawn = generator.sampler("a key", tmp_path / "generator.pt")(XTE[:50])
    assert drawn.shape == (50, 4) and (drawn >= generator.LOWEST).all() and (drawn <= generator.HIGHEST).all()
    assert len({generator.training_seed(key) for key in ("a key", "another key", data.heldout_key(), "0")}) == 4
    assert generator.sampler("a key", tmp_path / "absent.pt") is None


def test_weights_that_no_longer_fit_the_model_say_what_to_run(tmp_path):
    weights = torch.load(generator.GENERATOR_FILE, weights_only=True)
    weights.pop("sigma_extra")
    torch.save(weights, tmp_path / "old.pt")
    with pytest.raises(RuntimeError, match=r"old.pt does not fit the reference's NoteModel .* `make generator`"):
        generator.load(tmp_path / "old.pt")
