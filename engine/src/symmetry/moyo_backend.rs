//! The moyo backend: the same [`SymmetryDataset`] and standardized cells from the pure-Rust
//! `moyo` crate. Thread-safe and several times faster than spglib, so the high-throughput
//! pipeline uses it.
//!
//! moyo reports failures as errors, but as a last line of defence every call runs under
//! `catch_unwind`: a panic inside moyo becomes a [`SymmetryError::Failed`], never an abort of
//! a long screen.
//!
//! With an explicit angle tolerance moyo's lattice search can run away on some cells (see
//! [`super::lattice_automorphisms`]); [`answering_backend`] finds those before the call and
//! hands them to spglib, which takes the same tolerances.

use super::lattice_automorphisms::closure_is_infinite;
use super::{Backend, SymOp, SymmetryDataset, SymmetryError, TypedCell};
use crate::math::{self, Mat3, Vec3};
use moyo::MoyoDataset;
use moyo::base::{AngleTolerance, Cell, Lattice as MoyoLattice};
use moyo::data::Setting;
use nalgebra::Vector3;
use std::panic::{AssertUnwindSafe, catch_unwind};

fn failed(message: impl Into<String>) -> SymmetryError {
    SymmetryError::Failed { backend: Backend::Moyo, message: message.into() }
}

fn moyo_cell(cell: &TypedCell) -> Cell {
    let lattice = MoyoLattice::from_basis(cell.lattice);
    let positions = cell.positions.iter().map(|p| Vector3::new(p[0], p[1], p[2])).collect();
    Cell::new(lattice, positions, cell.types.clone())
}

fn angle(angle_tolerance: Option<f64>) -> AngleTolerance {
    match angle_tolerance {
        Some(deg) => AngleTolerance::Radian(deg.to_radians()),
        None => AngleTolerance::Default,
    }
}

/// Runs moyo's full analysis (standardized cell with spglib's Cartesian orientation).
fn run(cell: &TypedCell, symprec: f64, angle_tolerance: Option<f64>) -> Result<MoyoDataset, SymmetryError> {
    let input = moyo_cell(cell);
    let result = catch_unwind(AssertUnwindSafe(|| {
        MoyoDataset::new(&input, symprec, angle(angle_tolerance), Setting::Spglib, true)
    }));
    match result {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(_) => Err(failed("internal error (panic) in moyo")),
    }
}

/// Safety factor on the tolerances at which [`answering_backend`] checks moyo's lattice search
/// (covers a different choice of Minkowski basis and rounding).
const GUARD_MARGIN: f64 = 1.5;

/// The backend that answers a moyo request at these tolerances: moyo, or spglib (which takes
/// the same tolerances) where moyo's lattice search with the explicit angle tolerance could run
/// away.
///
/// moyo changes `symprec` and the angle tolerance together, and raises them only when its
/// primitive-cell search fails (which does not depend on the angle). A first search with
/// spglib's distance-only angle criterion (which has not run away on the corpus or the
/// Materials Project set) tells whether the primitive-cell search succeeds at the requested
/// `symprec`; if it does, the search with the angle tolerance works at that `symprec` and angle
/// or smaller ones, on the primitive lattice or (after retries at a smaller `symprec`) a coarser
/// one, and the input and primitive lattices are checked (with [`GUARD_MARGIN`]). If it does
/// not, the tolerances moyo would reach are unknown and spglib answers. An explicit angle
/// tolerance thus costs two moyo searches. Checked on every Materials Project input of the
/// dedup test (23,628, at 0.1, 0.01 and 0.001 Å) and every corpus structure (0.1 and 0.001 Å)
/// against a copy of moyo whose closure stops at 48 elements: every cell that runs away is
/// caught, and about 1% of the cells go to spglib.
pub(super) fn answering_backend(cell: &TypedCell, symprec: f64, angle_tolerance: Option<f64>) -> Backend {
    let Some(degrees) = angle_tolerance else { return Backend::Moyo };
    let safe = |rows: &Mat3| match minkowski(rows) {
        Some(reduced) => !closure_is_infinite(&reduced, GUARD_MARGIN * symprec, GUARD_MARGIN * degrees.to_radians()),
        None => false,
    };
    let Ok(first) = run(cell, symprec, None) else { return Backend::Spglib };
    if first.symprec != symprec || !safe(&cell.lattice) {
        return Backend::Spglib;
    }
    match primitive_from(&first, cell) {
        Ok((primitive, _, _)) if safe(&primitive) => Backend::Moyo,
        _ => Backend::Spglib,
    }
}

/// The Minkowski-reduced basis (rows) moyo searches.
fn minkowski(rows: &Mat3) -> Option<Mat3> {
    let lattice = MoyoLattice::from_basis(*rows);
    match catch_unwind(AssertUnwindSafe(|| lattice.minkowski_reduce())) {
        Ok(Ok((reduced, _))) => Some(reduced.basis_as_array()),
        _ => None,
    }
}

