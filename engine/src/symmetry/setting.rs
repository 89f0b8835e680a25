//! The same crystal written differently: rotated in space, with a shifted origin, in a
//! supercell, in another basis, with its sites in another order. A structure matcher must see
//! through all of these; the tests and benchmarks make such copies.

use super::reduction::change_basis;
use super::SymmetryError;
use crate::crystal::{Crystal, Lattice};
use crate::math::{self, Mat3, Vec3};

/// The crystal rotated rigidly in Cartesian space (`rotation` must be orthogonal): lattice
/// vectors rotate, fractional coordinates stay.
pub fn rotated(crystal: &Crystal, rotation: &Mat3) -> Result<Crystal, SymmetryError> {
    // Row vectors: v' = v · Rᵀ.
    let rows = math::mat_mul(crystal.lattice.matrix(), &math::transpose(rotation));
    let mut out = crystal.clone();
    out.lattice = Lattice::new(rows).map_err(|e| SymmetryError::Invalid(e.to_string()))?;
    Ok(out)
}

/// The crystal with every site shifted by `shift` (fractional) and wrapped.
pub fn translated(crystal: &Crystal, shift: Vec3) -> Crystal {
    let mut out = crystal.clone();
    for s in &mut out.sites {
        s.frac = math::add(s.frac, shift).map(math::wrap_unit);
    }
    out.symmetry = None;
    out
}

/// The n₁×n₂×n₃ supercell (sites repeated cell by cell; per-site properties are dropped).
pub fn supercell(crystal: &Crystal, n: [usize; 3]) -> Result<Crystal, SymmetryError> {
    if n.contains(&0) {
        return Err(SymmetryError::Invalid("supercell multiples must be at least 1".into()));
    }
    let m = crystal.lattice.matrix();
    let rows = std::array::from_fn(|i| math::scale(m[i], n[i] as f64));
    let lattice = Lattice::new(rows).map_err(|e| SymmetryError::Invalid(e.to_string()))?;
    let mut sites = Vec::with_capacity(crystal.sites.len() * n[0] * n[1] * n[2]);
    for i in 0..n[0] {
        for j in 0..n[1] {
            for k in 0..n[2] {
                for s in &crystal.sites {
                    let mut t = s.clone();
                    let f = s.frac.map(math::wrap_unit);
                    t.frac = [
                        (f[0] + i as f64) / n[0] as f64,
                        (f[1] + j as f64) / n[1] as f64,
                        (f[2] + k as f64) / n[2] as f64,
                    ];
                    sites.push(t);
                }
            }
        }
    }
    let mut out = Crystal::new(lattice, sites);
    out.pbc = crystal.pbc;
    out.properties = crystal.properties.clone();
    Ok(out)
}

/// The crystal in the basis `M · (a b c)` (rows; `m` integer with determinant ±1).
pub fn rebased(crystal: &Crystal, m: [[i32; 3]; 3]) -> Result<Crystal, SymmetryError> {
    let f: Mat3 = m.map(|r| r.map(f64::from));
    let rows = math::mat_mul(&f, crystal.lattice.matrix());
    let lattice = Lattice::new(rows).map_err(|e| SymmetryError::Invalid(e.to_string()))?;
    change_basis(crystal, lattice)
}

/// The sites in the order `order` (a permutation of 0..n).
pub fn permuted(crystal: &Crystal, order: &[usize]) -> Result<Crystal, SymmetryError> {
    let mut seen = vec![false; crystal.sites.len()];
    if order.len() != seen.len() || order.iter().any(|&i| i >= seen.len() || std::mem::replace(&mut seen[i], true)) {
        return Err(SymmetryError::Invalid("not a permutation of the sites".into()));
    }
    Ok(crystal.select_sites(order))
}

/// A proper rotation matrix from a unit quaternion (w, x, y, z), normalised here.
pub fn rotation_from_quaternion(q: [f64; 4]) -> Mat3 {
    let n = (q.iter().map(|x| x * x).sum::<f64>()).sqrt();
    let [w, x, y, z] = if n > 0.0 { q.map(|v| v / n) } else { [1.0, 0.0, 0.0, 0.0] };
    [
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y)],
    ]
}

/// Copies of `crystal` a matcher must recognise, each with a suffix naming it: rotated in
/// space, origin shifted, 2×1×1 supercell, sites reversed, and all of these plus a unimodular
/// change of basis at once. `seed` makes the random rotation and shift reproducible.
pub fn equivalent_copies(crystal: &Crystal, seed: u64) -> Result<Vec<(&'static str, Crystal)>, SymmetryError> {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // SplitMix64: reproducible without a dependency.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let rotation = rotation_from_quaternion([next() - 0.5, next() - 0.5, next() - 0.5, next() - 0.5]);
    let shift = [next(), next(), next()];
    let n = crystal.sites.len();
    // A fixed-seed shuffle of the sites (Fisher–Yates).
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = ((next() * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    let combined = rebased(
        &permuted(&translated(&rotated(&supercell(crystal, [2, 1, 1])?, &rotation)?, shift), &{
            let mut o: Vec<usize> = (0..2 * n).collect();
            o.reverse();
            o
        })?,
        [[1, 0, 1], [0, 1, 0], [-1, 1, 0]],
    )?;
    Ok(vec![
        ("rotated", rotated(crystal, &rotation)?),
        ("translated", translated(crystal, shift)),
        ("supercell_2x1x1", supercell(crystal, [2, 1, 1])?),
        ("permuted", permuted(crystal, &order)?),
        ("all", combined),
    ])
}
