# Writes a 2 GB file next to itself.
with open("filler.bin", "wb") as f:
    for _ in range(2048):
        f.write(b"\0" * 2**20)
