//! How a symmetry search is run: which code, and at which tolerances.

use std::fmt;
use std::str::FromStr;

/// Which symmetry code answers. Both read the same [`super::TypedCell`] and fill the same
/// [`super::SymmetryDataset`]; the corpus tests check that they agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Backend {
    /// spglib 1.16 (C, through screen's own safe wrapper over `spglib-sys`): the reference
    /// implementation pymatgen and phonopy use; the default for single structures.
    #[default]
    Spglib,
    /// moyo 0.22 (pure Rust): 4–10× faster, thread-safe, returns errors instead of crashing;
    /// the backend of the high-throughput pipeline. It retries with adjusted tolerances when
    /// the search at the requested `symprec` is inconsistent (the dataset records the one used).
    /// With an explicit angle tolerance, cells on which its search could loop forever are
    /// answered by spglib instead ([`SymmetryOptions::answering_backend`]).
    Moyo,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Spglib => "spglib",
            Backend::Moyo => "moyo",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Backend, String> {
        match s.to_ascii_lowercase().as_str() {
            "spglib" => Ok(Backend::Spglib),
            "moyo" => Ok(Backend::Moyo),
            other => Err(format!("unknown symmetry backend '{other}' (expected spglib or moyo)")),
        }
    }
}

/// Why a symmetry search gave no answer. Inputs that would crash or stall the C code are
/// [`SymmetryError::Invalid`] and never reach it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SymmetryError {
    #[error("cannot analyse symmetry: {0}")]
    Invalid(String),
    #[error("{backend} found no symmetry: {message}")]
    Failed { backend: Backend, message: String },
}

/// Tolerances and backend of a symmetry search.
///
/// Defaults are pymatgen `SpacegroupAnalyzer`'s, which is what materials scientists compare
/// against: `symprec` = 0.01 Å, `angle_tolerance` = 5°. spglib's own defaults (its Python
/// API) are `symprec` = 1e-5 Å and angle tolerance −1 (off: the lattice-vector angles are then
/// judged by the distance tolerance alone); [`SymmetryOptions::spglib_defaults`] gives those.
/// The Materials Project classifies at `symprec` = 0.1 Å.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SymmetryOptions {
    pub backend: Backend,
    /// Distance tolerance in Å: how far an atom may sit from its symmetry image.
    pub symprec: f64,
    /// Angle tolerance in degrees for the metric of the lattice; `None` = distance only
    /// (spglib's −1).
    pub angle_tolerance: Option<f64>,
}

pub const DEFAULT_SYMPREC: f64 = 0.01;
pub const DEFAULT_ANGLE_TOLERANCE: f64 = 5.0;

impl Default for SymmetryOptions {
    fn default() -> Self {
        SymmetryOptions {
            backend: Backend::Spglib,
            symprec: DEFAULT_SYMPREC,
            angle_tolerance: Some(DEFAULT_ANGLE_TOLERANCE),
        }
    }
}

impl SymmetryOptions {
    /// spglib's own defaults: symprec 1e-5 Å, no angle tolerance.
    pub fn spglib_defaults() -> Self {
        SymmetryOptions { backend: Backend::Spglib, symprec: 1e-5, angle_tolerance: None }
    }

    pub fn with_backend(self, backend: Backend) -> Self {
        SymmetryOptions { backend, ..self }
    }

    pub fn with_symprec(self, symprec: f64) -> Self {
        SymmetryOptions { symprec, ..self }
    }

    /// The backend that answers for `cell`: the requested one, except that a moyo request with
    /// an explicit angle tolerance goes to spglib (same tolerances) on the lattices where moyo's
    /// search could run away (`lattice_automorphisms`). The dataset's `backend` field says which
    /// one answered. Costs a moyo search when the request is moyo with an angle tolerance.
    pub fn answering_backend(&self, cell: &super::TypedCell) -> Backend {
        match self.backend {
            Backend::Spglib => Backend::Spglib,
            // An invalid cell is refused by the search itself; no probe on it.
            Backend::Moyo if self.angle_tolerance.is_some() && cell.validate(self.symprec, self.angle_tolerance).is_err() => {
                Backend::Moyo
            }
            Backend::Moyo => super::moyo_backend::answering_backend(cell, self.symprec, self.angle_tolerance),
        }
    }
}
