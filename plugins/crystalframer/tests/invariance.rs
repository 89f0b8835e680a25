//! Invariance of predictions on real crystals from `../shared/data` for every frame method:
//! proper rotations, translations, atom permutations, supercells (2×1×1 and a non-diagonal
//! det-4 one) and a unimodular change of cell with an origin shift, |Δprediction| ≤ 1e-5.
//!
//! Lattice and PCA frames are built from the cell itself (its shortest vectors, the atoms of
//! the unit cell), so they are only expected to be invariant to rotations, translations and
//! permutations, on crystals whose lattice has a unique set of shortest vectors. Frame models
//! are not mirror-invariant (right-handed frames); the frame-free baseline is, and is tested.
//!
//! The weights are the parity fixtures' (random initialisation; invariance is a property of
//! the architecture, not of training). Run with `-- --nocapture` for the measured maxima.

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use screen_crystalframer::checkpoint::load_weights;
use screen_crystalframer::frames::{FrameMethod, Frames};
use screen_crystalframer::geometry::{Batch, CrystalInput};
use screen_crystalframer::{Config, CrystalFramer};
use serde_json::Value;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

const TOL: f32 = 1e-5;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

type M3 = [[f64; 3]; 3];
/// (id, lattice, Z, fractional coordinates).
type Record = (String, M3, Vec<u8>, Vec<[f64; 3]>);
/// Per transform: the largest |Δ| and the crystal where it occurred.
type Worst = Vec<(&'static str, f32, String)>;
type Cells = Vec<(String, Cell)>;

/// Records of a gzipped JSONL data set by id, as (id, lattice, Z, fractional coordinates).
fn records(file: &str, ids: &[&str]) -> Vec<Record> {
    let f = std::fs::File::open(shared(&format!("data/{file}"))).expect("data set");
    let mut found = Vec::new();
    for line in std::io::BufReader::new(flate2::read::GzDecoder::new(f)).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let id = v["id"].as_str().unwrap();
        if !ids.contains(&id) {
            continue;
        }
        let rows = |x: &Value| -> Vec<[f64; 3]> {
            x.as_array().unwrap().iter().map(|r| std::array::from_fn(|k| r[k].as_f64().unwrap())).collect()
        };
        let l = rows(&v["lattice"]);
        let z = v["species"].as_array().unwrap().iter().map(|z| z.as_u64().unwrap() as u8).collect();
        found.push((id.to_string(), [l[0], l[1], l[2]], z, rows(&v["frac_coords"])));
        if found.len() == ids.len() {
            break;
        }
    }
    assert_eq!(found.len(), ids.len(), "missing records in {file}");
    found
}

/// A crystal kept in fractional form so cell changes are easy.
#[derive(Clone)]
struct Cell {
    lattice: M3,
    z: Vec<u8>,
    frac: Vec<[f64; 3]>,
}

fn vec_mat(v: [f64; 3], m: &M3) -> [f64; 3] {
    std::array::from_fn(|k| v[0] * m[0][k] + v[1] * m[1][k] + v[2] * m[2][k])
}

fn mat_mul(a: &M3, b: &M3) -> M3 {
    std::array::from_fn(|i| vec_mat(a[i], b))
}

