#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. Its Ubuntu base images ship
# an older python3 (22.04: 3.10, 20.04: 3.8) than the grader's, so the interpreter comes from uv: the
# exact CPython of .python-version, a standalone build that is the same on every base image. Every
# package then comes from requirements.lock, at its locked version and hash, torch's CPU build from
# the CPU index. The result is the stack the test suite ran on, in /autograder/python and /autograder/venv.
set -euxo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
LOCK="$SOURCE/requirements.lock"
PYTHON_VERSION="$(cat "$SOURCE/.python-version")"
# CPU wheels of torch: the default index would bring several GB of CUDA libraries.
TORCH_INDEX="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
export UV_PYTHON_INSTALL_DIR="$ROOT/python"

# One package's entry of the lock (its pin and hashes), for installing it on its own.
lock_entry() {
    awk -v name="$1" '$0 ~ "^" name "==" {p=1} p {print} p && !/\\$/ {p=0}' "$LOCK"
}

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv ca-certificates

# uv, at its locked version and hash, in a venv of the base image's python3.
python3 -m venv "$ROOT/bootstrap"
lock_entry uv > "$ROOT/bootstrap/uv.lock"
"$ROOT/bootstrap/bin/python" -m pip install --no-deps --require-hashes -r "$ROOT/bootstrap/uv.lock"
"$ROOT/bootstrap/bin/uv" python install "$PYTHON_VERSION"
BASE_PYTHON="$("$ROOT/bootstrap/bin/uv" python find --python-preference only-managed "$PYTHON_VERSION")"
rm -rf "$ROOT/bootstrap"

"$BASE_PYTHON" -m venv "$ROOT/venv"
lock_entry torch > "$ROOT/venv/torch.lock"
# torch alone from the CPU index (only torch is looked up there), then the rest from PyPI.
"$ROOT/venv/bin/python" -m pip install --no-deps --require-hashes --index-url "$TORCH_INDEX" -r "$ROOT/venv/torch.lock"
"$ROOT/venv/bin/python" -m pip install --no-deps --require-hashes -r "$LOCK"
"$ROOT/venv/bin/python" -m pip check
"$ROOT/venv/bin/python" - "$PYTHON_VERSION" <<'EOF'
import platform, sys
import torch
assert platform.python_version() == sys.argv[1], f"Python {platform.python_version()}, expected {sys.argv[1]}"
assert torch.version.cuda is None, f"torch {torch.__version__} is a CUDA build; the CPU build was expected"
print(f"Python {platform.python_version()}, torch {torch.__version__} (CPU)")
EOF

# Student code runs as a uid leased from 64000 on, which owns no files and cannot read these.
chmod 700 "$SOURCE/reference"
[ ! -d "$SOURCE/data" ] || find "$SOURCE/data" -type d -name hidden -exec chmod 700 {} +
