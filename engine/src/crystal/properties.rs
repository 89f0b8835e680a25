//! Structure-level and per-site properties that travel with a structure but are not part of
//! its geometry: energies and labels from datasets, magnetic moments, charges, forces.

use std::collections::BTreeMap;

/// Per-structure properties (dataset labels, extXYZ info keys), as JSON values so that
/// every source field survives a round trip.
pub type Properties = BTreeMap<String, serde_json::Value>;

/// Per-site arrays by name. Well-known names: `magmom` (μB; width 1 or 3), `charge` (e),
/// `forces` (eV/Å, width 3), `velocities` (Å/fs, width 3), `selective_dynamics` (width 3).
pub type SiteProperties = BTreeMap<String, SiteProperty>;

/// Values of one per-site property, `width` values per site, stored site-major.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteProperty {
    pub width: usize,
    pub values: PropertyValues,
}

/// Typed storage for a per-site property (the extXYZ column types R, I, L, S).
#[derive(Clone, Debug, PartialEq)]
pub enum PropertyValues {
    Real(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

impl PropertyValues {
    pub fn len(&self) -> usize {
        match self {
            PropertyValues::Real(v) => v.len(),
            PropertyValues::Int(v) => v.len(),
            PropertyValues::Bool(v) => v.len(),
            PropertyValues::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the values of the given sites, in that order (`width` values per site).
    pub fn select(&self, width: usize, sites: &[usize]) -> PropertyValues {
        fn pick<T: Clone>(v: &[T], width: usize, sites: &[usize]) -> Vec<T> {
            sites.iter().flat_map(|&s| v[s * width..(s + 1) * width].iter().cloned()).collect()
        }
        match self {
            PropertyValues::Real(v) => PropertyValues::Real(pick(v, width, sites)),
            PropertyValues::Int(v) => PropertyValues::Int(pick(v, width, sites)),
            PropertyValues::Bool(v) => PropertyValues::Bool(pick(v, width, sites)),
            PropertyValues::Str(v) => PropertyValues::Str(pick(v, width, sites)),
        }
    }
}

impl SiteProperty {
    pub fn real(width: usize, values: Vec<f64>) -> Self {
        SiteProperty { width, values: PropertyValues::Real(values) }
    }

    /// Number of sites this property covers.
    pub fn n_sites(&self) -> usize {
        if self.width == 0 { 0 } else { self.values.len() / self.width }
    }
}
