//! One-directional fit of two reduced structures, step for step as pymatgen's
//! `StructureMatcher._strict_match` (ltol / angle_tol lattice mappings, anchor translations, a
//! fractional pre-check, then a min-cost site assignment in the average lattice with the mean
//! displacement removed; match when the largest normalised displacement is below stol).

use super::assignment::min_cost_assignment;
use super::{MatcherOptions, ReducedStructure};
use crate::crystal::{Lattice, LatticeParameters};
use crate::math::{self, Mat3, Vec3};

/// Bases of `lattice` whose lengths are within a factor (1 + ltol) and whose angles are within
/// `angle_tol` degrees of `target` (pymatgen's `Lattice.find_all_mappings` with unimodular
/// change of basis). Rows of each matrix are Cartesian vectors (Å).
pub(super) fn lattice_mappings(lattice: &Mat3, target: &LatticeParameters, ltol: f64, angle_tol: f64) -> Vec<Mat3> {
    let lengths = [target.a, target.b, target.c];
    let max_len = lengths.iter().copied().fold(0.0, f64::max) * (1.0 + ltol);
    let Some(inv) = math::inverse(lattice) else { return Vec::new() };
    // |a*_k| bounds the integer range along each axis inside the sphere.
    let recip = math::transpose(&inv);
    let range: [i64; 3] = std::array::from_fn(|k| (max_len * math::norm(recip[k])).ceil().min(50.0) as i64);
    let mut candidates: [Vec<([i64; 3], Vec3, f64)>; 3] = Default::default();
    for i in -range[0]..=range[0] {
        for j in -range[1]..=range[1] {
            for k in -range[2]..=range[2] {
                if (i, j, k) == (0, 0, 0) {
                    continue;
                }
                let v = math::vec_mat([i as f64, j as f64, k as f64], lattice);
                let len = math::norm(v);
                for (axis, target_len) in lengths.iter().enumerate() {
                    let r = len / target_len;
                    if r < 1.0 + ltol && r > 1.0 / (1.0 + ltol) {
                        candidates[axis].push(([i, j, k], v, len));
                    }
                }
            }
        }
    }
    let angle = |u: &([i64; 3], Vec3, f64), v: &([i64; 3], Vec3, f64)| {
        (math::dot(u.1, v.1) / (u.2 * v.2)).clamp(-1.0, 1.0).acos().to_degrees()
    };
    let mut out = Vec::new();
    for a in &candidates[0] {
        for b in &candidates[1] {
            if (angle(a, b) - target.gamma).abs() >= angle_tol {
                continue;
            }
            for c in &candidates[2] {
                if (angle(b, c) - target.alpha).abs() >= angle_tol || (angle(a, c) - target.beta).abs() >= angle_tol {
                    continue;
                }
                let m = [a.0, b.0, c.0];
                let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                    - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
                if det.abs() == 1 {
                    out.push([a.1, b.1, c.1]);
                }
            }
        }
    }
    out
}

/// Lattice with the averaged parameters of two lattices (pymatgen's `av_lat`).
fn average_lattice(a: &LatticeParameters, b: &LatticeParameters) -> Option<Lattice> {
    let avg = |x: f64, y: f64| 0.5 * (x + y);
    Lattice::from_parameters(LatticeParameters {
        a: avg(a.a, b.a),
        b: avg(a.b, b.b),
        c: avg(a.c, b.c),
        alpha: avg(a.alpha, b.alpha),
        beta: avg(a.beta, b.beta),
        gamma: avg(a.gamma, b.gamma),
    })
    .ok()
}

fn parameters_of(rows: &Mat3) -> LatticeParameters {
    let len = |v: Vec3| math::norm(v);
    let ang = |u: Vec3, v: Vec3| (math::dot(u, v) / (len(u) * len(v))).clamp(-1.0, 1.0).acos().to_degrees();
    LatticeParameters {
        a: len(rows[0]),
        b: len(rows[1]),
        c: len(rows[2]),
        alpha: ang(rows[1], rows[2]),
        beta: ang(rows[0], rows[2]),
        gamma: ang(rows[0], rows[1]),
    }
}

/// Shortest Cartesian vector of the fractional difference `d` in `lattice` among the images
/// of the nearest cell and its 26 neighbours.
fn shortest(d: Vec3, lattice: &Mat3) -> (Vec3, f64) {
    let base = d.map(|x| x - x.round());
    let mut best = (math::vec_mat(base, lattice), f64::INFINITY);
    for i in -1..=1 {
        for j in -1..=1 {
            for k in -1..=1 {
                let v = math::vec_mat([base[0] + i as f64, base[1] + j as f64, base[2] + k as f64], lattice);
                let d2 = math::dot(v, v);
                if d2 < best.1 {
                    best = (v, d2);
                }
            }
        }
    }
    best
}

