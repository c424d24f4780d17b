"""The next-note data set of part 2 (questions 4-8), built from the scores music21 ships.

The course's files come from the Lakh MIDI data set, which cannot be downloaded here. This module
writes the same layout from music21's bundled corpus, one song per instrument part:

    train/<artist>/<song>.pt      LongTensor (L, 4): [time since the last event, duration, note, volume]
    test.pt                       LongTensor Xte (M, 64, 4): contexts from held-out songs
    hidden/test_targets.pt        LongTensor (M, 4): a draw of the event after each context (autograder only)
    music_manifest.json           counts, the rules below, and a fingerprint of test.pt and the targets

Rules (see data/README.md):
- times and durations are in ticks, TICKS_PER_QUARTER to a quarter note; tied notes are merged;
  a chord gives one event per pitch, lowest first, the later ones 0 ticks after the first;
- the note is the MIDI pitch (0-127);
- the volume is the score's latest dynamic marking (music21's velocity scale) or mezzo-forte when
  there is none, with a metrical accent: round(base x (0.85 + 0.15 x beat strength));
- the training songs are every part of the scores ``SOURCES`` picks (spread evenly over each
  composer's list). The held-out songs come from other scores of the same composers, chosen with a
  secret key, and up to TEST_PER_SONG positions of each part longer than CONTEXT events, also drawn
  with the key, give a test context (always a full one);
- a context's target is not the event that follows it in the score (that score is published music),
  but a draw from a generator model given the context (``generator.py``), made with the key.

The key (``HELDOUT_KEY``, staff-only: it lives beside the reference solutions and ships only in the
autograder zip) is what keeps the targets hidden: this code ships to students, and without the key
it names only the training scores, so rebuilding the data at home reproduces no held-out song. And
since the held-out songs are still published music, the targets are drawn from the generator, whose
weights are staff-only too: finding a context's score gives its real continuation, not its target.
Parsing is cached per score under ``hidden/cache/``, closed to the sandbox like the targets.
"""
import hashlib
import json
import os
import shutil
from multiprocessing import get_context
from pathlib import Path

import numpy as np

TICKS_PER_QUARTER = 12
CONTEXT = 64
TEST_PER_SONG = 12
FORMAT = 1  # bump when the event rules above change: the cache is keyed by it
# (artist folder, music21 corpus composer, how many scores): spread evenly over the composer's list
# Mostly long parts, like the test contexts; Bach's chorale parts (about 55 events) are the short songs.
SOURCES = (("bach", "bach", 40), ("palestrina", "palestrina", 130), ("ryans_mammoth", "ryansMammoth", 150),
           ("monteverdi", "monteverdi", 16), ("josquin", "josquin", 8), ("trecento", "trecento", 16))
# Held-out scores per artist, drawn with the key from the composer's scores that SOURCES does not pick
# (about one for every eight picked; Josquin's eight scores are all picked, so all train).
HELDOUT_SCORES = {"bach": 5, "palestrina": 16, "ryans_mammoth": 19, "monteverdi": 2, "trecento": 2}
MEZZO_FORTE = 0.63  # music21's volumeScalar for mf; used until a score's first marking


def _part_events(part):
    from music21 import dynamics, note

    flat = part.stripTies().flatten()
    marks = sorted(((float(d.offset), d.volumeScalar) for d in flat.getElementsByClass(dynamics.Dynamic)
                    if d.volumeScalar is not None), key=lambda m: m[0])
    base, events, last_onset = round(127 * MEZZO_FORTE), [], 0
    for element in flat.notes:
        while marks and marks[0][0] <= float(element.offset):
            base = round(127 * marks.pop(0)[1])
        try:
            strength = float(element.beatStrength)
        except Exception:  # no time signature in reach
            strength = 0.5
        volume = int(min(127, max(1, round(base * (0.85 + 0.15 * strength)))))
        onset = round(float(element.offset) * TICKS_PER_QUARTER)
        duration = max(0, round(float(element.quarterLength) * TICKS_PER_QUARTER))
        pitches = [element.pitch] if isinstance(element, note.Note) else sorted(element.pitches, key=lambda p: p.midi)
        for pitch in pitches:
            events.append((max(0, onset - last_onset), duration, int(min(127, max(0, pitch.midi))), volume))
            last_onset = onset
    return np.array(events, dtype=np.int64).reshape(-1, 4)


def _parse(path):
    """Every part of one score as an (L, 4) array; [] when music21 cannot read it."""
    from music21 import converter, stream

    try:
        score = converter.parse(path)
    except Exception:
        return []
    if isinstance(score, stream.Opus):
        score = score.scores[0] if len(score.scores) else None
    if score is None:
        return []
    parts = list(score.parts) if len(score.parts) else [score]
    return [events for events in map(_part_events, parts) if len(events) >= 2]


def _cached_parse(job):
    path, cache_file = job
    cache_file = Path(cache_file)
    if cache_file.exists():
        with np.load(cache_file) as cached:
            return [cached[f"part{i}"] for i in range(len(cached.files))]
    parts = _parse(path)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache_file.with_suffix(".tmp.npz")
    np.savez(temporary, **{f"part{i}": events for i, events in enumerate(parts)})
    os.replace(temporary, cache_file)
    return parts


def _composer_paths(composer):
    from music21 import corpus

    return sorted((str(p) for p in corpus.getComposer(composer)), key=str)


def _scores():
    """(artist, song stem, corpus path) of the training scores, in a fixed order."""
    chosen = []
    for artist, composer, count in SOURCES:
        paths = _composer_paths(composer)
        picks = np.linspace(0, len(paths) - 1, num=min(count, len(paths))).round().astype(int)
        for index in sorted(set(picks.tolist())):
            path = Path(paths[index])
            chosen.append((artist, path.stem, str(path)))  # "madrigal.3.1.mxl" -> "madrigal.3.1": unique
    return chosen


