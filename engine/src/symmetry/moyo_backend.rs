//! The moyo backend: the same [`SymmetryDataset`] and standardized cells from the pure-Rust
//! `moyo` crate. Thread-safe and several times faster than spglib, so the high-throughput
//! pipeline uses it.
//!
//! moyo reports failures as errors, but as a last line of defence every call runs under
//! `catch_unwind`: a panic inside moyo becomes a [`SymmetryError::Failed`], never an abort of
//! a long screen.

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