fn rows(lattice: &MoyoLattice) -> Mat3 {
    lattice.basis_as_array()
}

/// Symmetry dataset of a validated cell.
pub(super) fn dataset(cell: &TypedCell, symprec: f64, angle_tolerance: Option<f64>) -> Result<SymmetryDataset, SymmetryError> {
    let d = run(cell, symprec, angle_tolerance)?;
    convert(&d, cell)
}

/// The dataset and the primitive cell as found (not idealized) from one moyo run.
pub(super) fn dataset_and_primitive(
    cell: &TypedCell,
    symprec: f64,
    angle_tolerance: Option<f64>,
) -> Result<(SymmetryDataset, (Mat3, Vec<Vec3>, Vec<i32>)), SymmetryError> {
    let d = run(cell, symprec, angle_tolerance)?;
    Ok((convert(&d, cell)?, primitive_from(&d, cell)?))
}

fn convert(d: &MoyoDataset, cell: &TypedCell) -> Result<SymmetryDataset, SymmetryError> {
    let n = cell.num_sites();
    if d.orbits.len() != n || d.wyckoffs.len() != n || d.site_symmetry_symbols.len() != n {
        return Err(failed("per-site results do not match the number of sites"));
    }
    let entry = moyo::data::hall_symbol_entry(d.hall_number).ok_or_else(|| failed("unknown Hall number"))?;
    let point_group = moyo::data::arithmetic_crystal_class_entry(entry.arithmetic_number)
        .map(|a| a.geometric_crystal_class.to_string())
        .unwrap_or_default();
    let operations = d
        .operations
        .iter()
        .map(|op| SymOp { rotation: op.rotation_as_array(), translation: op.translation_as_array() })
        .collect();
    // spglib's convention: standardized basis = input basis · P⁻¹, x_std = P·x + p.
    let linear = d.std_linear_as_array();
    let p = math::inverse(&linear).ok_or_else(|| failed("singular standardization"))?;
    let o = d.std_origin_shift_as_array();
    let po = math::mat_vec(&p, o);
    let std_positions: Vec<Vec3> = d.std_cell.positions_as_arrays();
    let standard = cell.crystal_from(rows(&d.std_cell.lattice), &std_positions, &d.std_cell.numbers)?;
    let used_angle = match d.angle_tolerance {
        AngleTolerance::Radian(r) => Some(r.to_degrees()),
        AngleTolerance::Default => None,
    };
    Ok(SymmetryDataset {
        number: d.number as u16,
        hall_number: d.hall_number,
        international: entry.hm_short.replace(' ', ""),
        hall_symbol: entry.hall_symbol.to_string(),
        choice: entry.setting.to_string(),
        point_group,
        operations,
        transformation: p,
        origin_shift: [-po[0], -po[1], -po[2]].map(|x| x - x.floor()),
        wyckoffs: d.wyckoffs.clone(),
        site_symmetry: d.site_symmetry_symbols.clone(),
        equivalent_atoms: d.orbits.clone(),
        orbits: d.orbits.clone(),
        mapping_to_primitive: d.mapping_std_prim.clone(),
        standard,
        backend: Backend::Moyo,
        symprec: d.symprec,
        angle_tolerance: used_angle,
        kinds: cell.kinds.clone(),
        types: cell.types.clone(),
        input_volume: math::det(&cell.lattice).abs(),
    })
}

/// Primitive or conventional standardized cell (always idealized: moyo refines lattice and
/// positions to the symmetry it found).
pub(super) fn standardize(
    cell: &TypedCell,
    primitive: bool,
    symprec: f64,
    angle_tolerance: Option<f64>,
) -> Result<(Mat3, Vec<Vec3>, Vec<i32>), SymmetryError> {
    let d = run(cell, symprec, angle_tolerance)?;
    let c = if primitive { &d.prim_std_cell } else { &d.std_cell };
    Ok((rows(&c.lattice), c.positions_as_arrays(), c.numbers.clone()))
}

/// The primitive cell as found, not idealized: the input sites in moyo's primitive basis
/// (before its refinement), one input site per primitive site, lattice not symmetrized.
pub(super) fn primitive_as_found(
    cell: &TypedCell,
    symprec: f64,
    angle_tolerance: Option<f64>,
) -> Result<(Mat3, Vec<Vec3>, Vec<i32>), SymmetryError> {
    let d = run(cell, symprec, angle_tolerance)?;
    primitive_from(&d, cell)
}

