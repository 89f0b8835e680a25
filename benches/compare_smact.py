#!/usr/bin/env python3
"""SMACT vs screen on the 27-element ternary sweep (19 cations, 8 anions, threshold 8).

SMACT: `smact.screening.smact_filter(els, threshold=8)` (its defaults: icsd24 states,
species_unique=True) for each of the 2,925 ternary combinations, in one process, one thread.
screen: `screen compositions --elements <pool> --size 3 --max-stoich 8 -o <tmp>.csv`, the
whole process (start-up, enumeration, CSV writing), best of 3 runs.

Both must find the same number of (oxidation states, stoichiometry) results; the script
prints wall and CPU times and their ratios (on a shared, loaded machine the CPU-time ratio is
the fair one). Usage: compare_smact.py [path/to/screen]
"""
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time

CATIONS = ["Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba", "Al", "Ga", "In", "Ti", "Zr",
           "Zn", "Cd", "Sn", "Pb", "Bi"]
ANIONS = ["O", "S", "Se", "Te", "F", "Cl", "Br", "I"]
POOL = CATIONS + ANIONS


def run_smact():
    try:
        import smact
        from smact.screening import smact_filter
    except ImportError:
        print("SMACT is not installed (pip install smact); skipping the Python side")
        return None, None
    elements = {s: smact.Element(s) for s in POOL}
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    for combo in itertools.combinations(POOL, 3):
        n += len(smact_filter([elements[s] for s in combo], threshold=8))
    return (time.perf_counter() - start, time.process_time() - cpu), n


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_screen(binary):
    best = None
    best_cpu = None
    rows = None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ternaries.csv")
        for _ in range(3):
            start, cpu = time.perf_counter(), child_cpu()
            subprocess.run([binary, "compositions", "--elements", ",".join(POOL), "--size", "3",
                            "--max-stoich", "8", "-o", out], check=True, stderr=subprocess.DEVNULL)
            elapsed, used = time.perf_counter() - start, child_cpu() - cpu
            best = elapsed if best is None else min(best, elapsed)
            best_cpu = used if best_cpu is None else min(best_cpu, used)
        with open(out) as f:
            rows = sum(1 for _ in f) - 1
    return (best, best_cpu), rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "target", "release", "screen")
    screen_time, screen_rows = run_screen(binary)
    print(f"screen compositions: {screen_rows} compositions, wall {screen_time[0]:.3f} s, "
          f"CPU {screen_time[1]:.3f} s (best of 3, whole process)")
    smact_time, smact_rows = run_smact()
    if smact_time is None:
        return 0
    print(f"SMACT smact_filter:  {smact_rows} compositions, wall {smact_time[0]:.2f} s, CPU {smact_time[1]:.2f} s")
    print(f"ratio SMACT / screen: wall {smact_time[0] / screen_time[0]:.0f}x, CPU {smact_time[1] / screen_time[1]:.0f}x")
    if smact_rows != screen_rows:
        print(f"MISMATCH: SMACT {smact_rows} vs screen {screen_rows}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
