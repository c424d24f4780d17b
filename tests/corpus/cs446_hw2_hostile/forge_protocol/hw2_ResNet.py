# Writes a fake "all is well" answer, then garbage, to every file descriptor it inherited.
import os

for fd in range(3, 64):
    try:
        os.write(fd, (10).to_bytes(8, "big") + b"not torch!" + b"\x00" * 64)
    except OSError:
        pass
