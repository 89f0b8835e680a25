//! screen's safe wrapper over the C spglib 1.16 (`spglib-sys`).
//!
//! Why not the `spglib` crate: it dereferences the NULL dataset spglib returns on failure
//! (segfault), never calls `spg_free_dataset` (a leak per call), frees C arrays as Rust `Vec`s,
//! and gives `spg_standardize_cell` buffers sized for the input although the C code writes up
//! to 4× the atoms (see `../shared/docs/rust_notes.md`). Here every pointer is checked, every
//! dataset freed exactly once (by a drop guard), buffers have room for 4× the atoms, and inputs
//! are validated ([`TypedCell::validate`]) before any call.
//!
//! spglib keeps its last error in a process-wide variable, so calls are serialised by a lock:
//! use the moyo backend for parallel work.

use super::dataset::wyckoff_letter;
use super::{Backend, SymOp, SymmetryDataset, SymmetryError, TypedCell};
use crate::crystal::Lattice;
use crate::math::{self, Mat3, Vec3};
use spglib_sys as ffi;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};
use std::sync::Mutex;

static SPGLIB: Mutex<()> = Mutex::new(());

/// Largest growth of the atom count spglib's standardization may produce (primitive F cell →
/// conventional cell).
const GROWTH: usize = 4;

fn failed(message: impl Into<String>) -> SymmetryError {
    SymmetryError::Failed { backend: Backend::Spglib, message: message.into() }
}

/// spglib's message for its last error (call with the lock held).
fn last_error() -> String {
    // SAFETY: spg_get_error_message returns a pointer to a static C string (or NULL).
    unsafe {
        let code = ffi::spg_get_error_code();
        let ptr = ffi::spg_get_error_message(code);
        if ptr.is_null() { "unknown error".into() } else { CStr::from_ptr(ptr).to_string_lossy().into_owned() }
    }
}

/// spglib wants lattice vectors as columns.
fn columns(rows: &Mat3) -> Mat3 {
    math::transpose(rows)
}

fn angle_arg(angle_tolerance: Option<f64>) -> f64 {
    angle_tolerance.unwrap_or(-1.0)
}

fn c_str(chars: &[c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// Frees the dataset when dropped, so no early return can leak it.
struct Owned(*mut ffi::SpglibDataset);

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from spgat_get_dataset and is freed exactly once.
            unsafe { ffi::spg_free_dataset(self.0) }
        }
    }
}

/// A C array of `n` items as a slice, or an error when spglib returned NULL for it.
///
/// SAFETY: `ptr` must be NULL or point to `n` initialised items that outlive the slice.
unsafe fn array<'a, T>(ptr: *const T, n: usize, what: &str) -> Result<&'a [T], SymmetryError> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(failed(format!("spglib returned no {what}")));
    }
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

fn index(v: c_int, n: usize, what: &str) -> Result<usize, SymmetryError> {
    usize::try_from(v).ok().filter(|&i| i < n).ok_or_else(|| failed(format!("spglib returned {what} {v} out of range")))
}

/// Symmetry dataset of a validated cell.
pub(super) fn dataset(cell: &TypedCell, symprec: f64, angle_tolerance: Option<f64>) -> Result<SymmetryDataset, SymmetryError> {
    let n = cell.num_sites();
    let mut lattice = columns(&cell.lattice);
    let mut positions: Vec<[f64; 3]> = cell.positions.clone();
    let types: Vec<c_int> = cell.types.clone();
    let guard = SPGLIB.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: buffers hold n positions/types; spglib only reads them here.
    let raw = unsafe {
        ffi::spgat_get_dataset(
            lattice.as_mut_ptr(),
            positions.as_mut_ptr(),
            types.as_ptr() as *mut c_int,
            n as c_int,
            symprec,
            angle_arg(angle_tolerance),
        )
    };
    let owned = Owned(raw);
    if owned.0.is_null() {
        return Err(failed(last_error()));
    }
    // SAFETY: non-NULL dataset from spglib, alive until `owned` drops at the end of scope.
    let d = unsafe { &*owned.0 };
    if d.spacegroup_number < 1 || d.spacegroup_number > 230 {
        return Err(failed(last_error()));
    }
    if d.n_atoms as usize != n {
        return Err(failed(format!("spglib returned a dataset for {} atoms, expected {n}", d.n_atoms)));
    }
    let n_ops = usize::try_from(d.n_operations).map_err(|_| failed("negative operation count"))?;
    let n_std = usize::try_from(d.n_std_atoms).map_err(|_| failed("negative standard-cell atom count"))?;
    // SAFETY: spglib allocates these arrays with the counts it reports.
    let (rotations, translations, wyckoffs, symbols, equivalent, orbits, mapping, std_types, std_positions) = unsafe {
        (
            array(d.rotations as *const [[c_int; 3]; 3], n_ops, "rotations")?,
            array(d.translations as *const [f64; 3], n_ops, "translations")?,
            array(d.wyckoffs as *const c_int, n, "Wyckoff positions")?,
            array(d.site_symmetry_symbols as *const [c_char; 7], n, "site symmetries")?,
            array(d.equivalent_atoms as *const c_int, n, "equivalent atoms")?,
            array(d.crystallographic_orbits as *const c_int, n, "orbits")?,
            array(d.mapping_to_primitive as *const c_int, n, "primitive mapping")?,
            array(d.std_types as *const c_int, n_std, "standard-cell types")?,
            array(d.std_positions as *const [f64; 3], n_std, "standard-cell positions")?,
        )
    };
    let operations = rotations
        .iter()
        .zip(translations)
        .map(|(r, t)| SymOp { rotation: *r, translation: *t })
        .collect();
    let standard = cell.crystal_from(math::transpose(&d.std_lattice), std_positions, std_types)?;
    let out = SymmetryDataset {
        number: d.spacegroup_number as u16,
        hall_number: d.hall_number,
        international: c_str(&d.international_symbol),
        hall_symbol: c_str(&d.hall_symbol),
        choice: c_str(&d.choice),
        point_group: c_str(&d.pointgroup_symbol),
        operations,
        transformation: d.transformation_matrix,
        origin_shift: d.origin_shift,
        wyckoffs: wyckoffs.iter().map(|&w| wyckoff_letter(w)).collect(),
        site_symmetry: symbols.iter().map(|s| c_str(s)).collect(),
        equivalent_atoms: equivalent.iter().map(|&i| index(i, n, "equivalent atom")).collect::<Result<_, _>>()?,
        orbits: orbits.iter().map(|&i| index(i, n, "orbit")).collect::<Result<_, _>>()?,
        mapping_to_primitive: mapping.iter().map(|&i| index(i, n, "primitive site")).collect::<Result<_, _>>()?,
        standard,
        backend: Backend::Spglib,
        symprec,
        angle_tolerance,
        kinds: cell.kinds.clone(),
        types: cell.types.clone(),
        input_volume: math::det(&cell.lattice).abs(),
    };
    drop(owned);
    drop(guard);
    Ok(out)
}

