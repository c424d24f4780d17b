"""Makes this Linux Python look like a student's macOS or Windows one, for every process started with
this folder on PYTHONPATH: no os.fork (as on Windows), no `resource` module, no prctl in the C library."""
import ctypes
import os
import sys

for name in ("fork", "forkpty"):  # macOS keeps register_at_fork, which torch calls
    if hasattr(os, name):
        delattr(os, name)
sys.modules["resource"] = None  # `import resource` now raises ImportError


class _CDLLWithoutPrctl(ctypes.CDLL):
    def __getattr__(self, name):
        if name == "prctl":
            raise AttributeError(name)
        return super().__getattr__(name)

    def __getitem__(self, name):
        if name == "prctl":
            raise AttributeError(name)
        return super().__getitem__(name)


ctypes.CDLL = _CDLLWithoutPrctl
