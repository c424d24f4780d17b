"""Public arrays mapped from an .npz file rather than read into memory or sent to a worker."""
import numpy as np
import pytest

from grader.sandbox.public_data import map_npz


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_mapped_members_equal_what_numpy_reads(tmp_path, save):
    rng = np.random.default_rng(0)
    arrays = {"mu": rng.normal(size=(3, 5)), "Sigma": np.asfortranarray(rng.normal(size=(3, 5, 5))),
              "pi": rng.random((3, 1)).astype(np.float32), "counts": np.arange(7, dtype=np.int16)}
    path = tmp_path / "model.npz"
    save(path, **arrays)
    mapped = map_npz(path)
    assert sorted(mapped) == sorted(arrays)
    for name, array in arrays.items():
        assert mapped[name].dtype == array.dtype and mapped[name].shape == array.shape
        assert np.array_equal(np.asarray(mapped[name]), array), name
    assert isinstance(mapped["Sigma"], np.memmap) == (save is np.savez)
    assert sorted(map_npz(path, ("pi",))) == ["pi"]


def test_writing_to_a_mapped_array_changes_neither_the_file_nor_another_mapping(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, Sigma=np.eye(4))
    before = path.read_bytes()
    mine, theirs = map_npz(path)["Sigma"], map_npz(path)["Sigma"]
    mine += 1.0  # what a submission may do to the covariances it was given
    assert path.read_bytes() == before
    assert np.array_equal(np.asarray(theirs), np.eye(4)) and np.array_equal(np.asarray(mine), np.eye(4) + 1)
