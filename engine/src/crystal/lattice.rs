//! The lattice: three lattice vectors as the rows of a 3×3 matrix, in Å.

use super::CrystalError;
use crate::math::{self, Mat3, Vec3};
use serde::{Deserialize, Serialize};

/// Smallest plane spacing (Å) of the reduced cell accepted: thinner cells cannot hold atoms
/// and would make every periodic-image search unbounded.
pub const MIN_PLANE_SPACING: f64 = 0.01;

/// Smallest |volume| / (a·b·c) accepted: below this the cell is numerically flat.
const MIN_RELATIVE_VOLUME: f64 = 1e-8;

/// Rows are the lattice vectors **a**, **b**, **c** (Å). The inverse is cached because
/// Cartesian → fractional conversion sits on hot paths, and so is an LLL-reduced basis of the
/// same lattice (short, nearly orthogonal vectors) for periodic-image searches, whose cost
/// would otherwise grow with the skew of the cell as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Lattice {
    matrix: Mat3,
    inverse: Mat3,
    reduced: Mat3,
    reduced_inverse: Mat3,
}

/// Lattice parameters: lengths in Å, angles in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatticeParameters {
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
}

impl Lattice {
    /// Builds a lattice from row vectors (Å); rejects non-finite entries and flat cells.
    pub fn new(matrix: Mat3) -> Result<Self, CrystalError> {
        for (i, row) in matrix.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(CrystalError::NonFinite {
                        what: format!("lattice matrix element [{i}][{j}]"),
                        value: *v,
                    });
                }
            }
        }
        let volume = math::det(&matrix);
        let scale = math::norm(matrix[0]) * math::norm(matrix[1]) * math::norm(matrix[2]);
        if !(volume.abs() > MIN_RELATIVE_VOLUME * scale) || scale == 0.0 {
            return Err(CrystalError::DegenerateLattice { volume });
        }
        let inverse = math::inverse(&matrix).ok_or(CrystalError::DegenerateLattice { volume })?;
        let (reduced, reduced_inverse) = match lll_reduce(&matrix) {
            Some(r) => (r, math::inverse(&r).unwrap_or(inverse)),
            None => (matrix, inverse),
        };
        let lattice = Lattice { matrix, inverse, reduced, reduced_inverse };
        let spacing = lattice.reduced_plane_spacings().into_iter().fold(f64::INFINITY, f64::min);
        if !(spacing >= MIN_PLANE_SPACING) {
            return Err(CrystalError::FlatCell { spacing, minimum: MIN_PLANE_SPACING });
        }
        Ok(lattice)
    }

    /// Plane spacings (Å) of the LLL-reduced basis.
    fn reduced_plane_spacings(&self) -> Vec3 {
        let inv = &self.reduced_inverse;
        [0, 1, 2].map(|j| 1.0 / math::norm([inv[0][j], inv[1][j], inv[2][j]]))
    }

    /// Length (Å) of the shortest non-zero lattice vector: the distance from every atom to
    /// its own nearest periodic image. (The shortest vector of the LLL-reduced basis; exact
    /// in 3D up to a vanishingly rare factor, and never longer than the true one by more than
    /// the LLL bound.)
    pub fn shortest_vector(&self) -> f64 {
        let m = &self.reduced;
        let mut best = f64::INFINITY;
        // Short combinations of the reduced vectors cover the cases LLL leaves.
        for i in -1i32..=1 {
            for j in -1i32..=1 {
                for k in -1i32..=1 {
                    if (i, j, k) != (0, 0, 0) {
                        let v = math::vec_mat([i as f64, j as f64, k as f64], m);
                        best = best.min(math::norm(v));
                    }
                }
            }
        }
        best
    }

    /// Builds the lattice of the given parameters in the crystallographic orientation used
    /// by pymatgen's CIF reader: **a** along x, **b** in the xy plane, **c** completing a
    /// right-handed cell.
    pub fn from_parameters(p: LatticeParameters) -> Result<Self, CrystalError> {
        let LatticeParameters { a, b, c, alpha, beta, gamma } = p;
        for (name, value) in [("a", a), ("b", b), ("c", c)] {
            if !value.is_finite() {
                return Err(CrystalError::NonFinite { what: format!("cell length {name}"), value });
            }
            if value <= 0.0 {
                return Err(CrystalError::NonPositiveLength { name, value });
            }
        }
        for (name, value) in [("alpha", alpha), ("beta", beta), ("gamma", gamma)] {
            if !value.is_finite() {
                return Err(CrystalError::NonFinite { what: format!("cell angle {name}"), value });
            }
        }
        let impossible = CrystalError::ImpossibleAngles { alpha, beta, gamma };
        if [alpha, beta, gamma].iter().any(|x| *x <= 0.0 || *x >= 180.0) {
            return Err(impossible);
        }
        let (ca, cb, cg) = (math::cos_deg(alpha), math::cos_deg(beta), math::cos_deg(gamma));
        let sg = math::sin_deg(gamma);
        let cy = (ca - cb * cg) / sg;
        let cz2 = 1.0 - cb * cb - cy * cy;
        // cz2 is V²/(a²b²c² sin²γ); non-positive means the three angles cannot close a cell.
        if !(cz2 > MIN_RELATIVE_VOLUME * MIN_RELATIVE_VOLUME) {
            return Err(impossible);
        }
        Lattice::new([[a, 0.0, 0.0], [b * cg, b * sg, 0.0], [c * cb, c * cy, c * cz2.sqrt()]])
    }

    /// Row vectors **a**, **b**, **c** in Å.
    pub fn matrix(&self) -> &Mat3 {
        &self.matrix
    }

    pub fn inverse_matrix(&self) -> &Mat3 {
        &self.inverse
    }

    /// Lengths |a|, |b|, |c| in Å.
    pub fn lengths(&self) -> Vec3 {
        [math::norm(self.matrix[0]), math::norm(self.matrix[1]), math::norm(self.matrix[2])]
    }

    /// Angles α (b∧c), β (a∧c), γ (a∧b) in degrees.
    pub fn angles(&self) -> Vec3 {
        let m = &self.matrix;
        let angle = |u: Vec3, v: Vec3| {
            (math::dot(u, v) / (math::norm(u) * math::norm(v))).clamp(-1.0, 1.0).acos().to_degrees()
        };
        [angle(m[1], m[2]), angle(m[0], m[2]), angle(m[0], m[1])]
    }

    pub fn parameters(&self) -> LatticeParameters {
        let [a, b, c] = self.lengths();
        let [alpha, beta, gamma] = self.angles();
        LatticeParameters { a, b, c, alpha, beta, gamma }
    }

    /// Cell volume in Å³ (always positive; see [`Lattice::is_right_handed`]).
    pub fn volume(&self) -> f64 {
        math::det(&self.matrix).abs()
    }

    pub fn is_right_handed(&self) -> bool {
        math::det(&self.matrix) > 0.0
    }

    /// Reciprocal lattice without the 2π factor (rows **a***, **b***, **c***, in Å⁻¹), so
    /// that `a_i · a*_j = δ_ij`.
    pub fn reciprocal(&self) -> Mat3 {
        math::transpose(&self.inverse)
    }

    /// Spacing between lattice planes (100), (010), (001) in Å: the cell's thickness along
    /// each reciprocal direction. Used to size periodic-image searches.
    pub fn plane_spacings(&self) -> Vec3 {
        let r = self.reciprocal();
        [1.0 / math::norm(r[0]), 1.0 / math::norm(r[1]), 1.0 / math::norm(r[2])]
    }

    /// Fractional → Cartesian (Å).
    pub fn to_cartesian(&self, frac: Vec3) -> Vec3 {
        math::vec_mat(frac, &self.matrix)
    }

    /// Cartesian (Å) → fractional.
    pub fn to_fractional(&self, cart: Vec3) -> Vec3 {
        math::vec_mat(cart, &self.inverse)
    }

    /// Returns the lattice with every vector multiplied by `factor`.
    pub fn scaled(&self, factor: f64) -> Result<Self, CrystalError> {
        let m = self.matrix;
        Lattice::new([
            math::scale(m[0], factor),
            math::scale(m[1], factor),
            math::scale(m[2], factor),
        ])
    }

    /// Shortest Cartesian distance (Å) between fractional points `a` and `b` over periodic
    /// images. Exact for any cell shape: images are searched, in the LLL-reduced basis, within
    /// the range that the plane spacings guarantee can hold a shorter vector; the range shrinks
    /// as shorter images are found.
    pub fn periodic_distance(&self, a: Vec3, b: Vec3) -> f64 {
        let (d, direct) = self.minimum_image(a, b);
        self.search_images(d, direct).unwrap_or(direct)
    }

    /// The distance between `a` and `b` over periodic images if it is below `cutoff` Å, else
    /// `None`. Cheaper than [`Lattice::periodic_distance`]: only images within `cutoff` are
    /// searched, which is what overlap and minimum-distance checks need.
    pub fn periodic_distance_within(&self, a: Vec3, b: Vec3, cutoff: f64) -> Option<f64> {
        let (d, direct) = self.minimum_image(a, b);
        let best = self.search_images(d, direct.min(cutoff)).unwrap_or(direct);
        (best < cutoff).then_some(best)
    }

    /// The difference `a - b` in fractions of the reduced basis, wrapped into [-0.5, 0.5],
    /// and its Cartesian length.
    fn minimum_image(&self, a: Vec3, b: Vec3) -> (Vec3, f64) {
        let mut d = math::vec_mat(self.to_cartesian(math::sub(a, b)), &self.reduced_inverse);
        for x in &mut d {
            *x -= x.round();
        }
        (d, math::norm(math::vec_mat(d, &self.reduced)))
    }

    /// Shortest image of `d` (reduced fractions) no longer than `radius`, if any. A vector of
    /// length < r has |fractional component k| < r / spacing_k, which bounds the search box.
    fn search_images(&self, d: Vec3, radius: f64) -> Option<f64> {
        let spacing = self.reduced_plane_spacings();
        let range = |k: usize, r: f64| (r / spacing[k] + d[k].abs()).floor() as i64;
        let mut best: Option<f64> = None;
        let mut radius = radius;
        let r0 = range(0, radius);
        for i in -r0..=r0 {
            let r1 = range(1, radius);
            for j in -r1..=r1 {
                let r2 = range(2, radius);
                for k in -r2..=r2 {
                    let v = [d[0] + i as f64, d[1] + j as f64, d[2] + k as f64];
                    let len = math::norm(math::vec_mat(v, &self.reduced));
                    if len <= radius {
                        best = Some(best.map_or(len, |b: f64| b.min(len)));
                        radius = len;
                    }
                }
            }
        }
        best
    }
}

