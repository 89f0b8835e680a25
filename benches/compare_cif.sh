#!/usr/bin/env bash
# Compares CIF parsing throughput of screen (criterion groups cif_all and cif_small of
# benches/parse.rs) with pymatgen's CifParser (benches/pymatgen_cif.py) and, when installed,
# gemmi (benches/gemmi_cif.py) on the same corpus files, and prints files/s and the ratios.
#
# Usage: benches/compare_cif.sh
#   PYTHON=/path/to/python   interpreter with pymatgen and gemmi (default python3)
#   PYMATGEN_REPEAT=N        passes over the files for pymatgen; the fastest counts (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

cargo bench -p screen-engine --bench parse -- cif_

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

# files/s of a criterion benchmark (GROUP/NAME): throughput elements / mean time per iteration.
rust_rate() {
  python3 - "$target_dir/criterion/$1/new" <<'PY'
import json, sys, pathlib
d = pathlib.Path(sys.argv[1])
mean_ns = json.loads((d / "estimates.json").read_text())["mean"]["point_estimate"]
n = json.loads((d / "benchmark.json").read_text())["throughput"]["Elements"]
print(n / (mean_ns * 1e-9))
PY
}

have_pymatgen=1
if ! "$PYTHON" -c 'import pymatgen.io.cif' 2>/dev/null; then
  have_pymatgen=0
  echo "pymatgen is not installed for $PYTHON (pip install pymatgen, or set PYTHON=...): screen numbers only" >&2
fi

# Prints "files/s timed-out-count version" for pymatgen, or nothing without pymatgen.
py_rate() {
  [ "$have_pymatgen" = 1 ] || return 0
  "$PYTHON" benches/pymatgen_cif.py --json --repeat "${PYMATGEN_REPEAT:-3}" "$@" |
    python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["files_per_s"], r["timed_out"], r["pymatgen"])'
}

echo
printf '%-20s %14s %14s %10s\n' group screen pymatgen ratio
# cif_small/many_files: the same files read from disk on every core (formats::many), against
# pymatgen's one process.
for bench in cif_all/parse cif_small/parse cif_small/many_files; do
  group=${bench%/parse}
  ours=$(rust_rate "$bench")
  if [ "$group" = cif_all ]; then theirs=$(py_rate); else theirs=$(py_rate --max-bytes 4096); fi
  if [ -z "$theirs" ]; then
    printf '%-20s %12.0f/s %14s %10s\n' "$group" "$ours" "n/a" "n/a"
    continue
  fi
  read -r py timeouts version <<<"$theirs"
  python3 -c "import sys; o, p = float(sys.argv[1]), float(sys.argv[2]); print(f'{sys.argv[3]:<20} {o:12.0f}/s {p:12.1f}/s {o / p:9.0f}x')" "$ours" "$py" "$group"
  [ "$timeouts" != 0 ] && echo "  ($timeouts files timed out in pymatgen $version and are not counted)"
done

# gemmi (C++, through its Python module) on the same files, when installed for $PYTHON:
# `syntax` is its tokenizer and document tree alone, `expanded` reads each block into a small
# structure and expands the sites by symmetry, the work screen's reader does (benches/gemmi_cif.py).
if "$PYTHON" -c 'import gemmi' 2>/dev/null; then
  echo
  printf '%-20s %14s %16s %16s %10s\n' group screen gemmi-syntax gemmi-expanded ratio
  for bench in cif_all/parse cif_small/parse cif_small/many_files; do
    group=${bench%/parse}
    ours=$(rust_rate "$bench")
    if [ "$group" = cif_all ]; then limit=(); else limit=(--max-bytes 4096); fi
    "$PYTHON" benches/gemmi_cif.py --json "${limit[@]}" |
      python3 -c 'import json, sys
r = json.load(sys.stdin); o = float(sys.argv[1]); s = r["syntax"]["files_per_s"]; e = r["expanded"]["files_per_s"]
v = r["gemmi"]
print(f"{sys.argv[2]:<20} {o:12.0f}/s {s:14.0f}/s {e:14.0f}/s {o / e:9.2f}x   (gemmi {v})")' "$ours" "$group"
  done
else
  echo "gemmi is not installed for $PYTHON (pip install gemmi): no gemmi comparison" >&2
fi