fn primitive_from(d: &MoyoDataset, cell: &TypedCell) -> Result<(Mat3, Vec<Vec3>, Vec<i32>), SymmetryError> {
    // Columns: A_prim = A_in · L, x_prim = L⁻¹ (x_in − o).
    let linear = d.prim_std_linear_as_array();
    let inv = math::inverse(&linear).ok_or_else(|| failed("singular primitive transformation"))?;
    let o = d.prim_std_origin_shift_as_array();
    let rows_in = cell.lattice;
    let rows = math::mat_mul(&math::transpose(&linear), &rows_in);
    let n_prim = d.prim_std_cell.num_atoms();
    let mut positions = vec![None; n_prim];
    let mut types = vec![0; n_prim];
    for (i, &k) in d.mapping_std_prim.iter().enumerate() {
        if k < n_prim && positions[k].is_none() {
            let x = math::sub(cell.positions[i], o);
            positions[k] = Some(math::mat_vec(&inv, x).map(math::wrap_unit));
            types[k] = cell.types[i];
        }
    }
    let positions: Option<Vec<Vec3>> = positions.into_iter().collect();
    let positions = positions.ok_or_else(|| failed("a primitive site has no input site"))?;
    Ok((rows, positions, types))
}

/// Niggli- or Delaunay-reduced basis (rows) of a lattice.
pub(super) fn reduce_lattice(lattice: &Mat3, niggli: bool) -> Result<Mat3, SymmetryError> {
    let l = MoyoLattice::from_basis(*lattice);
    let result = catch_unwind(AssertUnwindSafe(|| if niggli { l.niggli_reduce() } else { l.delaunay_reduce() }));
    match result {
        Ok(Ok((reduced, _))) => Ok(rows(&reduced)),
        Ok(Err(e)) => Err(failed(e.to_string())),
        Err(_) => Err(failed("internal error (panic) in moyo lattice reduction")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::Element;
    use crate::crystal::{Crystal, Lattice};
    use crate::symmetry::SymmetryOptions;

    /// TaS2, Materials Project `mp-1411`, exactly as stored in `../shared/data/mp_flla2015.jsonl.gz`:
    /// c is tilted 8° off the layer normal so that |c − a| = |c|. moyo 0.22 never returns on it
    /// at 0.1 Å with an explicit 5° (nor at 0.01 or 0.001 Å): the matrices its lattice search
    /// admits include a shear, and the closure it builds from them grows without bound.
    fn mp_1411() -> Crystal {
        let lattice =
            Lattice::new([[3.308414, 0.0, 0.47331], [1.654207, 2.894882, 0.236655], [0.026569, 0.0, 11.613755]]).unwrap();
        let el = |s| Element::from_symbol(s).unwrap();
        Crystal::from_elements(
            lattice,
            &[el("S"), el("S"), el("Ta")],
            &[[0.810244, 0.515543, 0.863968], [0.674212, 0.515543, 0.136032], [0.075543, 0.848913, 0.0]],
        )
    }

    #[test]
    fn an_explicit_angle_tolerance_never_reaches_a_runaway_search() {
        let crystal = mp_1411();
        let cell = TypedCell::from_crystal(&crystal).unwrap();
        let reduced = minkowski(&cell.lattice).unwrap();
        assert!(closure_is_infinite(&reduced, 0.1, 5f64.to_radians()), "the trigger is recognised");
        for symprec in [0.1, 0.01, 1e-3] {
            let options = SymmetryOptions { backend: Backend::Moyo, symprec, angle_tolerance: Some(5.0) };
            assert_eq!(options.answering_backend(&cell), Backend::Spglib);
            let ours = SymmetryDataset::new(&crystal, &options).unwrap();
            let spglib = SymmetryDataset::new(&crystal, &options.with_backend(Backend::Spglib)).unwrap();
            assert_eq!((ours.backend, ours.number), (Backend::Spglib, spglib.number));
            let primitive = crate::symmetry::reduction::primitive_cell(&crystal, &options).unwrap();
            assert_eq!(primitive.num_sites(), 3);
        }
        // spglib's distance criterion (no explicit angle): moyo answers, and agrees.
        let options = SymmetryOptions { backend: Backend::Moyo, symprec: 0.1, angle_tolerance: None };
        let moyo = SymmetryDataset::new(&crystal, &options).unwrap();
        let spglib = SymmetryDataset::new(&crystal, &options.with_backend(Backend::Spglib)).unwrap();
        assert_eq!((moyo.backend, moyo.number), (Backend::Moyo, spglib.number));
    }

    #[test]
    fn ordinary_cells_stay_with_moyo() {
        let lattice = Lattice::new([[3.905, 0.0, 0.0], [0.0, 3.905, 0.0], [0.0, 0.0, 3.905]]).unwrap();
        let el = |s| Element::from_symbol(s).unwrap();
        let srtio3 = Crystal::from_elements(
            lattice,
            &[el("Sr"), el("Ti"), el("O"), el("O"), el("O")],
            &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5]],
        );
        let options = SymmetryOptions { backend: Backend::Moyo, symprec: 0.01, angle_tolerance: Some(5.0) };
        let d = SymmetryDataset::new(&srtio3, &options).unwrap();
        assert_eq!((d.backend, d.number, d.angle_tolerance.map(|a| (a * 1e6).round())), (Backend::Moyo, 221, Some(5e6)));
    }
}