/// LLL reduction (δ = 3/4) of the rows of `m`: a basis of the same lattice whose vectors are
/// short and nearly orthogonal. `None` if it does not settle within a bounded number of
/// steps (never seen for cells that pass [`Lattice::new`]).
fn lll_reduce(m: &Mat3) -> Option<Mat3> {
    const DELTA: f64 = 0.75;
    const MAX_STEPS: usize = 10_000;
    let mut b = *m;
    let mut k = 1;
    for _ in 0..MAX_STEPS {
        if k == 3 {
            return Some(b);
        }
        for j in (0..k).rev() {
            let q = gram_schmidt(&b).1[k][j].round();
            if q != 0.0 {
                b[k] = math::sub(b[k], math::scale(b[j], q));
            }
        }
        let (star, mu) = gram_schmidt(&b);
        let lovasz = math::dot(star[k], star[k]) >= (DELTA - mu[k][k - 1] * mu[k][k - 1]) * math::dot(star[k - 1], star[k - 1]);
        if lovasz {
            k += 1;
        } else {
            b.swap(k, k - 1);
            k = (k - 1).max(1);
        }
    }
    None
}

/// Gram-Schmidt orthogonalisation of the rows of `b`: the orthogonal rows and the
/// coefficients μ[i][j] = b_i · b*_j / |b*_j|².
fn gram_schmidt(b: &Mat3) -> (Mat3, Mat3) {
    let mut star = [[0.0; 3]; 3];
    let mut mu = [[0.0; 3]; 3];
    for i in 0..3 {
        let mut v = b[i];
        for j in 0..i {
            mu[i][j] = math::dot(b[i], star[j]) / math::dot(star[j], star[j]);
            v = math::sub(v, math::scale(star[j], mu[i][j]));
        }
        star[i] = v;
    }
    (star, mu)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(a: f64, b: f64, c: f64, al: f64, be: f64, ga: f64) -> LatticeParameters {
        LatticeParameters { a, b, c, alpha: al, beta: be, gamma: ga }
    }

    #[test]
    fn parameters_roundtrip() {
        let p = params(3.1, 4.2, 5.3, 81.0, 97.0, 112.0);
        let l = Lattice::from_parameters(p).unwrap();
        let q = l.parameters();
        for (x, y) in [(p.a, q.a), (p.b, q.b), (p.c, q.c), (p.alpha, q.alpha), (p.beta, q.beta), (p.gamma, q.gamma)] {
            assert!((x - y).abs() < 1e-10, "{x} vs {y}");
        }
        assert!(l.is_right_handed());
        assert_eq!(l.matrix()[0][1], 0.0);
        assert_eq!(l.matrix()[0][2], 0.0);
        assert_eq!(l.matrix()[1][2], 0.0);
    }

    #[test]
    fn hexagonal_is_exact() {
        let l = Lattice::from_parameters(params(3.0, 3.0, 5.0, 90.0, 90.0, 120.0)).unwrap();
        assert_eq!(l.matrix()[1][0], -1.5);
        assert_eq!(l.matrix()[2][0], 0.0);
        let v = 3.0 * 3.0 * 5.0 * (3f64.sqrt() / 2.0);
        assert!((l.volume() - v).abs() < 1e-12);
    }

    #[test]
    fn rejects_degenerate_cells() {
        assert!(matches!(
            Lattice::from_parameters(params(3.0, 3.0, 0.0, 90.0, 90.0, 90.0)),
            Err(CrystalError::NonPositiveLength { .. })
        ));
        assert!(Lattice::from_parameters(params(3.0, 3.0, 3.0, 150.0, 150.0, 150.0)).is_err());
        assert!(Lattice::from_parameters(params(3.0, 3.0, 3.0, 180.0, 0.0, 90.0)).is_err());
        assert!(Lattice::from_parameters(params(f64::INFINITY, 3.0, 3.0, 90.0, 90.0, 90.0)).is_err());
        assert!(Lattice::new([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]).is_err());
        assert!(Lattice::new([[f64::NAN, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]).is_err());
    }

    #[test]
    fn fractional_cartesian_roundtrip() {
        let l = Lattice::from_parameters(params(3.1, 4.2, 5.3, 81.0, 97.0, 112.0)).unwrap();
        let f = [0.1, -0.7, 0.35];
        let back = l.to_fractional(l.to_cartesian(f));
        for i in 0..3 {
            assert!((back[i] - f[i]).abs() < 1e-12);
        }
        let r = l.reciprocal();
        for i in 0..3 {
            for j in 0..3 {
                let d = math::dot(l.matrix()[i], r[j]);
                assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn periodic_distance_in_a_badly_skewed_basis_is_exact() {
        // b = (-2.6735, 4.6, 0) + 139106 c: the same lattice as a short cell, written with a
        // 600 km vector. The image search must not scale with that length.
        let c = 4.316;
        let skewed = Lattice::new([[5.347, 0.0, 0.0], [-2.6735, 4.6, 139_106.0 * c + 1.5], [0.0, 0.0, c]]).unwrap();
        let plain = Lattice::new([[5.347, 0.0, 0.0], [-2.6735, 4.6, 1.5], [0.0, 0.0, c]]).unwrap();
        for (f, g) in [([0.1, 0.2, 0.3], [0.9, 0.8, 0.1]), ([0.0, 0.0, 0.0], [0.5, 0.5, 0.5])] {
            // Same Cartesian points in both bases.
            let (pf, pg) = (skewed.to_cartesian(f), skewed.to_cartesian(g));
            let d1 = skewed.periodic_distance(f, g);
            let d2 = plain.periodic_distance(plain.to_fractional(pf), plain.to_fractional(pg));
            assert!((d1 - d2).abs() < 1e-6, "{d1} vs {d2}");
        }
    }

    #[test]
    fn periodic_distance_in_skewed_cell() {
        // Strongly sheared cell: the nearest image is not the naive rounded one.
        let l = Lattice::new([[1.0, 0.0, 0.0], [5.3, 1.0, 0.0], [0.0, 0.0, 10.0]]).unwrap();
        let d = l.periodic_distance([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]);
        assert_eq!(d, 0.0);
        let d = l.periodic_distance([0.0, 0.0, 0.0], [0.0, 0.5, 0.0]);
        // 0.5*b = (2.65, 0.5); nearest image subtracts 3a (or 2a): (-0.35, 0.5) → 0.610
        assert!((d - (0.35f64 * 0.35 + 0.25).sqrt()).abs() < 1e-12, "{d}");
    }

    #[test]
    fn rejects_cells_too_flat_to_hold_atoms() {
        // A fuzz-found POSCAR: c ≈ 1e-14 Å. Accepting it made image searches run forever.
        let flat = [[5.6, -0.06, 0.11], [0.0, 5.37, 0.0034], [6.8e-15, -1.2e-14, 0.0]];
        assert!(matches!(Lattice::new(flat), Err(CrystalError::FlatCell { .. })));
    }

    #[test]
    fn distance_within_cutoff() {
        let l = Lattice::from_parameters(params(3.0, 4.0, 5.0, 90.0, 90.0, 90.0)).unwrap();
        let (a, b) = ([0.0, 0.0, 0.0], [0.95, 0.0, 0.0]);
        assert!((l.periodic_distance(a, b) - 0.15).abs() < 1e-12);
        assert!((l.periodic_distance_within(a, b, 0.5).unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(l.periodic_distance_within(a, b, 0.1), None);
        assert!((l.shortest_vector() - 3.0).abs() < 1e-12);
    }
}
