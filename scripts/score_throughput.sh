#!/bin/bash
# Throughput of `screen score` on the first 10,000 Castelli perovskites (../shared/data):
# structures/s and peak RSS, 2 threads, release build.
#
#   bash scripts/score_throughput.sh [MODEL_DIR_OR_NAME]
#
# Without a model argument it uses models/perovskite-eform when present, else the parity
# fixture crystalframer_max_default (random weights, the default CrystalFramer size).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin screen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
zcat ../shared/data/castelli_perovskites_matbench.jsonl.gz | head -10000 > "$work/perov10k.jsonl"
fixtures=../shared/fixtures/crystalframer_parity
if [ $# -ge 1 ]; then
    model=(--model "$1")
elif [ -d models/perovskite-eform ]; then
    model=(--model perovskite-eform)
else
    model=(--weights "$fixtures/crystalframer_max_default.weights.safetensors"
           --config "$fixtures/crystalframer_max_default.config.json")
fi
for out in scores.csv scores.db; do
    /usr/bin/time -v target/release/screen score "${model[@]}" "$work/perov10k.jsonl" \
        --out "$work/$out" --threads 2 2>&1 \
        | grep -E "^scored|Maximum resident|Elapsed \(wall|Percent of CPU"
done
