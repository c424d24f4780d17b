"""Function equivalence on its own: an in-process stand-in for the sandbox answers the probes."""
import types

import pytest
import torch
from torch import nn

from grader.engine import torch_probes
from grader.engine.checks import CheckFailed
from grader.engine.torch_compare import compare_model


class Net(nn.Module):
    def __init__(self, width, shuffle=False):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, 3)
        self.shuffle = shuffle

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = x.mean(dim=(2, 3))
        return self.fc(x.flip(1) if self.shuffle else x)


class FakeContext:
    """Runs the worker-side probes in this process on ``student``; ``doctor`` may tamper with answers."""

    def __init__(self, student, doctor=None):
        self.sub = types.SimpleNamespace(modules={"m": types.SimpleNamespace(Net=student)}, state={},
                                         attr=lambda module, name: student)
        self.doctor = doctor or (lambda probe, answer: answer)
        self.rng = torch.Generator().manual_seed(0)

    def call(self, probe, *args, doing=None, **kwargs):
        return self.doctor(probe, getattr(torch_probes, probe)(self.sub, *args, **kwargs))


def run(student, doctor=None, gradients=True, train=True):
    compare_model(FakeContext(student, doctor), "Net(4)", ("m", "Net", [4]), Net(4), torch.randn(3, 1, 5, 5),
                  train=train, gradients=gradients)


def test_the_same_function_passes_in_both_modes():
    run(Net)
    run(Net, train=False)


def test_a_different_function_fails_and_says_where():
    with pytest.raises(CheckFailed, match=r"input of the 1st Linear to run \(your `fc`\) already differs, so the "
                       r"difference arises between the output of the 1st BatchNorm2d to run and that layer"):
        run(lambda width: Net(width, shuffle=True), gradients=False)


@pytest.mark.parametrize("key", ["grads", "buffers_after", "layer_inputs"])
def test_an_answer_covering_fewer_layers_fails_instead_of_skipping(key):
    def drop_last_layer(probe, answer):
        if probe == "run_model":
            answer[key] = answer[key][:-1]
        return answer

    with pytest.raises(CheckFailed, match=f"reported {key.replace('_', ' ')} for 2 layers; it has 3"):
        run(Net, drop_last_layer)
