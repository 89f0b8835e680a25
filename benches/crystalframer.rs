//! CrystalFramer inference throughput (crystals/s) for 5-, 20- and 80-atom cells at batch 1
//! and 64, with the default max-frame architecture (the `crystalframer_max_default` parity
//! fixture: 4 layers, d = 128, 8 heads, K = A = 64).
//!
//! Cells: a Castelli cubic perovskite (5 atoms), the first 20-atom crystal of the MP FLLA set,
//! and that crystal as a 2×2×1 supercell (80 atoms), all from `../shared/data`.
//!
//! Run on 2 threads as the issue asks:
//! `RAYON_NUM_THREADS=2 cargo bench -p screen-crystalframer --bench crystalframer`

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use screen_crystalframer::checkpoint::load_weights;
use screen_crystalframer::geometry::{Batch, CrystalInput};
use screen_crystalframer::{Config, CrystalFramer};
use serde_json::Value;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

/// The first record of a gzipped JSONL data set with `natoms` atoms.
fn record(file: &str, natoms: u64) -> CrystalInput {
    let f = std::fs::File::open(shared(&format!("data/{file}"))).expect("data set");
    let lines = std::io::BufReader::new(flate2::read::GzDecoder::new(f)).lines();
    for line in lines {
        let v: Value = serde_json::from_str(&line.expect("line")).expect("JSON");
        if v["natoms"].as_u64() != Some(natoms) {
            continue;
        }
        let m = |x: &Value| -> Vec<[f64; 3]> {
            x.as_array().unwrap().iter().map(|r| std::array::from_fn(|k| r[k].as_f64().unwrap())).collect()
        };
        let l = m(&v["lattice"]);
        let lattice = [l[0], l[1], l[2]];
        let cart = m(&v["frac_coords"]).iter().map(|f| std::array::from_fn(|k| (0..3).map(|d| f[d] * lattice[d][k]).sum())).collect();
        let z = v["species"].as_array().unwrap().iter().map(|z| z.as_u64().unwrap() as u8).collect();
        return CrystalInput::new(lattice, z, cart);
    }
    panic!("no {natoms}-atom crystal in {file}");
}

fn supercell(c: &CrystalInput, n: [usize; 3]) -> CrystalInput {
    let l = c.lattice;
    let mut out = CrystalInput { lattice: l, positions: vec![], species: vec![] };
    for d in 0..3 {
        out.lattice[d] = l[d].map(|x| x * n[d] as f64);
    }
    for a in 0..n[0] {
        for b in 0..n[1] {
            for cc in 0..n[2] {
                for (p, s) in c.positions.iter().zip(&c.species) {
                    let shift: [f64; 3] = std::array::from_fn(|k| a as f64 * l[0][k] + b as f64 * l[1][k] + cc as f64 * l[2][k]);
                    out.positions.push(std::array::from_fn(|k| p[k] + shift[k]));
                    out.species.push(s.clone());
                }
            }
        }
    }
    out
}

fn model() -> CrystalFramer {
    let dir = shared("fixtures/crystalframer_parity");
    let cfg = Config::from_file(&dir.join("crystalframer_max_default.config.json")).unwrap();
    let w = load_weights(&dir.join("crystalframer_max_default.weights.safetensors"), &Device::Cpu).unwrap();
    CrystalFramer::load(VarBuilder::from_tensors(w, DType::F32, &Device::Cpu), &cfg).unwrap()
}

fn bench(c: &mut Criterion) {
    let net = model();
    let twenty = record("mp_flla2015.jsonl.gz", 20);
    let cells = [
        ("5-atom", record("castelli_perovskites_matbench.jsonl.gz", 5)),
        ("20-atom", twenty.clone()),
        ("80-atom", supercell(&twenty, [2, 2, 1])),
    ];
    let mut group = c.benchmark_group("crystalframer_predict");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    for (name, cell) in &cells {
        for batch_size in [1usize, 64] {
            let batch = Arc::new(Batch::new(&vec![cell.clone(); batch_size]).unwrap());
            group.throughput(Throughput::Elements(batch_size as u64));
            group.bench_with_input(BenchmarkId::new(*name, format!("batch{batch_size}")), &batch, |b, batch| {
                b.iter(|| net.forward(batch).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
