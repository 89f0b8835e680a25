use super::Species;
use crate::chem::Element;
use crate::math::Vec3;

/// The species on a site with their occupancies. An ordered site holds one species with
/// occupancy 1; a disordered site keeps every species with its own occupancy (sum ≤ 1; the
/// rest is vacancy).
#[derive(Clone, Debug, PartialEq)]
pub struct Occupancy(Vec<(Species, f64)>);

impl Occupancy {
    /// A fully occupied, ordered site.
    pub fn ordered(species: impl Into<Species>) -> Self {
        Occupancy(vec![(species.into(), 1.0)])
    }

    /// A (possibly partially occupied or mixed) site; occupancies are not validated here
    /// (see [`super::Crystal::validate`]).
    pub fn mixed(species: Vec<(Species, f64)>) -> Self {
        Occupancy(species)
    }

    pub fn species(&self) -> &[(Species, f64)] {
        &self.0
    }

    pub fn species_mut(&mut self) -> &mut Vec<(Species, f64)> {
        &mut self.0
    }

    /// Sum of occupancies on the site.
    pub fn total(&self) -> f64 {
        self.0.iter().map(|(_, o)| o).sum()
    }

    /// True for a single species with occupancy 1.
    pub fn is_ordered(&self) -> bool {
        self.0.len() == 1 && self.0[0].1 == 1.0
    }

    /// The element of an ordered site; `None` for disordered sites.
    pub fn element(&self) -> Option<Element> {
        self.is_ordered().then(|| self.0[0].0.element)
    }

    /// The element with the largest occupancy (first one on ties).
    pub fn majority_element(&self) -> Element {
        let mut best = &self.0[0];
        for entry in &self.0[1..] {
            if entry.1 > best.1 {
                best = entry;
            }
        }
        best.0.element
    }

    /// Adds `occupancy` of `species`, merging with an equal species already present.
    pub fn add(&mut self, species: Species, occupancy: f64) {
        match self.0.iter_mut().find(|(s, _)| *s == species) {
            Some(entry) => entry.1 += occupancy,
            None => self.0.push((species, occupancy)),
        }
    }
}

/// One atomic position of a crystal: fractional coordinates and what sits there.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub occupancy: Occupancy,
    /// Fractional coordinates (not wrapped: files keep what they wrote).
    pub frac: Vec3,
    /// The label written in the source file (CIF `_atom_site_label`, POSCAR trailing label).
    pub label: Option<String>,
}

impl Site {
    pub fn new(species: impl Into<Species>, frac: Vec3) -> Self {
        Site { occupancy: Occupancy::ordered(species), frac, label: None }
    }
}
