#!/usr/bin/env bash
# SMACT vs screen on the 27-element ternary sweep. Builds the release binary, installs SMACT
# into a throw-away virtual environment when it is missing (pip, PyPI), then runs
# compare_smact.py. Usage: benches/compare_smact.sh  (from the repository root)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release --bin screen
target="${CARGO_TARGET_DIR:-$root/target}"
python="${PYTHON:-python3}"
if ! "$python" -c "import smact" 2>/dev/null; then
    venv="${SMACT_VENV:-/tmp/screen-smact-venv}"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -c "import smact" 2>/dev/null || "$venv/bin/pip" install -q smact
    python="$venv/bin/python"
fi
exec "$python" "$root/benches/compare_smact.py" "$target/release/screen"
