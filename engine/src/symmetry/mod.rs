//! Symmetry: space-group operations ([`SymOp`], 'x,y,z' notation), standard settings from
//! symbols and numbers ([`tables`], [`SpaceGroup`]), and the symmetry information a crystal
//! carries from its source file ([`SymmetryInfo`]).

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

    /// The asymmetric unit: the first site of every orbit, in order of first appearance.
    pub fn representatives(&self) -> Vec<usize> {
        let mut seen = std::collections::HashSet::new();
        (0..self.orbits.len()).filter(|&i| seen.insert(self.orbits[i])).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn representatives_are_first_of_each_orbit() {
        let info = SymmetryInfo {
            operations: vec![SymOp::IDENTITY],
            hermann_mauguin: None,
            number: None,
            orbits: vec![0, 0, 2, 1, 2, 1],
        };
        assert_eq!(info.representatives(), vec![0, 2, 3]);
        assert_eq!(info.select_sites(&[2, 3]).orbits, vec![2, 1]);
    }
}
