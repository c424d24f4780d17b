"""Large public arrays shared by the grader and its workers instead of copied to each.

An uncompressed ``.npz`` member is mapped straight from the file: the grading process and every worker
that maps it read the same pages of the page cache, counted once against the container's memory,
where sending the arrays would hold a copy in the grader's message, another in the worker's, and the
worker's own tensors besides. Used on both sides of the sandbox (a worker may read the public data).
"""
import zipfile

import numpy as np

HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def map_npz(path, names=None):
    """{name: array} for the members of ``path`` (all, or ``names``), each mapped copy-on-write: writable
    by whoever holds it, without changing the file or what others see. A compressed member is read instead."""
    arrays = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if names is not None and name not in names:
                continue
            with archive.open(info) as member:  # the member's own .npy header: version, shape, dtype, order
                version = np.lib.format.read_magic(member)
                if info.compress_type != zipfile.ZIP_STORED or version not in HEADERS:
                    member.seek(0)
                    arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
                    continue
                shape, fortran, dtype = HEADERS[version](member)
                header_bytes = member.tell()
            raw.seek(info.header_offset + 26)  # the local file header: its name and extra field lengths
            name_length, extra_length = int.from_bytes(raw.read(2), "little"), int.from_bytes(raw.read(2), "little")
            start = info.header_offset + 30 + name_length + extra_length + header_bytes
            arrays[name] = np.memmap(path, dtype=dtype, mode="c", offset=start, shape=shape,
                                     order="F" if fortran else "C")
    return arrays
