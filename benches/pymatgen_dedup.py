#!/usr/bin/env python3
"""pymatgen StructureMatcher.group_structures (defaults: ltol 0.2, stol 0.3, angle_tol 5,
primitive_cell, scale, SpeciesComparator) on a JSON Lines file written by benches/dedup.rs
(originals followed by their copies, ids "<id>~<copy>"). Prints the wall time, the number of
fit() calls (pairs) per second, and whether every original grouped with exactly its copies.

    pip install pymatgen
    SCREEN_DEDUP_N=300 cargo bench -p screen-engine --bench dedup
    python3 benches/pymatgen_dedup.py target/dedup/flla_copies_300.jsonl [--symmetric]
"""
import argparse
import json
import sys
import time

try:
    from pymatgen.analysis.structure_matcher import StructureMatcher
    from pymatgen.core import Lattice, Structure
except ImportError:
    sys.exit("pymatgen is not installed: pip install pymatgen")

ap = argparse.ArgumentParser()
ap.add_argument("jsonl")
ap.add_argument("--symmetric", action="store_true", help="fit both ways (pymatgen's symmetric=True)")
args = ap.parse_args()

ids, structures = [], []
with open(args.jsonl) as f:
    for line in f:
        r = json.loads(line)
        ids.append(str(r["id"]))
        structures.append(Structure(Lattice(r["lattice"]), r["species"], r["frac_coords"]))

sm = StructureMatcher()
calls = [0]
fit = sm.fit


def counting_fit(*a, **k):
    calls[0] += 1
    return fit(*a, **k)


sm.fit = counting_fit
index = {id(s): i for i, s in enumerate(structures)}
t = time.perf_counter()
groups = sm.group_structures(structures, symmetric=args.symmetric)
wall = time.perf_counter() - t
wrong = 0
for g in groups:
    members = [ids[index[id(s)]] for s in g]
    if len({m.split("~")[0] for m in members}) != 1 or len(members) != 6:
        wrong += 1
print(
    f"pymatgen group_structures: {len(structures)} structures -> {len(groups)} groups, "
    f"{calls[0]} fits, {wall:.2f} s wall, {calls[0] / wall:.0f} pairs/s, "
    f"{len(structures) / wall:.1f} structures/s; groups that are not one original with its 5 copies: {wrong}"
)
