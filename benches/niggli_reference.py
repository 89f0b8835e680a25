#!/usr/bin/env python3
"""Writes tests/data/niggli_reference.jsonl: pymatgen's Niggli-reduced lattice parameters for
every lattice of the structure corpus (../shared/corpus/structures/reference.jsonl: each CIF
block and POSCAR structure, each periodic XYZ frame), the reference of the
`niggli_matches_pymatgen` test.

Each line: {"id": "<file> <block/frame>", "matrix": rows in Angstrom (as recorded in
reference.jsonl), "niggli": [a, b, c, alpha, beta, gamma] from
pymatgen.core.Lattice(matrix).get_niggli_reduced_lattice() (its default tol=1e-5)}.
Identical matrices are written once.

    pip install pymatgen
    python3 benches/niggli_reference.py            # from the repository root
"""
import json
import os
import sys

try:
    import pymatgen.core
    from pymatgen.core import Lattice
except ImportError:
    sys.exit("pymatgen is not installed: pip install pymatgen")

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "..", "shared", "corpus", "structures", "reference.jsonl")
out_path = os.path.join(root, "tests", "data", "niggli_reference.jsonl")

seen = set()
rows = []
with open(corpus) as f:
    for line in f:
        rec = json.loads(line)
        if rec.get("status") != "ok":
            continue
        items = []
        if rec["format"] == "xyz":
            for fr in rec.get("frames") or []:
                if fr.get("lattice"):
                    items.append((f"frame {fr['frame_index']}", fr["lattice"]["matrix"]))
        else:
            for i, s in enumerate(rec.get("structures") or []):
                items.append((f"structure {i}", s["lattice"]["matrix"]))
        for label, m in items:
            key = json.dumps(m)
            if key in seen:
                continue
            seen.add(key)
            try:
                n = Lattice(m).get_niggli_reduced_lattice()
            except Exception as e:  # pymatgen refuses a few degenerate cells
                print(f"skip {rec['id']} {label}: {e}", file=sys.stderr)
                continue
            rows.append({"id": f"{rec['id']} {label}", "matrix": m, "niggli": list(n.parameters)})

with open(out_path, "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
print(f"wrote {len(rows)} lattices to {out_path} (pymatgen {pymatgen.core.__version__})")
