#!/usr/bin/env python3
"""Times pymatgen's CIF reader on the corpus CIFs: the Python baseline for the `cif_all` and
`cif_small` groups of benches/parse.rs.

Every file is read into memory first; each is then parsed with
`CifParser.from_str(text).parse_structures(primitive=False, symmetrized=False,
check_occu=True, on_error="ignore")`, the per-block conversion the conformance references
were made with. Files pymatgen refuses count as parsed (as the Rust bench counts errors);
files that take longer than --timeout seconds (pymatgen hangs on some broken files) are
stopped with SIGALRM, counted, and left out of the rate.

Usage: python3 benches/pymatgen_cif.py [--max-bytes 4096] [--repeat 3] [--json]
"""

import argparse
import json
import signal
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "structures" / "cif"


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of CIF files")
    ap.add_argument("--max-bytes", type=int, default=None, help="only files smaller than this (the small-CIF group: 4096)")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the files; the fastest counts")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per file")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args()

    try:
        import pymatgen.core  # noqa: F401
        from pymatgen.io.cif import CifParser
    except ImportError:
        print("pymatgen is not installed (pip install pymatgen): nothing to compare against", file=sys.stderr)
        return 2
    version = getattr(pymatgen.core, "__version__", "unknown")

    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    texts = []
    for p in files:
        data = p.read_bytes()
        if args.max_bytes is not None and len(data) >= args.max_bytes:
            continue
        # pymatgen reads files as UTF-8 with replacement; do the same up front.
        texts.append((p.name, data.decode("utf-8", errors="replace")))
    if not texts:
        print(f"no CIF files in {args.corpus}", file=sys.stderr)
        return 2

    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, on_alarm)
    timed_out = set()
    best = None
    for _ in range(max(1, args.repeat)):
        total = 0.0
        counts = {"structures": 0, "refused": 0}
        for name, text in texts:
            if name in timed_out:
                continue
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            start = time.perf_counter()
            try:
                structures = CifParser.from_str(text).parse_structures(
                    primitive=False, symmetrized=False, check_occu=True, on_error="ignore"
                )
                counts["structures"] += len(structures)
            except Timeout:
                timed_out.add(name)
                continue
            except Exception:
                counts["refused"] += 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            total += time.perf_counter() - start
        if best is None or total < best[0]:
            best = (total, counts)

    total, counts = best
    parsed = len(texts) - len(timed_out)
    result = {
        "pymatgen": version,
        "files": len(texts),
        "timed_out": len(timed_out),
        "timed_out_files": sorted(timed_out),
        "parsed": parsed,
        "structures": counts["structures"],
        "refused": counts["refused"],
        "seconds": total,
        "files_per_s": parsed / total if total > 0 else float("nan"),
    }
    if args.json:
        print(json.dumps(result))
    else:
        size = f" under {args.max_bytes} bytes" if args.max_bytes else ""
        print(
            f"pymatgen {version}: {parsed} CIF files{size} in {total:.3f} s = {result['files_per_s']:.1f} files/s "
            f"({counts['structures']} structures, {counts['refused']} refused, {len(timed_out)} timed out after "
            f"{args.timeout:g} s and not counted)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
