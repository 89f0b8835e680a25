//! Charge neutrality and the Pauling electronegativity test, with SMACT's exact semantics
//! ([`crate::chem::screening::smact_validity`]), plus a stoichiometry threshold.

use super::{OxidationStateSetName, reason};
use crate::candidate::{Candidate, Rejection};
use crate::chem::Element;
use crate::chem::screening::{DEFAULT_MAX_MIXED_VALENCE_COMBOS, ValidityOptions, smact_validity};
use serde::Deserialize;

/// Options of [`smact`]; `Default` is SMACT's default `smact_validity` call with no
/// stoichiometry limit.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmactOptions {
    /// Oxidation-state set by SMACT's name (`icsd24_consensus3` default, `icsd24`, `smact14`,
    /// `icsd16`, `pymatgen_sp`, `wiki`, or `pymatgen_common` / `pymatgen_icsd` / `pymatgen_all`).
    pub oxidation_states: OxidationStateSetName,
    /// Require every cation to be less electronegative than every anion.
    pub use_pauling_test: bool,
    /// Accept any composition made only of SMACT's metals (its alloy shortcut).
    pub include_alloys: bool,
    /// Let each atom of a mixed-valence element take its own state (Fe3O4).
    pub mixed_valence: bool,
    /// Work cap of the mixed-valence search (SMACT's `_MAX_MIXED_VALENCE_COMBOS`).
    pub max_mixed_valence_combos: u64,
    /// Reject compositions whose reduced formula has a coefficient above this (SMACT's
    /// `smact_filter` threshold, 8 in its docs); `None`: no limit.
    pub max_stoichiometry: Option<u32>,
}

impl Default for SmactOptions {
    fn default() -> Self {
        SmactOptions {
            oxidation_states: OxidationStateSetName::default(),
            use_pauling_test: true,
            include_alloys: true,
            mixed_valence: false,
            max_mixed_valence_combos: DEFAULT_MAX_MIXED_VALENCE_COMBOS,
            max_stoichiometry: None,
        }
    }
}