/// Does `s2` fit onto `s1` (pymatgen's `fit(s1, s2)` on already reduced structures)?
/// `kind_map[k]` is the kind of `s2` that kind `k` of `s1` must pair with.
pub(super) fn fit_one_way(s1: &ReducedStructure, s2: &ReducedStructure, kind_map: &[usize], options: &MatcherOptions) -> bool {
    let n = s1.num_sites();
    if n != s2.num_sites() || n == 0 {
        return false;
    }
    // Scale both to the same volume (the geometric mean), as pymatgen's `_preprocess`.
    let ratio = if options.scale { (s2.lattice.volume() / s1.lattice.volume()).powf(1.0 / 6.0) } else { 1.0 };
    let l1: Mat3 = s1.lattice.matrix().map(|r| math::scale(r, ratio));
    let l2: Mat3 = s2.lattice.matrix().map(|r| math::scale(r, 1.0 / ratio));
    let p2 = parameters_of(&l2);
    let compatible = |i: usize, j: usize| kind_map[s1.kind_of[i]] == s2.kind_of[j];
    // Anchor: a site of s2's rarest kind; translations put it on each compatible s1 site.
    let rarest = (0..s2.counts.len()).filter(|&k| s2.counts[k] > 0).min_by_key(|&k| (s2.counts[k], k));
    let Some(rarest) = rarest else { return false };
    let Some(anchor) = (0..n).find(|&j| s2.kind_of[j] == rarest) else { return false };
    let anchors: Vec<usize> = (0..n).filter(|&i| compatible(i, anchor)).collect();
    let cart1: Vec<Vec3> = s1.frac.iter().map(|f| math::vec_mat(*f, &l1)).collect();
    // Sites of s2 grouped by kind, and the s1 sites each kind pairs with.
    let blocks: Vec<(Vec<usize>, Vec<usize>)> = (0..s2.counts.len())
        .filter(|&k| s2.counts[k] > 0)
        .map(|k| {
            let rows: Vec<usize> = (0..n).filter(|&j| s2.kind_of[j] == k).collect();
            let cols: Vec<usize> = (0..n).filter(|&i| kind_map[s1.kind_of[i]] == k).collect();
            (rows, cols)
        })
        .collect();
    if blocks.iter().any(|(r, c)| r.len() != c.len()) {
        return false;
    }
    for basis in lattice_mappings(&l1, &p2, options.ltol, options.angle_tol) {
        let Some(inv) = math::inverse(&basis) else { continue };
        let f1: Vec<Vec3> = cart1.iter().map(|c| math::vec_mat(*c, &inv).map(|x| x - x.floor())).collect();
        let Some(avg) = average_lattice(&parameters_of(&basis), &p2) else { continue };
        let avg_m = *avg.matrix();
        let normalization = (n as f64 / avg.volume()).cbrt();
        let recip = avg.reciprocal();
        let frac_tol: Vec3 = std::array::from_fn(|k| 2.0 * options.stol * math::norm(recip[k]) / normalization);
        for &i0 in &anchors {
            let t = math::sub(f1[i0], s2.frac[anchor]);
            let shifted: Vec<Vec3> = s2.frac.iter().map(|f| math::add(*f, t)).collect();
            // Quick check: every s2 site has a compatible s1 site inside the fractional box.
            let covered = (0..n).all(|j| {
                (0..n).any(|i| {
                    compatible(i, j)
                        && (0..3).all(|k| {
                            let d = f1[i][k] - shifted[j][k];
                            (d - d.round()).abs() < frac_tol[k]
                        })
                })
            });
            if !covered {
                continue;
            }
            // Min-cost assignment of squared distances, kind by kind.
            let mut vectors: Vec<Vec3> = vec![[0.0; 3]; n];
            for (rows, cols) in &blocks {
                let m = rows.len();
                let mut cost = vec![0.0; m * m];
                let mut vecs = vec![[0.0; 3]; m * m];
                for (r, &j) in rows.iter().enumerate() {
                    for (c, &i) in cols.iter().enumerate() {
                        let (v, d2) = shortest(math::sub(f1[i], shifted[j]), &avg_m);
                        cost[r * m + c] = d2;
                        vecs[r * m + c] = v;
                    }
                }
                let solution = min_cost_assignment(&cost, m);
                for (r, &c) in solution.iter().enumerate() {
                    vectors[rows[r]] = vecs[r * m + c];
                }
            }
            let mean = vectors.iter().fold([0.0; 3], |acc, v| math::add(acc, *v)).map(|x| x / n as f64);
            let worst = vectors
                .iter()
                .map(|v| math::norm(math::sub(*v, mean)) * normalization)
                .fold(0.0, f64::max);
            if worst < options.stol {
                return true;
            }
        }
    }
    false
}