fn inverse(m: &M3) -> M3 {
    let c = |a: [f64; 3], b: [f64; 3]| [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    let (c0, c1, c2) = (c(m[1], m[2]), c(m[2], m[0]), c(m[0], m[1]));
    let det = m[0][0] * c0[0] + m[0][1] * c0[1] + m[0][2] * c0[2];
    std::array::from_fn(|i| [c0[i] / det, c1[i] / det, c2[i] / det])
}

impl Cell {
    fn input(&self) -> CrystalInput {
        CrystalInput::new(self.lattice, self.z.clone(), self.frac.iter().map(|f| vec_mat(*f, &self.lattice)).collect())
    }

    /// The same crystal described by the cell `m·L` (integer `m`, |det m| = n): the n·N atoms
    /// inside the new cell, wrapped into [0, 1).
    fn recell(&self, m: [[i32; 3]; 3], shift: [f64; 3]) -> Cell {
        let mf: M3 = m.map(|r| r.map(|x| x as f64));
        let lattice = mat_mul(&mf, &self.lattice);
        let to_new = inverse(&mf); // fractional (old) → fractional (new): f·m⁻¹
        let det = (mf[0][0] * (mf[1][1] * mf[2][2] - mf[1][2] * mf[2][1]) - mf[0][1] * (mf[1][0] * mf[2][2] - mf[1][2] * mf[2][0])
            + mf[0][2] * (mf[1][0] * mf[2][1] - mf[1][1] * mf[2][0]))
            .abs()
            .round() as usize;
        let (mut z, mut frac) = (Vec::new(), Vec::new());
        let r = 3;
        for (zi, f) in self.z.iter().zip(&self.frac) {
            for a in -r..=r {
                for b in -r..=r {
                    for c in -r..=r {
                        let old = [f[0] + a as f64 + shift[0], f[1] + b as f64 + shift[1], f[2] + c as f64 + shift[2]];
                        let new = vec_mat(old, &to_new);
                        if new.iter().all(|x| (-1e-9..1.0 - 1e-9).contains(x)) {
                            z.push(*zi);
                            frac.push(new.map(|x| x.rem_euclid(1.0)));
                        }
                    }
                }
            }
        }
        assert_eq!(z.len(), det * self.z.len(), "recell lost or duplicated atoms");
        Cell { lattice, z, frac }
    }
}

/// A proper rotation from a (seeded) unit quaternion.
fn rotation(seed: u64) -> M3 {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let q = [next(), next(), next(), next()];
    let n = q.iter().map(|x| x * x).sum::<f64>().sqrt();
    let [w, x, y, z] = q.map(|v| v / n);
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - z * w), 2.0 * (x * z + y * w)],
        [2.0 * (x * y + z * w), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - x * w)],
        [2.0 * (x * z - y * w), 2.0 * (y * z + x * w), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

/// Applies a Cartesian linear map to the lattice and the positions (row vectors: v·Rᵀ).
fn transform(c: &CrystalInput, r: &M3) -> CrystalInput {
    let rt: M3 = std::array::from_fn(|i| std::array::from_fn(|j| r[j][i]));
    CrystalInput {
        lattice: c.lattice.map(|v| vec_mat(v, &rt)),
        positions: c.positions.iter().map(|p| vec_mat(*p, &rt)).collect(),
        species: c.species.clone(),
    }
}

fn variants(cell: &Cell, full: bool) -> Vec<(&'static str, CrystalInput)> {
    let base = cell.input();
    let mut out = vec![("rotation 1", transform(&base, &rotation(1))), ("rotation 2", transform(&base, &rotation(2)))];
    let mut moved = base.clone();
    moved.positions.iter_mut().for_each(|p| {
        p[0] += 0.731;
        p[1] -= 2.113;
        p[2] += 0.377;
    });
    out.push(("translation", moved));
    let mut perm = base.clone();
    perm.positions.reverse();
    perm.species.reverse();
    perm.positions.rotate_left(1);
    perm.species.rotate_left(1);
    out.push(("permutation", perm));
    if full {
        out.push(("supercell 2x1x1", cell.recell([[2, 0, 0], [0, 1, 0], [0, 0, 1]], [0.0; 3]).input()));
        out.push(("supercell [[1,1,0],[-1,1,0],[0,0,2]]", cell.recell([[1, 1, 0], [-1, 1, 0], [0, 0, 2]], [0.0; 3]).input()));
        let changed = cell.recell([[1, 0, 0], [1, 1, 0], [-1, 0, 1]], [0.13, -0.27, 0.41]);
        out.push(("unimodular cell + shift", transform(&changed.input(), &rotation(3))));
    }
    out
}

fn model(name: &str, method: FrameMethod) -> CrystalFramer {
    let dir = shared("fixtures/crystalframer_parity");
    let cfg = Config::from_file(&dir.join(format!("{name}.config.json"))).unwrap();
    let w = load_weights(&dir.join(format!("{name}.weights.safetensors")), &Device::Cpu).unwrap();
    let frames: Arc<dyn Frames> = Arc::from(method.build(0.0, 0));
    CrystalFramer::load_with_frames(VarBuilder::from_tensors(w, DType::F32, &Device::Cpu), &cfg, frames).unwrap()
}

fn predict(net: &CrystalFramer, inputs: &[CrystalInput]) -> Vec<f32> {
    let batch = Arc::new(Batch::new(inputs).unwrap());
    net.forward(&batch).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn to_cell((id, lattice, z, frac): Record) -> (String, Cell) {
    (id, Cell { lattice, z, frac })
}

/// Symmetric crystals (a cubic perovskite, rhombohedral As) and low-symmetry ones
/// (monoclinic/triclinic cells with three different lattice lengths).
fn crystals() -> (Cells, Cells) {
    let mut symmetric: Vec<_> = records("castelli_perovskites_matbench.jsonl.gz", &["perov_0"]).into_iter().map(to_cell).collect();
    symmetric.extend(records("mp_flla2015.jsonl.gz", &["mp-10"]).into_iter().map(to_cell));
    let low = records("mp_flla2015.jsonl.gz", &["mp-19149", "mp-600604", "mp-1337"]).into_iter().map(to_cell).collect();
    (symmetric, low)
}

/// perov_1 (HfTeO3): a polar perovskite, Hf displaced along a (site symmetry 4mm).
fn polar_perovskite() -> Vec<(String, Cell)> {
    records("castelli_perovskites_matbench.jsonl.gz", &["perov_1"]).into_iter().map(to_cell).collect()
}

/// Max |Δ| per transform over the crystals; fails above TOL.
fn check(net: &CrystalFramer, cells: &[(String, Cell)], full: bool) {
    let worst = deltas(net, cells, full);
    let failures: Vec<String> =
        worst.iter().filter(|(_, d, _)| *d > TOL).map(|(what, d, at)| format!("{what}: |Δ| = {d:.2e} ({at})")).collect();
    assert!(failures.is_empty(), "{} frames: {failures:#?}", net.frame_method().name());
}

/// Per transform: the largest |Δprediction| over the crystals and where it occurred.
fn deltas(net: &CrystalFramer, cells: &[(String, Cell)], full: bool) -> Worst {
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    for (id, cell) in cells {
        inputs.push(cell.input());
        labels.push((id.clone(), "base"));
        for (what, c) in variants(cell, full) {
            inputs.push(c);
            labels.push((id.clone(), what));
        }
    }
    let y = predict(net, &inputs);
    let mut base = f32::NAN;
    let mut worst: Worst = Vec::new();
    for ((id, what), v) in labels.iter().zip(&y) {
        if *what == "base" {
            base = *v;
            continue;
        }
        // NaN counts as the worst possible difference.
        let d = if (v - base).is_nan() { f32::INFINITY } else { (v - base).abs() };
        match worst.iter_mut().find(|(w, ..)| w == what) {
            Some(e) if d > e.1 => *e = (what, d, id.clone()),
            Some(_) => {}
            None => worst.push((what, d, id.clone())),
        }
    }
    for (what, d, id) in &worst {
        println!("{:13} {what:38} max |Δ| = {d:.2e} ({id})", net.frame_method().name());
    }
    worst
}

fn all_crystals() -> Vec<(String, Cell)> {
    let (mut s, l) = crystals();
    s.extend(l);
    s
}

#[test]
fn max_frames_are_invariant() {
    check(&model("crystalframer_max_default", FrameMethod::Max), &all_crystals(), true);
}

#[test]
fn lightweight_max_frames_are_invariant() {
    check(&model("crystalframer_max_small_lightweight", FrameMethod::Max), &all_crystals(), true);
}

#[test]
fn static_max_frames_are_invariant() {
    check(&model("crystalframer_max_default", FrameMethod::MaxStatic), &all_crystals(), true);
}

#[test]
fn weighted_pca_frames_are_invariant() {
    check(&model("crystalframer_max_default", FrameMethod::WeightedPca), &all_crystals(), true);
}

#[test]
fn baseline_is_invariant() {
    check(&model("crystalformer_baseline_default", FrameMethod::None), &all_crystals(), true);
}

#[test]
fn lattice_frames_are_invariant_to_rigid_motions_and_permutations() {
    check(&model("crystalframer_max_default", FrameMethod::Lattice), &crystals().1, false);
}

#[test]
fn pca_frames_are_invariant_to_rigid_motions_and_permutations() {
    check(&model("crystalframer_max_default", FrameMethod::Pca), &crystals().1, false);
}

/// Max frames pick, among exactly tied candidate images, the first in loop order (as the
/// reference on CPU does). In a polar crystal a tie can be between images related by a mirror
/// that fixes the first axis; the two choices then give mirror-image frames and different
/// features, so the prediction depends on how rounding breaks the tie. The reference breaks
/// such ties with random noise (1e-5) at every call; the spread of its predictions over seeds
/// measures this ambiguity of the method, which no faithful port can remove. Here: the
/// frame-free baseline is invariant on this crystal, the max-frame model varies under
/// rotations by no more than the reference-style noise does, and the noise spread is well
/// above 1e-5 (so the 1e-5 invariance target is out of reach for max frames on such crystals).
#[test]
fn polar_crystal_ties_are_a_property_of_max_frames() {
    let cells = polar_perovskite();
    check(&model("crystalformer_baseline_default", FrameMethod::None), &cells, true);
    let input = cells[0].1.input();
    let mut noisy = Vec::new();
    for seed in 1..=8 {
        let dir = shared("fixtures/crystalframer_parity");
        let cfg = Config::from_file(&dir.join("crystalframer_max_default.config.json")).unwrap();
        let w = load_weights(&dir.join("crystalframer_max_default.weights.safetensors"), &Device::Cpu).unwrap();
        let frames: Arc<dyn Frames> = Arc::from(FrameMethod::Max.build(1e-5, seed));
        let net = CrystalFramer::load_with_frames(VarBuilder::from_tensors(w, DType::F32, &Device::Cpu), &cfg, frames).unwrap();
        noisy.extend(predict(&net, std::slice::from_ref(&input)));
    }
    let spread = noisy.iter().fold(f32::NEG_INFINITY, |m, x| m.max(*x)) - noisy.iter().fold(f32::INFINITY, |m, x| m.min(*x));
    println!("max           reference-style noise 1e-5, 8 seeds: spread {spread:.2e}");
    assert!(spread > 10.0 * TOL, "the tie ambiguity should show: {spread}");
    let det = model("crystalframer_max_default", FrameMethod::Max);
    let (lo, hi) = (noisy.iter().fold(f32::INFINITY, |m, x| m.min(*x)), noisy.iter().fold(f32::NEG_INFINITY, |m, x| m.max(*x)));
    let width = hi - lo;
    for (what, c) in variants(&cells[0].1, true) {
        let y = predict(&det, &[c])[0];
        println!("max           {what:38} prediction {y:.6} (noise range {lo:.6} … {hi:.6})");
        assert!(y >= lo - width && y <= hi + width, "{what}: {y} far outside the tie-noise range");
    }
}

/// z → −z: the baseline is E(3)-invariant; frame models see a chiral difference only where
/// the crystal is chiral (printed, not asserted).
#[test]
fn mirror_images() {
    let mirror: M3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]];
    let cells = all_crystals();
    let inputs: Vec<CrystalInput> = cells.iter().flat_map(|(_, c)| [c.input(), transform(&c.input(), &mirror)]).collect();
    for (name, method) in [("crystalformer_baseline_default", FrameMethod::None), ("crystalframer_max_default", FrameMethod::Max)] {
        let y = predict(&model(name, method), &inputs);
        let worst = y.chunks(2).map(|p| (p[0] - p[1]).abs()).fold(0f32, f32::max);
        println!("{:13} mirror z → −z                          max |Δ| = {worst:.2e}", method.name());
        if method == FrameMethod::None {
            assert!(worst <= TOL, "baseline not mirror-invariant: {worst}");
        }
    }
}