impl SmactOptions {
    pub fn validity_options(&self) -> ValidityOptions {
        ValidityOptions {
            oxidation_states: self.oxidation_states.0,
            use_pauling_test: self.use_pauling_test,
            include_alloys: self.include_alloys,
            mixed_valence: self.mixed_valence,
            max_mixed_valence_combos: self.max_mixed_valence_combos,
        }
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Integer counts of a candidate's cell composition (occupancies rounded), in order of Z.
pub fn integer_composition(candidate: &Candidate) -> Vec<(Element, u32)> {
    candidate
        .crystal
        .composition()
        .iter()
        .map(|(e, n)| (e, n.round().clamp(0.0, f64::from(u32::MAX)) as u32))
        .collect()
}

/// [`smact`] on a composition, so it can run before a crystal is built
/// ([`crate::substitute::Assignment::composition_into`]). Reasons:
/// [`reason::STOICHIOMETRY`], [`reason::NOT_CHARGE_NEUTRAL`], [`reason::ELECTRONEGATIVITY`].
pub fn smact_composition(composition: &[(Element, u32)], options: &SmactOptions) -> Result<(), Rejection> {
    if let Some(limit) = options.max_stoichiometry {
        let g = composition.iter().fold(0, |g, &(_, n)| gcd(g, n)).max(1);
        if let Some(&(e, n)) = composition.iter().find(|&&(_, n)| n / g > limit) {
            return Err(Rejection::new(reason::STOICHIOMETRY).with_detail(format!("{e}{} > {limit}", n / g)));
        }
    }
    let validity = options.validity_options();
    if smact_validity(composition, &validity) {
        return Ok(());
    }
    let formula = || composition.iter().map(|(e, n)| format!("{e}{n}")).collect::<String>();
    if validity.use_pauling_test {
        let neutral_only = ValidityOptions { use_pauling_test: false, ..validity };
        if smact_validity(composition, &neutral_only) {
            return Err(Rejection::new(reason::ELECTRONEGATIVITY).with_detail(formula()));
        }
    }
    Err(Rejection::new(reason::NOT_CHARGE_NEUTRAL).with_detail(formula()))
}

/// SMACT validity of the candidate's composition: some oxidation state per element makes it
/// charge neutral and (with the Pauling test) orders cations below anions in
/// electronegativity; SMACT's all-metal shortcut and mixed-valence option apply.
///
/// ```
/// use screen_engine::filter::{smact, SmactOptions};
/// use screen_engine::prototype::Prototype;
/// use screen_engine::substitute::Substitution;
/// let sub = Substitution::parse(Prototype::builtin("perovskite").unwrap(),
///     [("A", vec!["Na"]), ("B", vec!["Mg", "Al"]), ("X", vec!["F"])]).unwrap();
/// assert!(smact(&sub.candidate(0).unwrap(), &SmactOptions::default()).is_ok()); // NaMgF3
/// let r = smact(&sub.candidate(1).unwrap(), &SmactOptions::default()).unwrap_err(); // NaAlF3
/// assert_eq!(r.reason, "not charge neutral");
/// ```
pub fn smact(candidate: &Candidate, options: &SmactOptions) -> Result<(), Rejection> {
    smact_composition(&integer_composition(candidate), options)
}

/// Charge neutrality alone: [`smact`] with the Pauling test off.
pub fn charge_neutral(candidate: &Candidate, options: &SmactOptions) -> Result<(), Rejection> {
    let options = SmactOptions { use_pauling_test: false, ..options.clone() };
    smact(candidate, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(f: &str) -> Vec<(Element, u32)> {
        crate::chem::formula::parse_formula(f).unwrap().into_iter().map(|(e, n)| (e, n as u32)).collect()
    }

    #[test]
    fn reasons_follow_smact() {
        let d = SmactOptions::default();
        assert!(smact_composition(&comp("SrTiO3"), &d).is_ok());
        // SMACT's wide ICSD set lets O take -1: NaTiO3 = Na+ Ti2+ (O-)3 passes; KAlF3 cannot.
        assert!(smact_composition(&comp("NaTiO3"), &d).is_ok());
        assert_eq!(smact_composition(&comp("KAlF3"), &d).unwrap_err().reason, reason::NOT_CHARGE_NEUTRAL);
        // B3S is neutral only with S as the cation of B anions: electronegativity order fails.
        assert_eq!(smact_composition(&comp("B3S"), &d).unwrap_err().reason, reason::ELECTRONEGATIVITY);
        let no_pauling = SmactOptions { use_pauling_test: false, ..d.clone() };
        assert!(smact_composition(&comp("B3S"), &no_pauling).is_ok());
        // Fe3O4 needs mixed valence.
        assert!(smact_composition(&comp("Fe3O4"), &d).is_err());
        let mixed = SmactOptions { mixed_valence: true, ..d.clone() };
        assert!(smact_composition(&comp("Fe3O4"), &mixed).is_ok());
        // Stoichiometry threshold on the reduced formula.
        let eight = SmactOptions { max_stoichiometry: Some(8), ..d.clone() };
        assert!(smact_composition(&comp("Sr2Ti2O6"), &eight).is_ok());
        assert_eq!(smact_composition(&comp("Fe9O9Na"), &eight).unwrap_err().reason, reason::STOICHIOMETRY);
        // All-metal shortcut.
        assert!(smact_composition(&comp("Cu2MnAl"), &d).is_ok());
        let no_alloys = SmactOptions { include_alloys: false, ..d };
        assert!(smact_composition(&comp("Cu2MnAl"), &no_alloys).is_err());
    }

    #[test]
    fn options_deserialize_with_defaults() {
        let o: SmactOptions = serde_json::from_str(r#"{"oxidation_states": "smact14", "max_stoichiometry": 8}"#).unwrap();
        assert_eq!(o.oxidation_states.0, crate::chem::OxidationStateSet::Smact14);
        assert!(o.use_pauling_test);
        assert!(serde_json::from_str::<SmactOptions>(r#"{"oxidation_states": "nope"}"#).is_err());
        assert!(serde_json::from_str::<SmactOptions>(r#"{"typo": 1}"#).is_err());
    }
}
