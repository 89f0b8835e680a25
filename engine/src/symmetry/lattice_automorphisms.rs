//! Approximate automorphisms of a lattice, and whether they generate a finite group: the guard
//! that keeps moyo's lattice-symmetry search from running away.
//!
//! moyo (0.22) finds the point group of a lattice by collecting every integer matrix whose
//! columns (coefficients −1, 0, 1 on the Minkowski-reduced basis) keep the basis-vector lengths
//! within `symprec` and the angles between them within the angle tolerance, and then closes that
//! set under multiplication without a bound. When the tolerances admit a matrix that is not an
//! isometry (a shear that keeps lengths and angles only approximately), the closure is infinite
//! and the search never returns, allocating without limit. With an explicit angle tolerance
//! (radians, moyo's `AngleTolerance::Radian`) this happens on real cells: the Materials Project's
//! TaS2 `mp-1411` (c tilted 8° off the layer normal, with |c − a| = |c|) at 0.1 Å and 5°.
//!
//! [`closure_is_infinite`] collects the matrices admitted at given tolerances and reports
//! whether they generate more than 48 matrices (no finite subgroup of GL(3, ℤ) is larger). The
//! admitted set only grows with the tolerances, so a lattice that passes at some tolerances
//! cannot run away at smaller ones. Which tolerances moyo reaches is the caller's business
//! (`moyo_backend::answering_backend`).

use crate::math::{self, Mat3, Vec3};

/// Largest order of a finite group of integer 3×3 matrices (the cubic holohedry m-3m).
const MAX_FINITE_ORDER: usize = 48;

type IntMat = [[i32; 3]; 3];

/// Whether the matrices moyo's lattice search admits on `basis` (rows, Å; Minkowski-reduced, as
/// moyo searches it) at `symprec` (Å) and `angle_tolerance` (radians) generate an infinite
/// group — the case in which moyo's closure never terminates.
pub(super) fn closure_is_infinite(basis: &Mat3, symprec: f64, angle_tolerance: f64) -> bool {
    !generates_finite_group(&approximate_automorphisms(basis, symprec, angle_tolerance))
}

/// Every unimodular matrix (columns with coefficients in −1..=1) that maps the basis onto
/// vectors of the same lengths within `symprec` and the same mutual angles within
/// `angle_tolerance` (radians).
fn approximate_automorphisms(basis: &Mat3, symprec: f64, angle_tolerance: f64) -> Vec<IntMat> {
    let vector = |c: [i32; 3]| -> Vec3 {
        let mut v = [0.0; 3];
        for (k, row) in basis.iter().enumerate() {
            v = math::add(v, math::scale(*row, c[k] as f64));
        }
        v
    };
    let lengths: Vec<f64> = basis.iter().map(|v| math::norm(*v)).collect();
    let mut candidates: [Vec<([i32; 3], Vec3)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for i in -1..=1 {
        for j in -1..=1 {
            for k in -1..=1 {
                let c = [i, j, k];
                let v = vector(c);
                for (slot, &length) in candidates.iter_mut().zip(&lengths) {
                    if (math::norm(v) - length).abs() < symprec {
                        slot.push((c, v));
                    }
                }
            }
        }
    }
    let angle = |u: Vec3, v: Vec3| (math::dot(u, v) / (math::norm(u) * math::norm(v))).clamp(-1.0, 1.0).acos();
    let keeps_angle = |p: usize, q: usize, u: Vec3, v: Vec3| (angle(u, v) - angle(basis[p], basis[q])).abs() <= angle_tolerance;
    let mut out = Vec::new();
    for (c0, v0) in &candidates[0] {
        for (c1, v1) in &candidates[1] {
            if !keeps_angle(0, 1, *v0, *v1) {
                continue;
            }
            for (c2, v2) in &candidates[2] {
                // Columns c0, c1, c2.
                let m = [[c0[0], c1[0], c2[0]], [c0[1], c1[1], c2[1]], [c0[2], c1[2], c2[2]]];
                if determinant(&m).abs() != 1 || !keeps_angle(1, 2, *v1, *v2) || !keeps_angle(2, 0, *v2, *v0) {
                    continue;
                }
                out.push(m);
            }
        }
    }
    out
}

fn determinant(m: &IntMat) -> i64 {
    let m = m.map(|r| r.map(i64::from));
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// Whether `generators` generate a group of at most [`MAX_FINITE_ORDER`] matrices (the closure
/// stops as soon as it exceeds that, so this always returns quickly).
fn generates_finite_group(generators: &[IntMat]) -> bool {
    let identity = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    let mut group: Vec<IntMat> = vec![identity];
    let mut next = 0;
    while next < group.len() {
        let element = group[next];
        next += 1;
        for g in generators {
            let Some(p) = math::mat_mul_int(&element, g) else { return false };
            if !group.contains(&p) {
                if group.len() == MAX_FINITE_ORDER {
                    return false;
                }
                group.push(p);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEG: f64 = std::f64::consts::PI / 180.0;

    #[test]
    fn cubic_and_hexagonal_lattices_are_safe() {
        let cubic = [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]];
        assert!(!closure_is_infinite(&cubic, 0.1, 5.0 * DEG));
        assert!(!closure_is_infinite(&cubic, 1.0, 60.0 * DEG));
        let a = 3.2;
        let hexagonal = [[a, 0.0, 0.0], [-0.5 * a, 0.75f64.sqrt() * a, 0.0], [0.0, 0.0, 5.2]];
        assert!(!closure_is_infinite(&hexagonal, 0.1, 5.0 * DEG));
        assert_eq!(approximate_automorphisms(&cubic, 1e-3, 1e-3).len(), 48);
        assert_eq!(approximate_automorphisms(&hexagonal, 1e-3, 1e-3).len(), 24);
    }

    #[test]
    fn a_shear_generates_an_infinite_group() {
        let shear = [[1, 1, 0], [0, 1, 0], [0, 0, 1]];
        assert!(!generates_finite_group(&[shear]));
        let rotation = [[0, -1, 0], [1, -1, 0], [0, 0, 1]];
        assert!(generates_finite_group(&[rotation]));
    }
}
