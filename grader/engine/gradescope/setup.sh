#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu base).
# It installs the pinned Python stack with the CPU build of torch into /autograder/venv and
# closes the reference and hidden data to every user but root.
set -euxo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
# CPU wheels of torch: the default index would bring several GB of CUDA libraries.
TORCH_INDEX="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --upgrade pip
"$ROOT/venv/bin/pip" install --extra-index-url "$TORCH_INDEX" -r "$SOURCE/requirements.txt"

# Student code runs as a uid leased from 64000 on, which owns no files and cannot read these.
chmod 700 "$SOURCE/reference"
[ ! -d "$SOURCE/data" ] || find "$SOURCE/data" -type d -name hidden -exec chmod 700 {} +
