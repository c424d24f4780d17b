"""The two artifacts a course ships for an assignment.

``build_autograder`` writes ``<id>-autograder.zip`` in Gradescope's layout: ``setup.sh`` and
``run_autograder`` at the top, beside the engine, this assignment's checks, its reference and
its data (hidden data included). ``build_bundle`` writes ``<id>-student.zip``: the templates,
the public data, the engine with this assignment's checks, ``check.py`` to run the self-check,
and a README. No reference file or hidden data goes into the student zip.
"""
import zipfile
from pathlib import Path

from grader import REPO_ROOT
from grader.staff.templates import template_files

GRADESCOPE = Path(__file__).resolve().parent / "gradescope"
# "cache": what a data builder keeps to rebuild quickly (parsed scores, say), never part of the data
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", "cache"}

CHECK_PY = '''"""Self-check: `python check.py` runs the public checks on the files in this folder.

In a notebook (Jupyter or Colab), `%run check.py` (with this folder's path) checks the notebook you
are running instead, as its kernel has run it."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_checker"))

from grader.cli import main  # noqa: E402
from grader.core.in_notebook import check_running_notebook, kernel_shell  # noqa: E402

if __name__ == "__main__":
    shell = kernel_shell()
    if shell is not None:
        check_running_notebook("{assignment}", shell)
    else:
        sys.exit(main(["check", "{assignment}", HERE]))
'''
# What the self-check needs, in versions published for Python 3.10 to 3.13 on macOS, Windows and Linux.
STUDENT_REQUIREMENTS = GRADESCOPE / "student_requirements.txt"


def _files_under(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not SKIPPED_PARTS & set(path.relative_to(folder).parts):
            yield path


# What a student's self-check does not need: the course staff's wing (templates, zips, class grading).
COURSE_STAFF_ONLY = Path("staff")


def _engine_files(assignment, for_students=False):
    """The grader package with only this assignment's folder (and shared modules) in grader/assignments/."""
    package = REPO_ROOT / "grader"
    own = package / "assignments" / assignment.folder
    for path in _files_under(package):
        relative = path.relative_to(package)
        if relative.parts[0] == "assignments" and len(relative.parts) > 2 and \
                not path.is_relative_to(own):
            continue
        # Beside the assignments' folders only shared code ships; the course staff's walkthrough
        # (README.md, which shows a whole solved example) does not.
        if relative.parts[0] == "assignments" and len(relative.parts) == 2 and path.suffix != ".py":
            continue
        if for_students and relative.is_relative_to(COURSE_STAFF_ONLY):
            continue
        yield path, Path("grader") / relative


def _write(archive: zipfile.ZipFile, name, data: bytes, executable=False):
    info = zipfile.ZipInfo(str(name), date_time=(2020, 1, 1, 0, 0, 0))  # reproducible archives
    info.external_attr = (0o755 if executable else 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_autograder(assignment, out_dir) -> Path:
    out = Path(out_dir) / f"{assignment.id}-autograder.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _write(archive, "setup.sh", (GRADESCOPE / "setup.sh").read_bytes(), executable=True)
        runner = (GRADESCOPE / "run_autograder").read_text().replace("__ASSIGNMENT__", assignment.id)
        _write(archive, "run_autograder", runner.encode(), executable=True)
        # setup.sh installs exactly these: the interpreter and every package the tests ran on.
        for name in ("requirements.lock", ".python-version"):
            _write(archive, name, (REPO_ROOT / name).read_bytes())
        for path, name in _engine_files(assignment):
            _write(archive, name, path.read_bytes())
        for folder in (assignment.reference_dir, assignment.data_dir):
            if folder.is_dir():
                for path in _files_under(folder):
                    _write(archive, path.relative_to(REPO_ROOT), path.read_bytes())
    return out


def build_bundle(assignment, out_dir) -> Path:
    out = Path(out_dir) / f"{assignment.id}-student.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    top = Path(assignment.folder)
    readme = (GRADESCOPE / "student_README.md").read_text().replace("__TITLE__", assignment.title) \
        .replace("__FILES__", ", ".join(f"`{name}`" for name in assignment.files))
    with zipfile.ZipFile(out, "w") as archive:
        _write(archive, top / "README.md", readme.encode())
        _write(archive, top / "check.py", CHECK_PY.format(assignment=assignment.id).encode())
        _write(archive, top / "requirements.txt", STUDENT_REQUIREMENTS.read_bytes())
        for relative, content in template_files(assignment).items():
            _write(archive, top / relative, content)
        if assignment.data_dir.is_dir():
            for path in _files_under(assignment.data_dir):
                relative = path.relative_to(assignment.data_dir)
                if "hidden" not in relative.parts:
                    _write(archive, top / "data" / relative, path.read_bytes())
        for path, name in _engine_files(assignment, for_students=True):
            _write(archive, top / "_checker" / name, path.read_bytes())
        # The self-check replaces the student's copies of the course's given files, as the grader does.
        for name, path in assignment.provided_files.items():
            _write(archive, top / "_checker" / "provided" / assignment.folder / name, path.read_bytes())
    return out
