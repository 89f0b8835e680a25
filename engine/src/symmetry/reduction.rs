//! Cell reduction: primitive and conventional standardized cells, and Niggli / Delaunay
//! reduced cells with the sites carried over (spglib and moyo reduce only the lattice; here the
//! positions are re-expressed in the new basis and wrapped into it).

use super::{Backend, SymmetryDataset, SymmetryError, SymmetryOptions, TypedCell, moyo_backend, spglib};
use crate::crystal::{Crystal, Lattice};
use crate::math::{self, Mat3};

/// A reduced basis of the same lattice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatticeReduction {
    /// Niggli-reduced cell (unique; what pymatgen's `get_niggli_reduced_lattice` returns).
    Niggli,
    /// Delaunay (Selling) reduced cell: the basis of spglib's symmetry search.
    Delaunay,
}

/// Tolerance of the reductions: spglib's default 1e-5. spglib compares metric-tensor entries
/// (Å²) against it as an absolute number; for Niggli it is scaled by V^⅓ (Å) here, as pymatgen's
/// `get_niggli_reduced_lattice(tol=1e-5)` does, so ties between near-equal vectors are broken
/// the same way and the cells agree with pymatgen's.
pub const REDUCTION_EPS: f64 = 1e-5;

/// The reduced basis of `lattice` (rows, Å).
///
/// spglib gives the unique Niggli cell (the Niggli conditions including the boundary ones; the
/// test suite checks it against pymatgen on every corpus lattice). moyo's Niggli reduction is a
/// Buerger reduction (shortest vectors) that may differ from the unique Niggli form at the
/// boundary conditions (60°/120° choices, all-acute vs all-obtuse); it is as good a basis for
/// matching and faster, but use spglib when the cell itself is the answer.
pub fn reduce_lattice(lattice: &Lattice, reduction: LatticeReduction, backend: Backend) -> Result<Lattice, SymmetryError> {
    let rows = match backend {
        Backend::Spglib => {
            let kind = match reduction {
                LatticeReduction::Niggli => spglib::Reduction::Niggli,
                LatticeReduction::Delaunay => spglib::Reduction::Delaunay,
            };
            let eps = match reduction {
                LatticeReduction::Niggli => REDUCTION_EPS * lattice.volume().cbrt(),
                LatticeReduction::Delaunay => REDUCTION_EPS,
            };
            spglib::reduce_lattice(lattice, kind, eps)?
        }
        Backend::Moyo => moyo_backend::reduce_lattice(lattice.matrix(), reduction == LatticeReduction::Niggli)?,
    };
    Lattice::new(rows).map_err(|e| SymmetryError::Failed { backend, message: format!("reduced lattice: {e}") })
}

/// The crystal in a reduced cell of the same lattice: same sites, same volume, positions
/// re-expressed in the reduced basis and wrapped into [0, 1). Site labels and properties are
/// kept (no site is added or removed).
pub fn reduce_cell(crystal: &Crystal, reduction: LatticeReduction, backend: Backend) -> Result<Crystal, SymmetryError> {
    let reduced = reduce_lattice(&crystal.lattice, reduction, backend)?;
    change_basis(crystal, reduced)
}

/// Re-expresses the sites of `crystal` in `lattice`, which must be another basis of the same
/// lattice (the change of basis is checked to be unimodular).
pub fn change_basis(crystal: &Crystal, lattice: Lattice) -> Result<Crystal, SymmetryError> {
    let m = unimodular(lattice.matrix(), crystal.lattice.inverse_matrix())
        .ok_or_else(|| SymmetryError::Invalid("the new cell is not a basis of the same lattice".into()))?;
    let inv = integer_inverse(&m);
    let mut out = crystal.clone();
    for site in &mut out.sites {
        // new rows = M·old rows ⇒ f_new = f_old·M⁻¹.
        site.frac = math::vec_mat(site.frac, &inv).map(math::wrap_unit);
    }
    out.lattice = lattice;
    // The declared operations were written in the old basis.
    out.symmetry = None;
    Ok(out)
}

/// M = new·old⁻¹ when it is an integer matrix with determinant ±1.
fn unimodular(new_rows: &Mat3, old_inverse: &Mat3) -> Option<[[i64; 3]; 3]> {
    let m = math::mat_mul(new_rows, old_inverse);
    let mut out = [[0i64; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let r = m[i][j].round();
            if (m[i][j] - r).abs() > 1e-4 || r.abs() > 1e6 {
                return None;
            }
            out[i][j] = r as i64;
        }
    }
    let det = out[0][0] * (out[1][1] * out[2][2] - out[1][2] * out[2][1])
        - out[0][1] * (out[1][0] * out[2][2] - out[1][2] * out[2][0])
        + out[0][2] * (out[1][0] * out[2][1] - out[1][1] * out[2][0]);
    (det.abs() == 1).then_some(out)
}

/// Inverse of a unimodular integer matrix, as floats (exact).
fn integer_inverse(m: &[[i64; 3]; 3]) -> Mat3 {
    let f: Mat3 = m.map(|r| r.map(|x| x as f64));
    // Exact for entries of this size: the adjugate of small integers over ±1.
    math::inverse(&f).map(|inv| inv.map(|r| r.map(f64::round))).unwrap_or(f)
}