def _keyed_rng(key: str, *names) -> np.random.Generator:
    digest = hashlib.sha256("\0".join((key, *names)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def _heldout_scores(key: str):
    """(artist, song stem, corpus path) of the held-out scores: drawn with ``key`` from each composer's
    scores outside the training picks."""
    training = {path for _, _, path in _scores()}
    chosen = []
    for artist, composer, _ in SOURCES:
        others = [path for path in _composer_paths(composer) if path not in training]
        count = min(HELDOUT_SCORES.get(artist, 0), len(others))
        for index in sorted(_keyed_rng(key, "scores", artist).choice(len(others), size=count, replace=False)):
            chosen.append((artist, Path(others[index]).stem, others[index]))
    return chosen


def _safe(name):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _parse_all(scores, cache, progress, what):
    jobs = [(path, str(cache / artist / f"{_safe(Path(path).name)}.npz")) for artist, _, path in scores]
    with get_context("fork").Pool(min(2, os.cpu_count() or 1)) as pool:
        parsed = list(tqdm_or_plain(pool.imap(_cached_parse, jobs, chunksize=4), len(jobs), what, progress))
    songs = {}
    for (artist, stem, _), parts in zip(scores, parsed, strict=True):
        for index, events in enumerate(parts):
            songs.setdefault(artist, []).append((_safe(f"{stem}_part{index}"), events))
    return songs


def _windows(events):
    """Every CONTEXT-event window of a song, as bytes."""
    events = np.ascontiguousarray(events, dtype=np.int64)
    return {events[p - CONTEXT:p].tobytes() for p in range(CONTEXT, len(events) + 1)}


def tqdm_or_plain(iterable, total, what, progress):
    from tqdm import tqdm

    return tqdm(iterable, total=total, unit="score", desc=what, disable=not progress)


def build(target: Path, key: str | None, draw_targets=None, progress=True) -> str:
    """Write the data set under ``target``. Without ``key`` or ``draw_targets`` (contexts (M, C, 4) ->
    targets (M, 4), the generator's draws; a student's copy of this code has neither) only the training
    songs are written: the held-out songs, test.pt and the targets need both."""
    import music21
    import torch

    cache = target / "hidden" / "cache" / f"music21-{music21.__version__}-ticks{TICKS_PER_QUARTER}-format{FORMAT}"
    songs = _parse_all(_scores(), cache, progress, "cs689-hw4 music data")
    train_dir = target / "train"
    if train_dir.exists():
        shutil.rmtree(train_dir)
    counts = {}
    for artist in sorted(songs):
        counts[artist] = {"train songs": 0, "held-out songs": 0}
        for name, events in sorted(songs[artist], key=lambda s: s[0]):
            (train_dir / artist).mkdir(parents=True, exist_ok=True)
            torch.save(torch.from_numpy(events), train_dir / artist / f"{name}.pt")
            counts[artist]["train songs"] += 1
    train_songs = sum(c["train songs"] for c in counts.values())
    written = f"wrote {train_songs} training songs by {len(counts)} artists under {train_dir}"
    if not key:
        return written + " (no held-out key: test.pt and hidden/test_targets.pt not written)"
    if draw_targets is None:
        return written + (" (no target generator: test.pt and hidden/test_targets.pt not written; "
                          "train it with `make generator`)")

    contexts = []
    held_out = _parse_all(_heldout_scores(key), cache, progress, "cs689-hw4 held-out scores")
    # The corpus holds some tunes twice (one arrangement in two files): a held-out part that shares any
    # window with a training song would give its continuations away (the generator has learnt them
    # too), so it is left out.
    training_windows = {window for parts in songs.values() for _, events in parts for window in _windows(events)}
    for artist in sorted(held_out):
        for name, events in sorted(held_out[artist], key=lambda s: s[0]):
            if len(events) <= CONTEXT or not training_windows.isdisjoint(_windows(events)):
                continue
            counts.setdefault(artist, {"train songs": 0, "held-out songs": 0})["held-out songs"] += 1
            positions = np.arange(CONTEXT, len(events))
            picks = _keyed_rng(key, "positions", artist, name).choice(
                positions, size=min(TEST_PER_SONG, len(positions)), replace=False)
            contexts.extend(events[p - CONTEXT:p] for p in np.sort(picks))
    Xte = torch.from_numpy(np.stack(contexts))
    test_targets = torch.from_numpy(np.ascontiguousarray(draw_targets(Xte), dtype=np.int64))
    (target / "hidden").mkdir(parents=True, exist_ok=True)
    torch.save(Xte, target / "test.pt")
    torch.save(test_targets, target / "hidden" / "test_targets.pt")
    manifest = {"ticks_per_quarter": TICKS_PER_QUARTER, "context": CONTEXT, "music21": music21.__version__,
                "artists": counts, "test_contexts": len(Xte), "targets": "drawn from the target generator",
                "fingerprint": fingerprint(Xte, test_targets)}
    (target / "music_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    held = sum(c["held-out songs"] for c in counts.values())
    return (f"{written}, test.pt ({len(Xte)} contexts of {CONTEXT} events from {held} held-out songs) "
            "and hidden/test_targets.pt (drawn from the target generator)")


def fingerprint(Xte, targets) -> str:
    """sha256 of the test contexts and targets: baselines and the reference's predictions name the
    data they were computed on, so a rebuilt data set cannot silently mismatch them."""
    digest = hashlib.sha256()
    for tensor in (Xte, targets):
        digest.update(np.ascontiguousarray(tensor.numpy()).tobytes())
    return digest.hexdigest()[:16]
