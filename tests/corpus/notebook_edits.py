"""Edits that turn a solved notebook into the notebooks students hand in, for the corpus builders of the
notebook assignments (``<assignment>/build_cases.py``)."""
import copy
import shutil
from pathlib import Path

import nbformat


def replace(old, new):
    """An edit replacing ``old`` by ``new`` in the one cell that contains it."""
    def edit(notebook):
        hits = [cell for cell in notebook.cells if old in cell.source]
        assert len(hits) == 1, f"{old!r} is in {len(hits)} cells"
        hits[0].source = hits[0].source.replace(old, new)
    return edit


def add_cell(after_text, source, tags=()):
    def edit(notebook):
        index = next(i for i, cell in enumerate(notebook.cells) if after_text in cell.source)
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})
        cell.id = f"added-{len(notebook.cells)}"
        notebook.cells.insert(index + 1, cell)
    return edit


def drop_tags(notebook):
    """What Colab does to cell metadata it does not know, and what a copy-paste into a new notebook does."""
    for cell in notebook.cells:
        cell.metadata.pop("tags", None)


def colab_metadata(name):
    """The notebook metadata Colab writes for a copy called ``name``."""
    def edit(notebook):
        notebook.metadata = {"colab": {"name": name, "provenance": []},
                             "kernelspec": {"display_name": "Python 3", "name": "python3"}}
    return edit


def with_outputs(notebook):
    for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ran cell {count}\n"),
                        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=" * 200})]


def write_cases(solved_path: Path, cases: dict, folder: Path, default_name: str):
    """One folder per case, holding the solved notebook after the case's edits (under ``name`` if given)."""
    solved = nbformat.read(solved_path, as_version=4)
    for case, spec in cases.items():
        notebook = copy.deepcopy(solved)
        for edit in spec["edits"]:
            edit(notebook)
        target = folder / case
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        nbformat.write(notebook, target / spec.get("name", default_name))
    print(f"wrote {len(cases)} notebooks into {folder}")
