//! Filters: small pure functions on a [`Candidate`] that accept it (`Ok`) or reject it with a
//! [`Rejection`] whose `reason` is one of the fixed categories in [`reason`] (what summaries
//! count) and whose `detail` is the offending value. Quantities a stage may want to record as
//! fields have their own functions returning the value.
//!
//! | filter | value | options | reasons |
//! |---|---|---|---|
//! | [`smact`], [`charge_neutral`], [`smact_composition`] (before building) | – | [`SmactOptions`] | stoichiometry, charge, electronegativity |
//! | [`tolerance_factor_in_range`], [`octahedral_factor_in_range`] | [`tolerance_factor`], [`octahedral_factor`], [`perovskite_radii`] | [`PerovskiteOptions`] | out of range, no radius, not a perovskite |
//! | [`min_distance_at_least`] | [`min_distance`] (Å, periodic) | [`MinDistanceOptions`] | atoms too close |
//! | [`density_in_range`] | [`density`] (g/cm³) | [`DensityOptions`] | density out of range |
//! | [`elements`] | – | [`ElementOptions`] | element excluded / not allowed / missing |
//! | [`symmetry`] | [`space_group`] | [`SymmetryOptions`] | space group / crystal system not allowed |
//! | [`pool_compositions`]: every neutral composition of an element pool (`smact_filter` per combination) | | [`FilterOptions`](crate::chem::screening::FilterOptions) | |
//!
//! Every options struct deserialises from a map (serde, unknown keys refused, missing keys
//! default), which is how scripts build them.
//!
//! ```
//! use screen_engine::filter::{self, PerovskiteOptions, SmactOptions};
//! use screen_engine::prototype::Prototype;
//! use screen_engine::substitute::Substitution;
//! let sub = Substitution::parse(Prototype::builtin("perovskite").unwrap(),
//!     [("A", ["Sr"]), ("B", ["Ti"]), ("X", ["O"])]).unwrap();
//! let c = sub.candidate(0).unwrap();
//! filter::smact(&c, &SmactOptions::default()).unwrap();
//! let t = filter::tolerance_factor(&c, &PerovskiteOptions::default()).unwrap();
//! assert!((t - 1.0016).abs() < 1e-4); // (1.44 + 1.40) / (√2 (0.605 + 1.40))
//! ```

mod chemistry;
mod elements;
mod geometry;
mod perovskite;
mod pool;
mod symmetry;

pub use chemistry::{SmactOptions, charge_neutral, integer_composition, smact, smact_composition};
pub use elements::{ElementList, ElementOptions, elements};
pub use geometry::{DensityOptions, MinDistanceOptions, density, density_in_range, min_distance, min_distance_at_least};
pub use perovskite::{
    PerovskiteOptions, PerovskiteRadii, goldschmidt, octahedral_factor, octahedral_factor_in_range, perovskite_radii,
    tolerance_factor, tolerance_factor_in_range,
};
pub use pool::pool_compositions;
pub use symmetry::{SymmetryOptions, space_group, symmetry};

use crate::candidate::Candidate;
use crate::chem::OxidationStateSet;
use serde::{Deserialize, Deserializer};

/// The fixed rejection categories.
pub mod reason {
    pub const STOICHIOMETRY: &str = "stoichiometry above threshold";
    pub const NOT_CHARGE_NEUTRAL: &str = "not charge neutral";
    pub const ELECTRONEGATIVITY: &str = "electronegativity order";
    pub const TOLERANCE_FACTOR: &str = "tolerance factor out of range";
    pub const OCTAHEDRAL_FACTOR: &str = "octahedral factor out of range";
    pub const NO_RADIUS: &str = "no ionic radius";
    pub const NOT_PEROVSKITE: &str = "not a perovskite";
    pub const ATOMS_TOO_CLOSE: &str = "atoms too close";
    pub const DENSITY: &str = "density out of range";
    pub const ELEMENT_EXCLUDED: &str = "element excluded";
    pub const ELEMENT_NOT_ALLOWED: &str = "element not allowed";
    pub const ELEMENT_MISSING: &str = "required element missing";
    pub const SPACE_GROUP: &str = "space group not allowed";
    pub const CRYSTAL_SYSTEM: &str = "crystal system not allowed";
    pub const SYMMETRY_FAILED: &str = "symmetry search failed";
}

/// An [`OxidationStateSet`] read from its name in options (`"icsd24"`, `"smact14"`, …);
/// default SMACT's `smact_validity` default, `icsd24_consensus3`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OxidationStateSetName(pub OxidationStateSet);

impl<'de> Deserialize<'de> for OxidationStateSetName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        OxidationStateSet::from_name(&name).map(OxidationStateSetName).ok_or_else(|| {
            let names: Vec<&str> = OxidationStateSet::ALL.iter().map(|s| s.name()).collect();
            serde::de::Error::custom(format!("unknown oxidation-state set '{name}'; expected one of {}", names.join(", ")))
        })
    }
}

/// Oxidation states of a candidate's elements, in order of Z over its composition: the states
/// a substitution fixed where it fixed them, otherwise
/// [`crate::chem::radius::likely_oxidation_states`]; `None` if no neutral assignment exists.
pub fn oxidation_states(candidate: &Candidate, set: OxidationStateSet) -> Option<Vec<(crate::chem::Element, i8)>> {
    let composition = integer_composition(candidate);
    let fixed: Vec<Option<i8>> = composition
        .iter()
        .map(|(e, _)| {
            let mut states = candidate
                .crystal
                .sites
                .iter()
                .flat_map(|s| s.occupancy.species())
                .filter(|(sp, _)| sp.element == *e)
                .map(|(sp, _)| crate::chem::Ion::from_species(sp).map(|i| i.charge));
            let first = states.next().flatten()?;
            states.all(|q| q == Some(first)).then_some(first)
        })
        .collect();
    if fixed.iter().all(Option::is_some) {
        return Some(composition.iter().zip(fixed).map(|((e, _), q)| (*e, q.unwrap_or(0))).collect());
    }
    let states = crate::chem::radius::likely_oxidation_states(&composition, set)?;
    Some(composition.iter().zip(states).zip(fixed).map(|(((e, _), q), f)| (*e, f.unwrap_or(q))).collect())
}
