"""cs689-hw4 submissions that try to earn points by what the worker reports about itself."""
import shutil

from grader.assignments.cs689_hw4 import checks
from grader.core import assignments
from grader.core.grading import Context, Session, run_check

cs689 = assignments.get("cs689-hw4")

# A log_posterior that is slow on 1000 images, and a worker whose clocks stand still.
SLOW_WITH_FROZEN_CLOCKS = '''
import time as _time
_sleep = _time.sleep
_time.perf_counter = _time.monotonic = _time.time = lambda: 0.0
_time.perf_counter_ns = _time.monotonic_ns = lambda: 0
_correct = log_posterior


def log_posterior(X, mu, Sigma, pi):
    if len(X) >= 1000:
        _sleep(SLOW)
    return _correct(X, mu, Sigma, pi)
'''


def run_one(graders, folder, name, seed=0):
    grader = graders("cs689-hw4")
    info, func = next((info, func) for info, func in cs689.checks if info.name == name)
    session = Session(cs689, folder, grader.sandbox, grader.reference, seed, 240)
    return run_check(func, Context(session, info, seed))


def test_a_slow_log_posterior_cannot_report_its_own_time(graders, tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "SLOW_SECONDS", 3.0)
    shutil.copy(cs689.reference_dir / "gmm.py", tmp_path / "gmm.py")
    with open(tmp_path / "gmm.py", "a") as gmm:
        gmm.write(SLOW_WITH_FROZEN_CLOCKS.replace("SLOW", "4.0"))
    verdict = run_one(graders, tmp_path, "vectorised")
    assert isinstance(verdict, str) and "for 1000 images (limit 3 s)" in verdict
    seconds = float(verdict.split("log_posterior took ")[1].split(" s")[0])
    assert seconds >= 4.0


def test_the_same_code_without_the_delay_is_in_time(graders, tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "SLOW_SECONDS", 3.0)
    shutil.copy(cs689.reference_dir / "gmm.py", tmp_path / "gmm.py")
    with open(tmp_path / "gmm.py", "a") as gmm:
        gmm.write(SLOW_WITH_FROZEN_CLOCKS.replace("SLOW", "0.0"))
    assert run_one(graders, tmp_path, "vectorised") is None


# A NoteDataset that is neither a class nor a function: an object whose call takes no arguments, with no
# __name__ for the grader to print, and a Dataset subclass of its own beside it.
ODD_NOTE_DATASET = '''
from torch.utils.data import Dataset


class Windows(Dataset):
    def __init__(self, songs, size):
        self.items = []


class _Factory:
    def __call__(self):
        return Windows([], 32)


NoteDataset = _Factory()
'''


def test_an_odd_note_dataset_is_left_to_the_staff_never_a_grader_error_or_a_pass(graders, tmp_path):
    from grader.core.checks import ByHand

    for name in ("model.py", "experiments.py"):
        shutil.copy(cs689.reference_dir / name, tmp_path / name)
    (tmp_path / "experiments.py").write_text("from model import NoteModel\n" + ODD_NOTE_DATASET)
    verdict = run_one(graders, tmp_path, "dataset_items_are_windows_of_one_song")
    assert isinstance(verdict, ByHand), verdict
    assert "cannot be called that way" in verdict.reason and "Windows(songs, size)" in verdict.reason
