//! Symmetry: space-group operations ([`SymOp`], 'x,y,z' notation), standard settings from
//! symbols and numbers ([`tables`], [`SpaceGroup`]), and the symmetry information a crystal
//! carries from its source file ([`SymmetryInfo`]).
//!
//! Symmetry *found* in a structure: [`SymmetryDataset`] (space group, operations, Wyckoff
//! orbits, standardized cell) from spglib (screen's own safe wrapper over `spglib-sys`) or moyo
//! ([`Backend`]), cell reduction ([`reduction`]: primitive, conventional, Niggli, Delaunay) and
//! structure matching with symmetric, order-independent grouping ([`matcher`]).
//!
//! ```
//! use screen_engine::crystal::{Crystal, Lattice};
//! use screen_engine::chem::Element;
//! use screen_engine::symmetry::{SymmetryDataset, SymmetryOptions};
//! let lattice = Lattice::new([[3.905, 0.0, 0.0], [0.0, 3.905, 0.0], [0.0, 0.0, 3.905]]).unwrap();
//! let el = |s| Element::from_symbol(s).unwrap();
//! let srtio3 = Crystal::from_elements(lattice, &[el("Sr"), el("Ti"), el("O"), el("O"), el("O")],
//!     &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5]]);
//! let d = SymmetryDataset::new(&srtio3, &SymmetryOptions::default()).unwrap();
//! assert_eq!((d.number, d.international.as_str()), (221, "Pm-3m"));
//! assert_eq!(d.wyckoff_sequence(), "1a 1b 3c");
//! ```

mod dataset;
mod lattice_automorphisms;
pub mod matcher;
mod moyo_backend;
mod operation;
mod options;
pub mod reduction;
pub mod setting;
mod site_types;
mod spglib;
pub mod tables;

pub use dataset::{SymmetryDataset, WyckoffOrbit, species_label};
pub use operation::{SymOp, SymOpError};
pub use options::{Backend, DEFAULT_ANGLE_TOLERANCE, DEFAULT_SYMPREC, SymmetryError, SymmetryOptions};
pub use reduction::LatticeReduction;
pub use site_types::{MAX_SITES, OCCUPANCY_EPS, TypedCell};
pub use spglib::spacegroup_type;
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