/// A standardized cell of a validated cell: `primitive` or conventional, positions idealized
/// (symmetrized, lattice rotated to the standard orientation) or as found. Returns the lattice
/// rows, positions and types.
pub(super) fn standardize(
    cell: &TypedCell,
    primitive: bool,
    idealize: bool,
    symprec: f64,
    angle_tolerance: Option<f64>,
) -> Result<(Mat3, Vec<Vec3>, Vec<i32>), SymmetryError> {
    let n = cell.num_sites();
    let mut lattice = columns(&cell.lattice);
    // spglib writes the new cell in place and needs room for 4× the atoms.
    let mut positions = vec![[0.0f64; 3]; GROWTH * n];
    positions[..n].copy_from_slice(&cell.positions);
    let mut types: Vec<c_int> = vec![0; GROWTH * n];
    types[..n].copy_from_slice(&cell.types);
    let found = {
        let _guard = SPGLIB.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: buffers have room for GROWTH·n atoms, the documented maximum.
        let m = unsafe {
            ffi::spgat_standardize_cell(
                lattice.as_mut_ptr(),
                positions.as_mut_ptr(),
                types.as_mut_ptr(),
                n as c_int,
                primitive as c_int,
                (!idealize) as c_int,
                symprec,
                angle_arg(angle_tolerance),
            )
        };
        if m <= 0 { Err(last_error()) } else { Ok(m as usize) }
    };
    let m = found.map_err(failed)?;
    if m > GROWTH * n {
        return Err(failed(format!("spglib reported {m} atoms, more than the buffer of {}", GROWTH * n)));
    }
    positions.truncate(m);
    types.truncate(m);
    Ok((math::transpose(&lattice), positions, types))
}

/// Which lattice reduction spglib performs.
#[derive(Clone, Copy)]
pub(super) enum Reduction {
    Niggli,
    Delaunay,
}

/// The reduced basis (rows, Å) of `lattice`; `eps` is spglib's absolute tolerance on the
/// metric tensor (its default is 1e-5).
pub(super) fn reduce_lattice(lattice: &Lattice, reduction: Reduction, eps: f64) -> Result<Mat3, SymmetryError> {
    if !(eps.is_finite() && eps > 0.0 && eps < 1.0) {
        return Err(SymmetryError::Invalid(format!("reduction tolerance must be in (0, 1), got {eps}")));
    }
    let longest = lattice.lengths().into_iter().fold(0.0, f64::max);
    if longest > super::site_types::MAX_LENGTH {
        return Err(SymmetryError::Invalid(format!("a lattice vector is {longest:.3e} Å long")));
    }
    let mut m = columns(lattice.matrix());
    let ok = {
        let _guard = SPGLIB.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: a 3×3 array spglib overwrites in place.
        unsafe {
            match reduction {
                Reduction::Niggli => ffi::spg_niggli_reduce(m.as_mut_ptr(), eps),
                Reduction::Delaunay => ffi::spg_delaunay_reduce(m.as_mut_ptr(), eps),
            }
        }
    };
    if ok == 0 {
        let what = match reduction {
            Reduction::Niggli => "Niggli",
            Reduction::Delaunay => "Delaunay",
        };
        return Err(failed(format!("{what} reduction failed")));
    }
    Ok(math::transpose(&m))
}

/// The space-group type of a Hall number (1–530) from spglib's database: (number, short
/// international symbol).
pub fn spacegroup_type(hall_number: i32) -> Option<(u16, String)> {
    if !(1..=530).contains(&hall_number) {
        return None;
    }
    let _guard = SPGLIB.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: plain-value struct from spglib's static tables.
    let t = unsafe { ffi::spg_get_spacegroup_type(hall_number) };
    (t.number >= 1).then(|| (t.number as u16, c_str(&t.international_short)))
}
