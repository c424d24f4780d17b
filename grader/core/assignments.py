"""Finding assignments. Each is a folder ``grader/assignments/<id_with_underscores>/`` holding
``config.toml`` (what students submit, visibility, limits), ``checks.py`` (the checks, run in
the grading process) and, if the engine's probes (``grader/sandbox/probes.py``, ``torch_probes.py``)
do not suffice, ``probes.py`` (what else the checks may ask of a submission, run in the sandbox).
Its reference lives in ``reference/<folder>/`` and its template in ``student_template/<folder>/``.
Adding an assignment means adding those folders, nothing here.
"""
import dataclasses
import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 (a student's machine): the same parser, as a package
    import tomli as tomllib

from grader import REPO_ROOT
from grader.core.checks import collect
from grader.sandbox.client import limits_from_config

# The engine inside a student zip (``_checker/``) has no reference folder; a checkout and Gradescope do.
IN_STUDENT_ZIP = not (REPO_ROOT / "reference").is_dir()

ASSIGNMENTS_DIR = REPO_ROOT / "grader" / "assignments"
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


class ConfigError(Exception):
    pass


@dataclass
class Assignment:
    id: str
    folder: str
    title: str
    files: list
    handout: str = ""
    hidden_visibility: str = "after_published"
    limits: dict = field(default_factory=dict)
    provided: list = field(default_factory=list)  # course files the grader supplies (students' copies are replaced)
    reference_only: list = field(default_factory=list)  # reference files that never reach templates or students
    penalties: dict = field(default_factory=dict)  # rule name -> points a broken rule deducts
    settings: dict = field(default_factory=dict)  # the assignment's own values, read by its checks
    baselines: dict = field(default_factory=dict)  # measured by the assignment's baselines.py (make baselines)

    @property
    def modules(self):
        """The submitted Python files and notebooks, as module names to import in the worker (a notebook
        is gathered into a module of its name first: see notebooks.py)."""
        return [Path(f).stem for f in self.files if f.endswith((".py", ".ipynb"))]

    @property
    def reference_dir(self) -> Path:
        return REPO_ROOT / "reference" / self.folder

    @property
    def provided_files(self) -> dict:
        """{name: the course's copy} of the provided files: the reference's, or in a student zip the
        untouched copies it keeps beside the engine."""
        folder = REPO_ROOT / "provided" / self.folder if IN_STUDENT_ZIP else self.reference_dir
        return {name: folder / name for name in self.provided}

    @property
    def template_dir(self) -> Path:
        return REPO_ROOT / "student_template" / self.folder

    @property
    def data_dir(self) -> Path:
        # A student zip keeps the public data in the assignment's folder, beside the templates.
        return REPO_ROOT.parent / "data" if IN_STUDENT_ZIP else REPO_ROOT / "data" / self.folder

    @property
    def protected_paths(self):
        """What the sandbox user must never read: reference solutions and hidden data."""
        return [REPO_ROOT / "reference", self.data_dir / "hidden"]

    @property
    def probes(self) -> str:
        """The module of the assignment's own probes (it may not exist: the engine's are always there)."""
        return f"grader.assignments.{self.folder}.probes"

    @cached_property
    def checks(self):
        found = collect(importlib.import_module(f"grader.assignments.{self.folder}.checks"))
        resolved = []
        for info, func in found:
            if isinstance(info.penalty, str):  # a rule whose penalty the course sets in config.toml
                if info.penalty not in self.penalties:
                    raise ConfigError(f"{ASSIGNMENTS_DIR / self.folder / 'config.toml'}: [penalties] has no "
                                      f"{info.penalty!r}, which check {info.name} needs")
                info = dataclasses.replace(info, penalty=float(self.penalties[info.penalty]))
            unknown = [name for name in info.files if name not in self.files]
            if unknown:
                raise ConfigError(f"check {info.name} needs {', '.join(unknown)}, which is not among the files "
                                  f"of {ASSIGNMENTS_DIR / self.folder / 'config.toml'}")
            resolved.append((info, func))
        return resolved

    def sandbox_limits(self):
        return limits_from_config(self.limits)

    def load_reference(self):
        """The reference modules as a namespace (``ref.hw2_ResNet.Block``); trusted code only."""
        names = self.modules + [Path(f).stem for f in self.provided if f.endswith(".py")]
        return types.SimpleNamespace(**self._load_reference_modules(names))

    def load_reference_module(self, name):
        """One module of the reference folder by name (a reference_only worked answer, say); trusted code only."""
        return self._load_reference_modules([name])[name]

    def _load_reference_modules(self, names):
        """{name: module} of reference/<folder>/<name>.py.

        The reference folder is on sys.path only while its modules load, and its sibling modules
        (a provided ``utils``, say) are then taken out of sys.modules, so two assignments' ``utils``
        never meet.
        """
        loaded = {}
        folder = str(self.reference_dir)
        before = set(sys.modules)
        sys.path.insert(0, folder)
        try:
            for name in names:
                path = self.reference_dir / f"{name}.py"
                spec = importlib.util.spec_from_file_location(f"_reference_{self.folder}_{name}", path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module  # dataclasses and pickling look modules up here
                spec.loader.exec_module(module)
                loaded[name] = module
        finally:
            sys.path.remove(folder)
            for name in set(sys.modules) - before:
                if not name.startswith("_reference_") and \
                        str(getattr(sys.modules[name], "__file__", "")).startswith(folder):
                    del sys.modules[name]
        return loaded

    def extension(self, name):
        """The assignment's optional module ``<name>.py`` (``data`` builds data, ``tables`` prints the
        reference's tables), or None."""
        if (ASSIGNMENTS_DIR / self.folder / f"{name}.py").exists():
            return importlib.import_module(f"grader.assignments.{self.folder}.{name}")
        return None

    def data_builder(self):
        """The assignment's ``data.py`` module (with ``build(target)``), or None."""
        return self.extension("data")


def _load(folder: Path) -> Assignment:
    path = folder / "config.toml"
    try:
        config = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    missing = {"id", "title", "files"} - set(config)
    if missing:
        raise ConfigError(f"{path}: missing {', '.join(sorted(missing))}")
    if config["id"].replace("-", "_") != folder.name:
        raise ConfigError(f"{path}: an assignment's folder is its id with dashes turned into underscores (Python "
                          f"imports it as a package), so id {config['id']!r} belongs in "
                          f"{folder.parent / config['id'].replace('-', '_')}, not in {folder}")
    visibility = config.get("hidden_visibility", "after_published")
    if visibility not in VISIBILITIES:
        raise ConfigError(f"{path}: hidden_visibility must be one of {', '.join(VISIBILITIES)}")
    unknown = set(config) - {"id", "title", "files", "handout", "hidden_visibility", "limits", "provided",
                             "reference_only", "penalties", "settings", "baselines"}
    if unknown:
        raise ConfigError(f"{path}: unknown settings {', '.join(sorted(unknown))}")
    return Assignment(id=config["id"], folder=folder.name, title=config["title"], files=list(config["files"]),
                      handout=config.get("handout", ""), hidden_visibility=visibility,
                      limits=config.get("limits", {}), provided=list(config.get("provided", [])),
                      reference_only=list(config.get("reference_only", [])),
                      penalties=dict(config.get("penalties", {})), settings=dict(config.get("settings", {})),
                      baselines=dict(config.get("baselines", {})))


def all_assignments() -> dict:
    return {a.id: a for a in (_load(p.parent) for p in sorted(ASSIGNMENTS_DIR.glob("*/config.toml")))}


def get(assignment_id: str) -> Assignment:
    known = all_assignments()
    wanted = assignment_id.replace("_", "-")
    if wanted not in known:
        raise ConfigError(f"unknown assignment {assignment_id!r}; known: {', '.join(known) or '(none)'}")
    return known[wanted]
