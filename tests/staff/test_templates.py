import pytest

from grader.core import assignments
from grader.staff.templates import MarkerError, strip_solutions, template_files

REFERENCE = '''class Net:
    def __init__(self, width):
        # BEGIN SOLUTION: store the width
        self.width = width
        # END SOLUTION

    def forward(self, x):
        # BEGIN SOLUTION
        return x * self.width
        # END SOLUTION


def helper():
    return 1
'''


def test_solution_blocks_become_todo_and_not_implemented():
    template = strip_solutions(REFERENCE, "net.py")
    assert "self.width = width" not in template and "x * self.width" not in template
    assert "        # TODO: store the width\n" in template
    assert 'raise NotImplementedError("Net.__init__ is not written yet")' in template
    assert 'raise NotImplementedError("Net.forward is not written yet")' in template
    assert "def helper():\n    return 1\n" in template
    compile(template, "net.py", "exec")


@pytest.mark.parametrize("broken, problem", [
    ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION\n", "without a BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside the block opened at line 1"),
])
def test_unbalanced_markers_name_the_file_and_line(broken, problem):
    with pytest.raises(MarkerError, match=f"net.py:\\d+: .*{problem}"):
        strip_solutions(broken, "net.py")


@pytest.mark.parametrize("assignment", sorted(assignments.all_assignments()))
def test_committed_templates_are_in_sync_with_the_reference(assignment):
    a = assignments.get(assignment)
    for relative, content in template_files(a).items():
        committed = a.template_dir / relative
        assert committed.exists(), f"{committed} is missing: run `make templates`"
        assert committed.read_bytes() == content, f"{committed} is out of date: run `make templates`"
    for relative in template_files(a):
        text = (a.template_dir / relative).read_bytes()
        assert b"BEGIN SOLUTION" not in text and b"END SOLUTION" not in text
