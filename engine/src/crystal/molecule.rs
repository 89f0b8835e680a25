use super::{Composition, Properties, Species};
use crate::math::Vec3;
use super::SiteProperties;

/// A non-periodic set of atoms (plain XYZ): Cartesian positions in Å and no lattice.
#[derive(Clone, Debug, PartialEq)]
pub struct Molecule {
    pub species: Vec<Species>,
    /// Cartesian positions, Å.
    pub positions: Vec<Vec3>,
    pub properties: Properties,
    pub site_properties: SiteProperties,
}

impl Molecule {
    pub fn num_atoms(&self) -> usize {
        self.species.len()
    }

    pub fn composition(&self) -> Composition {
        let mut c = Composition::new();
        for s in &self.species {
            c.add(s.element, 1.0);
        }
        c
    }
}
