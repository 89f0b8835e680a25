//! Symmetry: space-group operations and the symmetry information a crystal carries from its
//! source file.

mod operation;
pub mod tables;

pub use operation::{SymOp, SymOpError};
pub use tables::{SpaceGroup, UnknownSpaceGroup};

/// The symmetry declared by a structure's source (a CIF's operator list or space-group
/// symbol), with the asymmetric-unit orbit of every site.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetryInfo {
    /// All operations of the space group in the file's setting (identity first).
    pub operations: Vec<SymOp>,
    /// Hermann–Mauguin symbol as written in the source, if any.
    pub hermann_mauguin: Option<String>,
    /// International Tables number (1–230), if known.
    pub number: Option<u16>,
    /// For each site of the crystal, the index of the asymmetric-unit site it was generated
    /// from (same length as `Crystal::sites`).
    pub orbits: Vec<usize>,
}

impl SymmetryInfo {
    /// Restricts `orbits` to the given sites (see `Crystal::select_sites`).
    pub fn select_sites(&self, indices: &[usize]) -> SymmetryInfo {
        SymmetryInfo { orbits: indices.iter().map(|&i| self.orbits[i]).collect(), ..self.clone() }
    }
}
