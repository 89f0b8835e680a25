//! The crystal model: a [`Lattice`], [`Site`]s carrying (possibly disordered) [`Species`], and
//! per-site / per-structure properties. A [`Structure`] is either a periodic [`Crystal`] or a
//! non-periodic [`Molecule`] (plain XYZ files); crystal-only operations on a molecule are errors.
//!
//! Everything is `f64`; lengths are Å, angles degrees, volumes Å³, densities g/cm³.

mod composition;
mod crystal;
mod error;
mod lattice;
mod molecule;
mod properties;
mod site;
mod species;
mod structure;

pub use composition::Composition;
pub use crystal::{Crystal, DEFAULT_MIN_DISTANCE, OCCUPANCY_TOLERANCE};
pub use error::CrystalError;
pub use lattice::{Lattice, LatticeParameters};
pub use molecule::Molecule;
pub use properties::{Properties, PropertyValues, SiteProperties, SiteProperty};
pub use site::{Occupancy, Site};
pub use species::Species;
pub use structure::{Entry, Structure};
