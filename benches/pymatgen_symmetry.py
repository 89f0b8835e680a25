#!/usr/bin/env python3
"""pymatgen SpacegroupAnalyzer on the structures of benches/symmetry.rs (5, 8, 56 atoms), at
its defaults (symprec 0.01 A, angle_tolerance 5 degrees): the symmetry dataset per structure.

    pip install pymatgen
    python3 benches/pymatgen_symmetry.py [--repeat 2000]

Prints microseconds per structure (best of 5 runs of --repeat calls) for
`SpacegroupAnalyzer(structure, symprec=0.01, angle_tolerance=5).get_symmetry_dataset()`.
pymatgen caches datasets (an lru_cache keyed by the cell), which would time a dictionary
look-up on repeated calls: the cache is cleared before every call. Also prints the bare
`spglib.get_symmetry_dataset` (spglib 2.x, C) on the same cell for reference.
"""
import argparse
import os
import sys
import time

try:
    from pymatgen.core import Structure
    import pymatgen.symmetry.analyzer as analyzer_module
    import spglib
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
except ImportError:
    sys.exit("pymatgen is not installed: pip install pymatgen")

STRUCTURES = [
    ("5_atoms_PbTiO3_Pm-3m", "poscar/jarvis__core__POSCAR-JVASP-4957"),
    ("8_atoms_Si_Fd-3m", "poscar/jarvis__io__phonopy__POSCAR"),
    ("56_atoms_Na2MoO4_Fd-3m", "cif/cod-tools__tests__inputs__spacegroup-builder__cif__2240655.cif"),
]

ap = argparse.ArgumentParser()
ap.add_argument("--repeat", type=int, default=2000)
args = ap.parse_args()
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.environ.get("SCREEN_CORPUS", os.path.join(root, "..", "shared", "corpus", "structures"))

for label, rel in STRUCTURES:
    path = os.path.join(corpus, rel)
    s = Structure.from_file(path) if rel.startswith("cif") else Structure.from_file(path, fmt="poscar")
    d = SpacegroupAnalyzer(s).get_symmetry_dataset()
    clear = analyzer_module._get_symmetry_dataset.cache_clear
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(args.repeat):
            clear()
            SpacegroupAnalyzer(s, symprec=0.01, angle_tolerance=5).get_symmetry_dataset()
        best = min(best, (time.perf_counter() - t) / args.repeat)
    cell = SpacegroupAnalyzer(s)._cell
    bare = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(args.repeat):
            spglib.get_symmetry_dataset(cell, symprec=0.01, angle_tolerance=5)
        bare = min(bare, (time.perf_counter() - t) / args.repeat)
    print(
        f"{label} ({len(s)} sites, No. {d.number}): SpacegroupAnalyzer {best * 1e6:.1f} us/structure "
        f"({1 / best:.0f} structures/s); bare spglib {spglib.__version__} {bare * 1e6:.1f} us"
    )
