"""The self-check from inside a notebook: ``%run check.py`` in a cell checks the notebook being run.

In Colab the notebook is not a file on disk, and in Jupyter the file may be older than the kernel.
What is checked is what the kernel runs: Colab hands over the notebook as it stands; in any other
kernel the cells it has executed, in order, stand for the notebook (the grader keeps imports and
definitions, so a later definition replaces an earlier one, as in the kernel). The public checks then
run as ``python check.py`` runs them, each in a process of its own, and print the same table.
"""
import os
import tempfile
from pathlib import Path

SELF_CHECK_LINE = "check.py"  # a cell that runs the self-check is no part of the notebook


def kernel_shell():
    """The running IPython kernel's shell, or None outside a notebook."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def current_notebook(shell):
    """The notebook the kernel is running, as an nbformat notebook."""
    import nbformat

    try:
        from google.colab import _message
    except ImportError:
        _message = None
    if _message is not None:
        reply = _message.blocking_request("get_ipynb", timeout_sec=60)
        if isinstance(reply, dict) and isinstance(reply.get("ipynb"), dict):
            return nbformat.from_dict(reply["ipynb"])
    sources = shell.history_manager.input_hist_raw[1:]  # entry 0 is always empty
    cells = [nbformat.v4.new_code_cell(source) for source in sources
             if source.strip() and not (source.lstrip().startswith(("%run", "!")) and SELF_CHECK_LINE in source)]
    from grader.core.notebooks import FROM_KERNEL

    return nbformat.v4.new_notebook(cells=cells, metadata={FROM_KERNEL: True})


def check_running_notebook(assignment_id, shell):
    """Write the running notebook under the name the assignment expects and self-check it."""
    import nbformat

    from grader.cli import main
    from grader.core import assignments

    notebook_names = [name for name in assignments.get(assignment_id).files if name.endswith(".ipynb")]
    if not notebook_names:
        raise SystemExit(f"{assignment_id} is not a notebook assignment: run `python check.py` in a terminal.")
    previous = os.environ.get("GRADER_SANDBOX")
    # A notebook kernel is no place to fork from: every check gets a freshly started process.
    os.environ["GRADER_SANDBOX"] = "portable"
    try:
        with tempfile.TemporaryDirectory(prefix="self-check-") as folder:
            nbformat.write(current_notebook(shell), Path(folder) / notebook_names[0])
            return main(["check", assignment_id, folder])
    finally:
        if previous is None:
            os.environ.pop("GRADER_SANDBOX", None)
        else:
            os.environ["GRADER_SANDBOX"] = previous
