"""Messages between the grading process and the sandboxed worker.

A frame is an 8-byte big-endian length followed by a ``torch.save`` payload. The grader
reads every frame with ``torch.load(weights_only=True)``, so a worker, whatever the
student's code did to it, can only ever hand back tensors and plain containers, never
objects that run code when they are loaded.
"""
import io
import os
import socket
import time
import zipfile

import numpy as np

# Seconds a worker whose channel closed gets to finish dying (the kernel may still be killing it for memory),
# so that the student reads how it ended rather than that it stopped answering.
ENDING_GRACE = 3.0
MAX_FRAME_BYTES = 64 * 1024 * 1024
_HEADER = 8
# What a message may make the grader hold, as a multiple of the bytes it received: tensors are refused
# when their elements need more bytes than their storage holds (a stride-0 view of one number can claim
# a billion), and when all of them together claim more than this multiple (views sharing one storage).
MAX_EXPANSION = 2
_SLACK_BYTES = 1 << 20


class ChannelClosed(Exception):
    """The other side closed the channel (for a worker: it exited or was killed)."""


class ChannelTimeout(Exception):
    """No complete frame arrived before the deadline."""


class ChannelGarbled(Exception):
    """A frame was too large or could not be decoded."""


def _to_wire(obj):
    import torch  # here rather than at the top, so a grader can start its sandbox before paying for torch

    # numpy arrays are not on torch's weights-only allow list; carry them as tensors, of the same shape
    # (np.ascontiguousarray would turn a 0-d array into shape (1,)).
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError("numpy arrays of Python objects cannot be sent")
        return {"__ndarray__": torch.from_numpy(np.require(obj, requirements="C"))}
    if isinstance(obj, np.generic):  # a numpy scalar travels as the Python number it holds (shape () still)
        return obj.item()
    if isinstance(obj, torch.Tensor):
        obj = obj.detach().cpu()
        # torch.save writes a view's whole storage; copy only then (a 50 MB argument is not copied again)
        whole = obj.is_contiguous() and obj.storage_offset() == 0 and \
            obj.untyped_storage().nbytes() == obj.numel() * obj.element_size()
        return obj if whole else obj.clone()
    if isinstance(obj, dict):
        return {k: _to_wire(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_wire(v) for v in obj)
    return obj


def _from_wire(obj):
    if isinstance(obj, dict):
        if len(obj) == 1 and "__ndarray__" in obj:
            return obj["__ndarray__"].numpy()
        return {k: _from_wire(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_from_wire(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_from_wire(v) for v in obj)
    return obj


def _encode_buffer(obj) -> io.BytesIO:
    import torch

    buffer = io.BytesIO()
    torch.save(_to_wire(obj), buffer)
    return buffer


def encode(obj) -> bytes:
    return _encode_buffer(obj).getvalue()


class TooLarge(ValueError):
    """Data that would make the grader allocate far more than the bytes it was given."""


def check_archive(source, size, limit):
    """Refuse a torch.save archive (a path or a file object of ``size`` bytes) whose entries would unpack to
    more than ``limit`` bytes, or that is not a zip archive at all (the legacy format allocates storages of
    whatever size it declares before reading them). Checked before torch.load ever sees it."""
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TooLarge("it is not a zip archive as torch.save writes (save it again with torch.save)") from None
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > 100_000 or unpacked > limit:
        raise TooLarge(f"its {len(entries)} entries unpack to {unpacked} bytes from {size}; "
                       f"at most {limit} are accepted")
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED and entry.file_size > MAX_EXPANSION * entry.compress_size + 4096:
            raise TooLarge(f"its entry {entry.filename} is compressed {entry.file_size // max(entry.compress_size, 1)}"
                           " times over (torch.save never compresses)")


def check_tensors(obj, limit):
    """Refuse tensors whose elements need more bytes than their storage, or that together claim more than
    ``limit`` bytes: converting them (to float64, to numpy, by comparing) would allocate that much."""
    import torch

    claimed = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, torch.Tensor):
            needed = item.numel() * item.element_size()
            if needed > item.untyped_storage().nbytes():
                raise TooLarge(f"a tensor of shape {tuple(item.shape)} claims {needed} bytes over a storage of "
                               f"{item.untyped_storage().nbytes()} (an expanded or overlapping view)")
            claimed += needed
            if claimed > limit:
                raise TooLarge(f"its tensors claim more than {limit} bytes")
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def load_untrusted(path, max_bytes):
    """torch.load(weights_only=True) of a file a student uploaded, bounded: the archive is inspected first,
    and what it holds may not claim more than ``MAX_EXPANSION`` times the file's size. Raises TooLarge."""
    import os

    import torch

    size = os.path.getsize(path)
    if size > max_bytes:
        raise TooLarge(f"it is {size} bytes; at most {max_bytes} are accepted")
    limit = MAX_EXPANSION * size + _SLACK_BYTES
    check_archive(path, size, limit)
    value = torch.load(path, weights_only=True, map_location="cpu")
    check_tensors(value, limit)
    return value


def decode(data):
    """The message in ``data``: bytes, or a BytesIO positioned anywhere."""
    import torch

    buffer = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    size = buffer.seek(0, io.SEEK_END)
    limit = MAX_EXPANSION * size + _SLACK_BYTES
    try:
        check_archive(buffer, size, limit)
        buffer.seek(0)
        value = torch.load(buffer, weights_only=True)
        check_tensors(value, limit)
        return _from_wire(value)
    except TooLarge as exc:
        raise ChannelGarbled(f"a message of {size} bytes was refused: {exc}") from None
    except Exception:  # any malformed payload is the sender's fault
        raise ChannelGarbled("the message was not in the grader's format") from None


def send(sock: socket.socket, obj) -> None:
    # header and payload sent from the encoder's own buffer: large arguments are not copied again
    buffer = _encode_buffer(obj)
    payload = buffer.getbuffer()
    try:
        sock.sendall(len(payload).to_bytes(_HEADER, "big"))
        sock.sendall(payload)
    finally:
        payload.release()


def _recv_exactly(sock: socket.socket, n: int, deadline, into=None):
    """``n`` bytes from ``sock``, written to the BytesIO ``into`` if given (no joined copy), else returned."""
    chunks, remaining = [], n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout()
            sock.settimeout(left)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except socket.timeout:
            raise ChannelTimeout() from None
        except OSError as exc:
            raise ChannelClosed(str(exc)) from None
        if not chunk:
            raise ChannelClosed("end of stream")
        if into is None:
            chunks.append(chunk)
        else:
            into.write(chunk)
        remaining -= len(chunk)
    return into if into is not None else b"".join(chunks)


def receive(sock: socket.socket, timeout=None):
    """Read one message; ``timeout`` (seconds) bounds the whole frame, not each read."""
    deadline = None if timeout is None else time.monotonic() + timeout
    size = int.from_bytes(_recv_exactly(sock, _HEADER, deadline), "big")
    if size > MAX_FRAME_BYTES:
        raise ChannelGarbled(f"a message of {size} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
    return decode(_recv_exactly(sock, size, deadline, into=io.BytesIO()))


class PipeChannel:
    """The socket calls ``send`` and ``receive`` use, over a pair of pipe descriptors: for workers
    started as fresh processes (``portable.py``), on systems with no socket to hand them.

    With ``timeouts`` a thread reads ahead, so ``recv`` can give up at a deadline on every platform
    (``select`` does not work on Windows pipes); without it ``recv`` simply blocks."""

    def __init__(self, read_fd, write_fd, timeouts=False):
        self._read_fd, self._write_fd, self._timeout = read_fd, write_fd, None
        self._pending, self._chunks = b"", None
        if timeouts:
            import queue
            import threading

            self._chunks = queue.SimpleQueue()
            threading.Thread(target=self._read_ahead, daemon=True).start()

    def _read_ahead(self):
        try:
            while chunk := os.read(self._read_fd, 1 << 20):
                self._chunks.put(chunk)
        except OSError:
            pass
        self._chunks.put(b"")

    def settimeout(self, seconds):
        self._timeout = seconds

    def recv(self, n):
        if not self._pending:
            if self._chunks is None:
                return os.read(self._read_fd, n)
            import queue

            try:
                self._pending = self._chunks.get(timeout=self._timeout)
            except queue.Empty:
                raise socket.timeout() from None
            if not self._pending:
                self._chunks.put(b"")  # end of stream stays visible to later reads
                return b""
        chunk, self._pending = self._pending[:n], self._pending[n:]
        return chunk

    def sendall(self, data):
        view = memoryview(data)
        while view:
            view = view[os.write(self._write_fd, view):]

    def close(self):
        for fd in (self._read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
