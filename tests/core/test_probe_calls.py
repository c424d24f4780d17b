"""Checks call probes as functions: what a course's mistake with them becomes, and the model handle's order.

The model handle runs on the real ``Context`` with an in-process stand-in for the worker, which answers
with the engine's probes on the same ``Submission`` the sandbox gives them."""
import dataclasses
import importlib.util
import types

import numpy as np
import pytest
import torch
from torch import nn

from conftest import grade_reference_with, validate_results
from grader import REPO_ROOT
from grader.core import assignments
from grader.core.checks import CheckInfo, GraderError
from grader.core.grading import Context, run_check
from grader.core.results import GRADER_ERROR_TAG
from grader.core.torch_compare import draw_for_shapes
from grader.core.torch_model import GradientFlow, Run, Trace
from grader.errors import SubmissionError
from grader.sandbox.worker import Submission, probe_name


def test_a_misspelt_probe_fails_when_the_checks_are_imported(tmp_path):
    """A course's checks.py that names a probe its probes.py lacks does not import (no submission is graded
    with it), instead of blaming the student at grading time."""
    source = (REPO_ROOT / "grader" / "assignments" / "eecs4404_a3" / "checks.py").read_text()
    assert "probes import backward_run, " in source
    misspelt = tmp_path / "misspelt_checks.py"
    misspelt.write_text(source.replace("probes import backward_run, ", "probes import backwrd_run, "))
    spec = importlib.util.spec_from_file_location("misspelt_checks", misspelt)
    with pytest.raises(ImportError, match="backwrd_run"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_a_function_that_is_not_a_probe_is_a_grader_error_naming_the_check(monkeypatch):
    """Passing ctx.call a function that no worker answers is the course's mistake: held for the staff with
    the check's name, never the student's error, and the other checks still run."""
    from grader.assignments.csci567_hw3 import probes

    assignment = assignments.get("csci567-hw3")
    info, honest = [c for c in assignment.checks if c[0].public and not c[0].penalty][0]

    def calls_numpy(ctx):
        ctx.call(np.mean, [1.0, 2.0])

    def calls_a_private_helper(ctx):
        ctx.call(probes._array, [1.0], "a list")

    checks = [(dataclasses.replace(info, name=func.__name__, number=f"{info.question}.{index}"), func)
              for index, func in enumerate((calls_numpy, calls_a_private_helper, honest), 1)]
    results = grade_reference_with(monkeypatch, assignment, checks)
    validate_results(results)
    first, second, third = results["tests"]
    for test, check_name, shown in ((first, "calls_numpy", "numpy.mean"),
                                    (second, "calls_a_private_helper", "csci567_hw3.probes._array")):
        assert GRADER_ERROR_TAG in test.get("tags", []), test
        detail = test["extra_data"]["grader_error"]
        assert f"check {check_name}:" in detail and f"{shown} is not a probe" in detail, detail
        assert "Your code" not in test.get("output", "")
    assert third["status"] == "passed", third


# ------------------------------------------------------------------------------------------ the model handle

class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


class InProcessWorker:
    """Answers probes in this process, after the same check the sandbox's client makes."""
    output = ""

    def __init__(self, modules, forged=None):
        self.sub, self.forged = Submission(modules), forged

    def call(self, probe, *args, doing=None, timeout=None, **kwargs):
        probe_name(probe)
        return self.forged if self.forged is not None else probe(self.sub, *args, **kwargs)

    def stop(self):
        pass


def context(forged=None):
    session = types.SimpleNamespace(
        spawn_worker=lambda files: InProcessWorker({"nets": types.SimpleNamespace(Net=Net)}, forged))
    return Context(session, CheckInfo("1", 1.0, True, "a check", "the_check"), run_seed=1)


def verdict(check, ctx=None):
    ctx = ctx or context()
    return run_check(check, ctx)


def test_build_trace_run_and_gradient_flow_in_order():
    x = torch.randn(2, 1, 5, 5)
    seen = {}

    def check(ctx):
        model = ctx.model("nets", "Net", 3)
        seen["parameters"], seen["name"] = model.parameters, model.name
        seen["trace"] = trace = model.trace(x)
        values = draw_for_shapes(trace.layers, ctx.rng)
        seen["run"] = model.run(x, train=True, values=values, out_weights=torch.ones(2, 2))
        seen["plain run"] = model.run(x)
        seen["flow"] = model.gradient_flow(x)

    assert verdict(check) is None
    assert seen["parameters"] == sum(p.numel() for p in Net(3).parameters()) and seen["name"] == "Net(3)"
    trace, run, flow = seen["trace"], seen["run"], seen["flow"]
    assert isinstance(trace, Trace) and trace.output_shape == [2, 2]
    assert [layer["kind"] for layer in trace.layers] == ["Conv2d", "BatchNorm2d", "Linear"]
    assert isinstance(run, Run) and run.output.shape == (2, 2) and len(run.layer_inputs) == 3
    assert len(run.grads) == 3 and run.input_grad.shape == x.shape
    assert seen["plain run"].grads is None and seen["plain run"].input_grad is None
    assert isinstance(flow, GradientFlow) and flow.input and all(flow.parameters.values())
    assert set(flow.parameters) == {name for name, _ in Net(3).named_parameters()}


def test_running_with_values_before_tracing_is_the_courses_mistake():
    def check(ctx):
        model = ctx.model("nets", "Net", 3)
        model.run(torch.randn(2, 1, 5, 5), values=[{}, {}, {}])

    found = verdict(check)
    assert isinstance(found, GraderError)
    assert "check the_check:" in found.detail and "with values before tracing it" in found.detail


def test_a_handle_whose_model_was_replaced_is_refused():
    """A worker holds one model: using the older handle after building another would run the wrong one."""
    def check(ctx):
        first = ctx.model("nets", "Net", 3)
        first.trace(torch.randn(2, 1, 5, 5))
        ctx.model("nets", "Net", 4)
        first.run(torch.randn(2, 1, 5, 5))

    found = verdict(check)
    assert isinstance(found, GraderError) and "another model was built" in found.detail


def test_a_new_model_needs_its_own_trace():
    """The layers traced belong to the model built before: values for them never reach a new model."""
    def check(ctx):
        first = ctx.model("nets", "Net", 3)
        layers = first.trace(torch.randn(2, 1, 5, 5)).layers
        second = ctx.model("nets", "Net", 3)
        second.run(torch.randn(2, 1, 5, 5), values=draw_for_shapes(layers, ctx.rng))

    assert "with values before tracing it" in verdict(check).detail


def test_an_answer_in_no_known_form_is_the_submissions_doing():
    """Only a worker that forged its answer sends anything but a dict: that is the student's, not a grader error."""
    def check(ctx):
        ctx.model("nets", "Net", 3).trace(torch.randn(2, 1, 5, 5))

    with pytest.raises(SubmissionError, match="answered in a form the grader does not know while running Net"):
        check(context(forged=["not", "a", "trace"]))
