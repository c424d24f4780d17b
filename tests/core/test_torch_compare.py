"""Function equivalence on its own: an in-process stand-in for the sandbox answers the probes."""
import types

import pytest
import torch
from torch import nn

from grader.sandbox import torch_probes
from grader.core.checks import CheckFailed
from grader.core.torch_compare import compare_model
from grader.core.torch_model import Model


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
        assert probe.__module__ == torch_probes.__name__
        return self.doctor(probe, probe(self.sub, *args, **kwargs))

    def model(self, module, factory, *args, **kwargs):
        return Model(self, module, factory, args, kwargs)


def run(student, doctor=None, gradients=True, train=True):
    ctx = FakeContext(student, doctor)
    compare_model(ctx, "Net(4)", ctx.model("m", "Net", 4), Net(4), torch.randn(3, 1, 5, 5), train=train,
                  gradients=gradients)


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
        if probe is torch_probes.run_model:
            answer[key] = answer[key][:-1]
        return answer

    with pytest.raises(CheckFailed, match=f"reported {key.replace('_', ' ')} for 2 layers; it has 3"):
        run(Net, drop_last_layer)


class Reader(nn.Module):
    """A model of word numbers: integer inputs, no gradient with respect to the input."""

    def __init__(self, vocab, last=True, frozen_embedding=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 4)
        self.rnn = nn.RNN(4, 5, batch_first=True)
        self.fc = nn.Linear(5, 2)
        self.last, self.frozen_embedding = last, frozen_embedding

    def forward(self, tokens):
        embedded = self.embedding(tokens)
        outputs, _ = self.rnn(embedded.detach() if self.frozen_embedding else embedded)
        return self.fc(outputs[:, -1] if self.last else outputs[:, 0])


def compare_readers(student):
    tokens = torch.randint(0, 9, (3, 6), generator=torch.Generator().manual_seed(1))
    ctx = FakeContext(student)
    compare_model(ctx, "Reader(9)", ctx.model("m", "Net", 9), Reader(9), tokens, train=False, gradients=True)


def test_integer_inputs_are_compared_with_weight_gradients():
    compare_readers(Reader)
    with pytest.raises(CheckFailed, match="Reader\\(9\\): output in evaluation mode"):
        compare_readers(lambda vocab: Reader(vocab, last=False))
    with pytest.raises(CheckFailed, match="gradient with respect to the weight of the 1st Embedding"):
        compare_readers(lambda vocab: Reader(vocab, frozen_embedding=True))


def test_an_output_of_another_shape_fails_with_both_shapes():
    class Flat(Net):
        def forward(self, x):
            return super().forward(x).reshape(-1)

    with pytest.raises(CheckFailed, match=r"Net\(4\): the output has shape \(9,\); expected \(3, 3\)"):
        run(Flat)


def test_the_student_model_runs_in_float64_like_the_reference():
    seen = []

    class Recording(Net):
        def forward(self, x):
            seen.append(x.dtype)
            return super().forward(x)

    run(Recording)
    assert seen[-1] == torch.float64  # float32 could send a max-pooling gradient to the other of two near-equal inputs


def test_a_model_that_makes_its_own_float32_tensors_is_compared_in_float32():
    class OwnFloat32(Net):
        def forward(self, x):
            return super().forward(x) @ torch.eye(3)  # float64 @ float32 raises; the comparison falls back

    run(OwnFloat32)
    with pytest.raises(CheckFailed, match="output in training mode"):
        run(lambda width: OwnFloat32(width, shuffle=True), gradients=False)
