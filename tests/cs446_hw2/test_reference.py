"""The reference itself: the handout's facts about the architecture, and the training script of parts (c)/(d)."""
import pytest
import torch

from grader.core import assignments

ref = assignments.get("cs446-hw2").load_reference().hw2_ResNet


@pytest.mark.parametrize("channels", [1, 2, 4, 64])
def test_parameter_count_is_18c2_plus_25c_plus_10(channels):
    assert sum(p.numel() for p in ref.ResNet(channels).parameters()) == 18 * channels ** 2 + 25 * channels + 10


def test_shapes_on_digits():
    assert ref.Block(4)(torch.randn(3, 4, 2, 2)).shape == (3, 4, 2, 2)
    assert ref.ResNet(4)(torch.randn(5, 1, 8, 8)).shape == (5, 10)


def test_digits_split_is_deterministic_and_disjoint():
    x_train, y_train, x_test, y_test = ref.load_digits_split(seed=3)
    again = ref.load_digits_split(seed=3)
    assert torch.equal(x_train, again[0]) and x_train.shape[1:] == (1, 8, 8)
    assert len(y_train) + len(y_test) == 1797 and len(y_test) == 359
    assert 0 <= x_train.min() and x_train.max() <= 1


def test_training_script_learns_and_plots(tmp_path):
    out = tmp_path / "curves.png"
    histories = ref.main(["--widths", "2", "8", "--epochs", "20", "--out", str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for history in histories.values():
        assert len(history["train"]) == len(history["test"]) == 20
    # Learning is happening: C=8 starts near chance (0.9 error) and ends far below it.
    assert histories[8]["train"][0] > 0.6 and min(histories[8]["train"][-5:]) < 0.3
