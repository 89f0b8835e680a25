#!/usr/bin/env python3
"""Times gemmi's CIF reader on the corpus CIFs: the C++ yardstick for the `cif_small` group of
benches/parse.rs (issue 2 quotes gemmi at 34-40k small CIFs/s).

Every file is read into memory first. Three stages are timed, each over all files:
  - `syntax`: `gemmi.cif.read_string(text)` (the PEGTL tokenizer and the document tree);
  - `structure`: that, then `gemmi.make_small_structure_from_block(block)` for every block
    (cell, space group, asymmetric-unit sites);
  - `expanded`: that, then `get_all_unit_cell_sites()` (symmetry expansion with duplicate
    merging), the work screen's reader does per block. This stage also builds one Python
    object per unit-cell site, which the C++ work alone would not.
Files gemmi refuses count as parsed (as the Rust bench counts errors). The loop runs in
Python, so each file also pays a few calls of interpreter overhead; `--repeat` passes, the
fastest counts.

Usage: python3 benches/gemmi_cif.py [--max-bytes 4096] [--repeat 5] [--json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

STAGES = ("syntax", "structure", "expanded")
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "structures" / "cif"


def timed(texts, repeat, stage):
    import gemmi

    best = None
    for _ in range(max(1, repeat)):
        counts = {"blocks": 0, "sites": 0, "refused": 0}
        start = time.perf_counter()
        for text in texts:
            try:
                doc = gemmi.cif.read_string(text)
                counts["blocks"] += len(doc)
                if stage != "syntax":
                    for block in doc:
                        small = gemmi.make_small_structure_from_block(block)
                        if stage == "expanded":
                            counts["sites"] += len(small.get_all_unit_cell_sites())
                        else:
                            counts["sites"] += len(small.sites)
            except Exception:
                counts["refused"] += 1
        total = time.perf_counter() - start
        if best is None or total < best[0]:
            best = (total, counts)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of CIF files")
    ap.add_argument("--max-bytes", type=int, default=None, help="only files smaller than this (the small-CIF group: 4096)")
    ap.add_argument("--repeat", type=int, default=5, help="passes over the files; the fastest counts")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args()
    try:
        import gemmi
    except ImportError:
        print("gemmi is not installed (pip install gemmi): nothing to compare against", file=sys.stderr)
        return 2

    texts = []
    for p in sorted(p for p in args.corpus.iterdir() if p.is_file()):
        data = p.read_bytes()
        if args.max_bytes is not None and len(data) >= args.max_bytes:
            continue
        texts.append(data.decode("utf-8", errors="replace"))
    if not texts:
        print(f"no CIF files in {args.corpus}", file=sys.stderr)
        return 2

    result = {"gemmi": gemmi.__version__, "files": len(texts)}
    for stage in STAGES:
        total, counts = timed(texts, args.repeat, stage)
        result[stage] = dict(counts, seconds=total, files_per_s=len(texts) / total)
    if args.json:
        print(json.dumps(result))
    else:
        size = f" under {args.max_bytes} bytes" if args.max_bytes else ""
        for stage in STAGES:
            r = result[stage]
            print(
                f"gemmi {result['gemmi']} {stage:<9}: {len(texts)} CIF files{size} in {r['seconds']:.4f} s = "
                f"{r['files_per_s']:.0f} files/s ({r['blocks']} blocks, {r['sites']} sites, {r['refused']} refused)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
