"""Writes candidates.db with ASE's own SQLite backend, plus candidates.expected.json: what
ASE reads back from it (ids, numbers, positions, cell, pbc, key-value pairs), which
tests/ase_db.rs compares screen's reader against.

Run (ASE 3.29.0, numpy 2.4.6; any ASE with db VERSION 9 writes the same layout):
    python3 -m venv /tmp/ase-venv && /tmp/ase-venv/bin/pip install ase==3.29.0
    /tmp/ase-venv/bin/python tests/data/ase/make_ase_db.py
"""

import json
import os

import ase
import numpy as np
from ase import Atoms
from ase.build import bulk, molecule, fcc111
from ase.calculators.singlepoint import SinglePointCalculator
from ase.db import connect

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "candidates.db")
if os.path.exists(path):
    os.remove(path)

db = connect(path)

# 1: cubic SrTiO3 perovskite (5 atoms), string/int/float/bool key-value pairs.
sto = Atoms(
    "SrTiO3",
    scaled_positions=[[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]],
    cell=[3.905, 3.905, 3.905],
    pbc=True,
)
db.write(sto, prototype="perovskite", source_index=17, tolerance=0.95, stable=True)

# 2: rock salt primitive cell (non-orthogonal lattice) with a DFT energy and forces.
nacl = bulk("NaCl", "rocksalt", a=5.64)
nacl.calc = SinglePointCalculator(nacl, energy=-6.75, forces=np.zeros((2, 3)))
db.write(nacl, prototype="rocksalt")

# 3: a triclinic, rattled cell (positions not on special points, cartesian != fractional).
tri = Atoms(
    "Li2FeO3",
    scaled_positions=[[0.02, 0.01, 0.03], [0.51, 0.49, 0.02], [0.25, 0.26, 0.5], [0.7, 0.1, 0.3],
                      [0.1, 0.7, 0.8], [0.4, 0.4, 0.9]],
    cell=[[4.1, 0.2, 0.1], [0.3, 5.2, -0.2], [0.4, -0.1, 6.3]],
    pbc=True,
)
db.write(tri, prototype="rattled", note="triclinic test cell")

# 4: written and then deleted, so ids have a gap as in any edited database.
db.write(bulk("Cu", "fcc", a=3.6))
db.delete([4])

# 5: a molecule (no periodicity, zero cell).
db.write(molecule("H2O"), kind="molecule")

# 6: a slab, periodic in a and b only (pbc = T T F), with vacuum along c.
slab = fcc111("Al", size=(2, 2, 3), vacuum=6.0)
db.write(slab, kind="slab")

rows = []
for row in db.select():
    rows.append({
        "id": row.id,
        "unique_id": row.unique_id,
        "numbers": [int(z) for z in row.numbers],
        "positions": row.positions.tolist(),
        "cell": np.asarray(row.cell).tolist(),
        "pbc": [bool(p) for p in row.pbc],
        "key_value_pairs": {k: (v.item() if hasattr(v, "item") else v) for k, v in row.key_value_pairs.items()},
        "energy": row.get("energy"),
    })
with open(os.path.join(here, "candidates.expected.json"), "w") as f:
    json.dump({"ase_version": ase.__version__, "numpy_version": np.__version__, "rows": rows}, f, indent=1)
print(f"wrote {path} with {len(rows)} rows (ASE {ase.__version__})")