/// A standardized cell: `primitive` or conventional; `idealize` symmetrizes positions and
/// lattice and rotates to the standard orientation (spglib's `standardize_cell`; the
/// conventional idealized cell is spglib's `refine_cell`). moyo always idealizes; without
/// `idealize` its primitive cell is built from the input sites in moyo's primitive basis.
pub fn standardize(
    crystal: &Crystal,
    options: &SymmetryOptions,
    primitive: bool,
    idealize: bool,
) -> Result<Crystal, SymmetryError> {
    let cell = TypedCell::from_crystal(crystal)?;
    cell.validate(options.symprec, options.angle_tolerance)?;
    let (lattice, positions, types) = match options.answering_backend(&cell) {
        Backend::Spglib => spglib::standardize(&cell, primitive, idealize, options.symprec, options.angle_tolerance)?,
        Backend::Moyo if idealize || !primitive => {
            moyo_backend::standardize(&cell, primitive, options.symprec, options.angle_tolerance)?
        }
        Backend::Moyo => moyo_backend::primitive_as_found(&cell, options.symprec, options.angle_tolerance)?,
    };
    cell.crystal_from(lattice, &positions, &types)
}

/// The symmetry dataset and the primitive cell as found (not idealized) of a validated typed
/// cell, in one search with moyo (two with spglib). Used by the matcher.
pub(crate) fn dataset_and_primitive(
    cell: &TypedCell,
    options: &SymmetryOptions,
) -> Result<(SymmetryDataset, Crystal), SymmetryError> {
    let (dataset, (lattice, positions, types)) = match options.answering_backend(cell) {
        Backend::Moyo => moyo_backend::dataset_and_primitive(cell, options.symprec, options.angle_tolerance)?,
        Backend::Spglib => (
            SymmetryDataset::from_cell(cell, &options.with_backend(Backend::Spglib))?,
            spglib::standardize(cell, true, false, options.symprec, options.angle_tolerance)?,
        ),
    };
    Ok((dataset, cell.crystal_from(lattice, &positions, &types)?))
}

/// spglib's `find_primitive`: the primitive standardized cell, idealized.
pub fn primitive_cell(crystal: &Crystal, options: &SymmetryOptions) -> Result<Crystal, SymmetryError> {
    standardize(crystal, options, true, true)
}

/// The conventional standardized cell, idealized (spglib's `refine_cell`).
pub fn conventional_cell(crystal: &Crystal, options: &SymmetryOptions) -> Result<Crystal, SymmetryError> {
    standardize(crystal, options, false, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::Element;
    use crate::crystal::LatticeParameters;
    use crate::math::Vec3;

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    /// Rock salt in a skewed, non-reduced primitive basis.
    fn skewed_nacl() -> Crystal {
        let a = 5.64;
        let prim = [[0.0, a / 2.0, a / 2.0], [a / 2.0, 0.0, a / 2.0], [a / 2.0, a / 2.0, 0.0]];
        // rows: a' = a + 2b, b' = b, c' = c - 3a
        let m = [[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [-3.0, 0.0, 1.0]];
        let rows = math::mat_mul(&m, &prim);
        let lattice = Lattice::new(rows).unwrap();
        let cart = [[0.0, 0.0, 0.0], [a / 2.0, a / 2.0, a / 2.0]];
        let frac: Vec<Vec3> = cart.iter().map(|c| lattice.to_fractional(*c)).collect();
        Crystal::from_elements(lattice, &[el("Na"), el("Cl")], &frac)
    }

    #[test]
    fn niggli_keeps_the_structure() {
        let c = skewed_nacl();
        for backend in [Backend::Spglib, Backend::Moyo] {
            for reduction in [LatticeReduction::Niggli, LatticeReduction::Delaunay] {
                let r = reduce_cell(&c, reduction, backend).unwrap();
                assert!((r.volume() - c.volume()).abs() < 1e-9, "{backend}");
                let p = r.lattice.parameters();
                let a = 5.64 / 2f64.sqrt();
                for len in [p.a, p.b, p.c] {
                    assert!((len - a).abs() < 1e-9, "{backend} {reduction:?} {p:?}");
                }
                // Na–Cl distance survives the change of basis.
                let d = r.lattice.periodic_distance(r.sites[0].frac, r.sites[1].frac);
                assert!((d - 2.82).abs() < 1e-9, "{d}");
            }
        }
    }

    #[test]
    fn standard_cells_of_rock_salt() {
        let c = skewed_nacl();
        for backend in [Backend::Spglib, Backend::Moyo] {
            let o = SymmetryOptions::default().with_backend(backend);
            let conv = conventional_cell(&c, &o).unwrap();
            assert_eq!(conv.num_sites(), 8, "{backend}");
            let p = conv.lattice.parameters();
            assert!((p.a - 5.64).abs() < 1e-6 && (p.alpha - 90.0).abs() < 1e-6, "{p:?}");
            let prim = primitive_cell(&c, &o).unwrap();
            assert_eq!(prim.num_sites(), 2);
            let found = standardize(&conv, &o, true, false).unwrap();
            assert_eq!(found.num_sites(), 2, "{backend}");
            assert!((found.volume() - c.volume()).abs() < 1e-6);
        }
    }

    #[test]
    fn rejects_foreign_bases() {
        let c = skewed_nacl();
        let other = Lattice::from_parameters(LatticeParameters {
            a: 3.0, b: 3.0, c: 3.0, alpha: 90.0, beta: 90.0, gamma: 90.0,
        })
        .unwrap();
        assert!(change_basis(&c, other).is_err());
    }
}
