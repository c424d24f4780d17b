"""Question 8's hidden targets cannot be rebuilt from what students receive: the held-out songs come
from scores that the student zip's own code does not name, drawn with a key that only the autograder
zip carries. The attack tried here is the strongest the zip allows: rebuild every song its code can
produce, then look for each shipped test context in them and read off the next event."""
import importlib.util
import shutil
import sys
import zipfile

import numpy as np
import pytest
import torch

from grader.assignments.cs689_hw4 import data, music
from grader.core import assignments
from grader.staff import packaging

cs689 = assignments.get("cs689-hw4")
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


def test_the_key_ships_only_in_the_autograder_zip(student_zip, tmp_path):
    _, contents = student_zip
    key = data.heldout_key()
    assert key and len(key) >= 32
    assert not [name for name, blob in contents.items() if key.encode() in blob or "heldout_key" in name]
    with zipfile.ZipFile(packaging.build_autograder(cs689, tmp_path)) as autograder:
        assert autograder.read("reference/cs689_hw4/heldout_key.txt").decode().strip() == key


def test_rebuilding_from_the_student_zip_finds_no_hidden_target(student_zip, tmp_path):
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

    # The same search over the songs the key draws finds every context and its hidden target, so the
    # search is not what fails above.
    held_out = music._parse_all(music._heldout_scores(data.heldout_key()),
                                _with_cache_of(music._heldout_scores(data.heldout_key()), tmp_path / "keyed"),
                                False, "")
    found = _continuations(shipped_contexts, [events for parts in held_out.values() for _, events in parts])
    assert len(found) == len(shipped_contexts)
    assert all(np.array_equal(found[row], targets[row].numpy()) for row in range(len(targets)))


def test_the_held_out_scores_are_drawn_with_the_key():
    key = data.heldout_key()
    training = {path for _, _, path in music._scores()}
    chosen = music._heldout_scores(key)
    assert chosen and not {path for _, _, path in chosen} & training
    assert music._heldout_scores(key) == chosen                          # deterministic for `make data`
    assert {path for _, _, path in music._heldout_scores("another key")} != {path for _, _, path in chosen}
