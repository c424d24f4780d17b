import socket

import numpy as np
import pytest
import torch

from grader.sandbox import protocol


def test_round_trip_of_tensors_arrays_and_containers():
    message = {"t": torch.arange(6.0).reshape(2, 3), "a": np.eye(2), "n": np.float32(1.5),
               "nested": [1, "two", None, (3.0, True)]}
    back = protocol.decode(protocol.encode(message))
    assert torch.equal(back["t"], message["t"])
    assert isinstance(back["a"], np.ndarray) and np.array_equal(back["a"], np.eye(2))
    assert back["n"] == 1.5 and back["nested"] == [1, "two", None, (3.0, True)]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool", "complex128"])
def test_values_keep_their_shape_zero_dimensional_included(dtype):
    message = {"zero_d": np.array(3, dtype=dtype), "row": np.ones((1,), dtype=dtype),
               "strided": np.arange(12).reshape(3, 4).astype(dtype)[:, ::2], "tensor": torch.tensor(2.5),
               "scalar": np.array(7, dtype=dtype)[()]}
    back = protocol.decode(protocol.encode(message))
    for key in ("zero_d", "row", "strided"):
        assert isinstance(back[key], np.ndarray), key
        assert back[key].shape == message[key].shape and back[key].dtype == message[key].dtype, key
        assert np.array_equal(back[key], message[key]), key
    assert back["tensor"].shape == () and float(back["tensor"]) == 2.5
    # a numpy scalar arrives as the Python number it holds: still a single number of shape ()
    assert np.shape(back["scalar"]) == () and back["scalar"] == message["scalar"]
    assert type(back["scalar"]) is type(message["scalar"].item())


def test_objects_that_could_run_code_are_refused():
    import io
    import pickle

    class Sneaky:
        def __reduce__(self):
            return (print, ("this must never run",))

    buffer = io.BytesIO()
    torch.save({"x": Sneaky()}, buffer, pickle_module=pickle)
    with pytest.raises(protocol.ChannelGarbled):
        protocol.decode(buffer.getvalue())


def test_garbage_and_oversized_frames_are_refused():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall((10).to_bytes(8, "big") + b"not torch!")
        with pytest.raises(protocol.ChannelGarbled):
            protocol.receive(ours, timeout=1)
        theirs.sendall((protocol.MAX_FRAME_BYTES + 1).to_bytes(8, "big"))
        with pytest.raises(protocol.ChannelGarbled, match="exceeds"):
            protocol.receive(ours, timeout=1)


def test_timeout_and_closed_channel():
    ours, theirs = socket.socketpair()
    with pytest.raises(protocol.ChannelTimeout):
        protocol.receive(ours, timeout=0.1)
    theirs.close()
    with pytest.raises(protocol.ChannelClosed):
        protocol.receive(ours, timeout=1)
    ours.close()


def test_views_carry_only_their_own_elements_and_large_frames_arrive_whole():
    big = torch.randn(2000, 1000, dtype=torch.float64)   # 16 MB: many socket reads
    row = big[1234]                                        # a view: its storage is the whole 16 MB
    assert len(protocol.encode(row)) < 100_000
    ours, theirs = socket.socketpair()
    with ours, theirs:
        import threading

        sender = threading.Thread(target=protocol.send, args=(theirs, {"big": big, "column": big[:, 7]}))
        sender.start()
        back = protocol.receive(ours, timeout=30)
        sender.join()
    assert torch.equal(back["big"], big) and torch.equal(back["column"], big[:, 7])
    big[0, 0] = 42.0   # what was received is a copy, not the sender's tensor
    assert back["big"][0, 0] != 42.0
