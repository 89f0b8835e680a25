//! Charge-neutrality and electronegativity screening of compositions, with SMACT 4.0.2's
//! decisions (`smact_validity`, `smact_filter`; Davies et al., JOSS 4, 1361 (2019)).
//!
//! A composition passes when some choice of one oxidation state per element is charge neutral
//! and, with the Pauling test on, every cation is less electronegative than every anion
//! (SMACT's `eneg_states_test`, using SMACT's own Pauling values). SMACT enumerates the full
//! Cartesian product of states (and of stoichiometries in `smact_filter`); here the search is
//! a depth-first walk in the same order that prunes on reachable charge, checks the Pauling
//! rule incrementally and solves the last stoichiometric coefficient instead of looping over
//! it, so the answers and their order are SMACT's but the work is a small fraction.

mod filter;

pub use filter::{
    FilterOptions, NeutralCompositions, NoOxidationStates, for_each_neutral_composition,
    smact_filter, smact_filter_stoichiometries,
};

use crate::chem::element::{Element, OxidationStateSet};
use crate::chem::formula::{FormulaError, parse_formula};
use crate::crystal::Composition;

/// SMACT's `MIXED_VALENCE_ELEMENTS`: elements that `mixed_valence` splits into one site per
/// atom. Pb and Pr are not among them, so Pb3O4 and Pr6O11 stay invalid.
pub const MIXED_VALENCE_ELEMENTS: [&str; 24] = [
    "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Nb", "Mo", "Ru", "Pd", "Ag", "Sn", "Sb", "Ce",
    "Eu", "Yb", "W", "Re", "Os", "Au", "Bi", "U",
];

/// SMACT's `_MAX_MIXED_VALENCE_COMBOS`.
pub const DEFAULT_MAX_MIXED_VALENCE_COMBOS: u64 = 1_000_000;

fn is_mixed_valence(element: Element) -> bool {
    MIXED_VALENCE_ELEMENTS.contains(&element.symbol())
}

/// Options of [`smact_validity`]; `Default` is SMACT's default call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidityOptions {
    /// Default [`OxidationStateSet::Icsd24Consensus3`], what SMACT's
    /// `oxidation_states_set=None` resolves to.
    pub oxidation_states: OxidationStateSet,
    /// Require cations less electronegative than anions.
    pub use_pauling_test: bool,
    /// Accept any composition made only of SMACT's metals (its alloy shortcut).
    pub include_alloys: bool,
    /// When no single state per element works, let each atom of a mixed-valence element
    /// ([`MIXED_VALENCE_ELEMENTS`]) take its own state (Fe3O4 = Fe²⁺Fe³⁺₂O₄).
    pub mixed_valence: bool,
    /// Mixed valence gives up (invalid) when Π len(states)^count over mixed-valence elements
    /// × Π len(states) over the others exceeds this; it bounds the work.
    pub max_mixed_valence_combos: u64,
}

impl Default for ValidityOptions {
    fn default() -> Self {
        ValidityOptions {
            oxidation_states: OxidationStateSet::Icsd24Consensus3,
            use_pauling_test: true,
            include_alloys: true,
            mixed_valence: false,
            max_mixed_valence_combos: DEFAULT_MAX_MIXED_VALENCE_COMBOS,
        }
    }
}

/// One position of the search: an element (or, with mixed valence, one atom of it).
struct Site {
    states: &'static [i8],
    count: i64,
    /// SMACT's Pauling electronegativity.
    en: Option<f64>,
    /// Sites of the same split mixed-valence element share a group; their states are
    /// interchangeable, so only non-decreasing choices are tried.
    group: usize,
}

/// Merges repeated elements (as pymatgen's `Composition` does), keeping first-appearance order.
fn merge(composition: &[(Element, u32)]) -> Vec<(Element, u64)> {
    let mut merged: Vec<(Element, u64)> = Vec::with_capacity(composition.len());
    for &(element, count) in composition {
        match merged.iter_mut().find(|(e, _)| *e == element) {
            Some((_, total)) => *total += u64::from(count),
            None => merged.push((element, u64::from(count))),
        }
    }
    merged
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// SMACT's `smact_validity` for a composition given as (element, integer amount) pairs, in
/// formula order. Repeated elements are summed. `check_metallicity` is not supported.
///
/// ```
/// use screen_engine::chem::{Element, screening::{smact_validity, ValidityOptions}};
/// let el = |s| Element::from_symbol(s).unwrap();
/// let opts = ValidityOptions::default();
/// assert!(smact_validity(&[(el("Fe"), 2), (el("O"), 3)], &opts));
/// assert!(!smact_validity(&[(el("Fe"), 3), (el("O"), 4)], &opts));
/// let mixed = ValidityOptions { mixed_valence: true, ..Default::default() };
/// assert!(smact_validity(&[(el("Fe"), 3), (el("O"), 4)], &mixed));
/// ```
pub fn smact_validity(composition: &[(Element, u32)], options: &ValidityOptions) -> bool {
    let merged = merge(composition);
    if merged.len() == 1 {
        return true;
    }
    if options.include_alloys
        && !merged.is_empty()
        && merged.iter().all(|(e, _)| e.data().smact_metal)
    {
        return true;
    }
    let Some(reduced) = reduce(merged) else {
        return false;
    };
    let Some(sites) = element_sites(&reduced, options.oxidation_states) else {
        return false;
    };
    if find_neutral_states(&sites, options.use_pauling_test, &mut Vec::new()) {
        return true;
    }
    if options.mixed_valence && reduced.iter().any(|&(e, _)| is_mixed_valence(e)) {
        return mixed_valence_valid(&reduced, &sites, options);
    }
    false
}

/// [`smact_validity`] of a formula string; amounts are truncated to integers as SMACT does
/// (`int(amount)`), so "Fe0.5O" counts no iron.
pub fn smact_validity_formula(
    formula: &str,
    options: &ValidityOptions,
) -> Result<bool, FormulaError> {
    let amounts = parse_formula(formula)?;
    let counts: Vec<(Element, u32)> = amounts
        .into_iter()
        .map(|(e, n)| (e, n.min(f64::from(u32::MAX)) as u32))
        .collect();
    Ok(smact_validity(&counts, options))
}

/// [`smact_validity`] of a crystal's composition (amounts truncated to integers as SMACT does).
pub fn smact_validity_composition(composition: &Composition, options: &ValidityOptions) -> bool {
    let counts: Vec<(Element, u32)> = composition
        .iter()
        .map(|(e, n)| (e, n.min(f64::from(u32::MAX)) as u32))
        .collect();
    smact_validity(&counts, options)
}

/// The first oxidation-state tuple (in Cartesian-product order of the ascending state lists)
/// that makes the gcd-reduced composition neutral and passes the Pauling test if asked; the
/// states SMACT's check succeeds with. `None` if there is none or an element has no states.
pub fn first_neutral_oxidation_states(
    composition: &[(Element, u32)],
    set: OxidationStateSet,
    use_pauling_test: bool,
) -> Option<Vec<i8>> {
    let reduced = reduce(merge(composition))?;
    let sites = element_sites(&reduced, set)?;
    let mut found = Vec::with_capacity(sites.len());
    find_neutral_states(&sites, use_pauling_test, &mut found).then_some(found)
}

/// Divides the counts by their gcd; `None` when every count is zero (SMACT divides by zero).
fn reduce(mut merged: Vec<(Element, u64)>) -> Option<Vec<(Element, u64)>> {
    let g = merged.iter().fold(0, |g, &(_, n)| gcd(g, n));
    if g == 0 {
        return None;
    }
    for (_, n) in &mut merged {
        *n /= g;
    }
    Some(merged)
}

/// One site per element; `None` if an element has no states in `set`.
fn element_sites(reduced: &[(Element, u64)], set: OxidationStateSet) -> Option<Vec<Site>> {
    reduced
        .iter()
        .enumerate()
        .map(|(group, &(element, count))| {
            let states = element.oxidation_states(set);
            (!states.is_empty()).then(|| Site {
                states,
                count: count as i64,
                en: element.electronegativity_smact(),
                group,
            })
        })
        .collect()
}

/// SMACT's mixed-valence retry: the projected-size cap, then one site per atom of each
/// mixed-valence element.
fn mixed_valence_valid(
    reduced: &[(Element, u64)],
    sites: &[Site],
    options: &ValidityOptions,
) -> bool {
    // Python's integers do not overflow: a product beyond u64 exceeds any cap.
    let mut projected: u64 = 1;
    for (&(element, count), site) in reduced.iter().zip(sites) {
        let len = site.states.len() as u64;
        let factor = if is_mixed_valence(element) {
            u32::try_from(count).ok().and_then(|c| len.checked_pow(c))
        } else {
            Some(len)
        };
        match factor.and_then(|f| projected.checked_mul(f)) {
            Some(p) => projected = p,
            None => return false,
        }
    }
    if projected > options.max_mixed_valence_combos {
        return false;
    }
    let mut expanded = Vec::new();
    for (&(element, count), site) in reduced.iter().zip(sites) {
        let one = |count| Site {
            states: site.states,
            count,
            en: site.en,
            group: site.group,
        };
        if !is_mixed_valence(element) {
            expanded.push(one(site.count));
        } else if site.states.len() == 1 {
            // n atoms that can only take the same state behave as one site of count n (and
            // the cap does not bound n here: 1^n = 1).
            if count > 0 {
                expanded.push(one(site.count));
            }
        } else {
            // count ≤ 64 here, since len ≥ 2 and len^count fits in a u64.
            expanded.extend((0..count).map(|_| one(1)));
        }
    }
    find_neutral_states(&expanded, options.use_pauling_test, &mut Vec::new())
}

/// Depth-first search, in Cartesian-product order, for one state per site with
/// Σ state·count = 0 and (if `pauling`) max EN of cations < min EN of anions. Writes the
/// states found into `found`.
fn find_neutral_states(sites: &[Site], pauling: bool, found: &mut Vec<i8>) -> bool {
    let n = sites.len();
    if n == 0 {
        return false;
    }
    // SMACT compares every pair: a missing electronegativity fails them all.
    if pauling && n >= 2 && sites.iter().any(|s| s.en.is_none()) {
        return false;
    }
    // Per level: next state index to try, charge so far, max cation EN and min anion EN so
    // far, and the (min, max) total charge the sites from this one on can contribute.
    #[derive(Clone, Copy)]
    struct Level {
        next: usize,
        charge: i64,
        max_cation: f64,
        min_anion: f64,
        reach: (i64, i64),
    }
    let start = Level {
        next: 0,
        charge: 0,
        max_cation: f64::NEG_INFINITY,
        min_anion: f64::INFINITY,
        reach: (0, 0),
    };
    let mut levels = vec![start; n + 1];
    for k in (0..n).rev() {
        let s = &sites[k];
        let lo = i64::from(*s.states.first().unwrap_or(&0)) * s.count;
        let hi = i64::from(*s.states.last().unwrap_or(&0)) * s.count;
        let after = levels[k + 1].reach;
        levels[k].reach = (after.0 + lo.min(hi), after.1 + lo.max(hi));
    }
    let mut k = 0;
    loop {
        let site = &sites[k];
        let Some(&ox) = site.states.get(levels[k].next) else {
            if k == 0 {
                return false;
            }
            k -= 1;
            continue;
        };
        levels[k].next += 1;
        let here = levels[k];
        let total = here.charge + i64::from(ox) * site.count;
        let (lo, hi) = levels[k + 1].reach;
        if -total < lo || -total > hi {
            continue;
        }
        let en = site.en.unwrap_or(f64::NAN);
        let (mut cat, mut an) = (here.max_cation, here.min_anion);
        if pauling {
            if ox > 0 {
                if en >= an {
                    continue;
                }
                cat = cat.max(en);
            } else if ox < 0 {
                if en <= cat {
                    continue;
                }
                an = an.min(en);
            }
        }
        if k + 1 == n {
            found.clear();
            found.extend(sites.iter().zip(&levels).map(|(s, l)| s.states[l.next - 1]));
            return true;
        }
        let next = if sites[k + 1].group == site.group {
            here.next - 1
        } else {
            0
        };
        let level = &mut levels[k + 1];
        (level.next, level.charge, level.max_cation, level.min_anion) = (next, total, cat, an);
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const REFERENCE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/chem/smact_reference.json"
    );

    pub(super) fn reference() -> Value {
        let text =
            std::fs::read_to_string(REFERENCE).unwrap_or_else(|e| panic!("{REFERENCE}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    pub(super) fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    pub(super) fn symbols(v: &Value) -> Vec<Element> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| el(s.as_str().unwrap()))
            .collect()
    }

    pub(super) fn ints<T: TryFrom<i64>>(v: &Value) -> Vec<T> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| T::try_from(x.as_i64().unwrap()).ok().unwrap())
            .collect()
    }

    /// The named settings of `_meta.settings`, as our options.
    fn setting(name: &str, spec: &Value) -> ValidityOptions {
        let mut o = ValidityOptions::default();
        for (key, value) in spec.as_object().unwrap() {
            match key.as_str() {
                "use_pauling_test" => o.use_pauling_test = value.as_bool().unwrap(),
                "include_alloys" => o.include_alloys = value.as_bool().unwrap(),
                "mixed_valence" => o.mixed_valence = value.as_bool().unwrap(),
                "oxidation_states_set" => {
                    o.oxidation_states =
                        OxidationStateSet::from_name(value.as_str().unwrap()).unwrap()
                }
                other => panic!("setting {name}: unknown option {other}"),
            }
        }
        o
    }

    #[test]
    fn smact_lists_match_reference_meta() {
        let r = reference();
        let meta = &r["_meta"];
        let mut mixed: Vec<&str> = MIXED_VALENCE_ELEMENTS.to_vec();
        mixed.sort();
        let mut expected: Vec<&str> = meta["mixed_valence_elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        expected.sort();
        assert_eq!(mixed, expected);
        let metals: Vec<Element> = Element::all().filter(|e| e.data().smact_metal).collect();
        let mut expected = symbols(&meta["smact_metals"]);
        expected.sort();
        assert_eq!(metals, expected);
        assert_eq!(
            meta["max_mixed_valence_combos"].as_u64(),
            Some(DEFAULT_MAX_MIXED_VALENCE_COMBOS)
        );
        // The element data SMACT used agrees with the embedded table.
        for (symbol, d) in meta["element_data_used"].as_object().unwrap() {
            let e = el(symbol);
            assert_eq!(
                e.electronegativity_smact(),
                d["pauling_en_smact"].as_f64(),
                "{symbol}"
            );
            for (key, set) in [
                ("icsd24", OxidationStateSet::Icsd24),
                ("icsd24_consensus3", OxidationStateSet::Icsd24Consensus3),
                ("smact14", OxidationStateSet::Smact14),
            ] {
                assert_eq!(
                    e.oxidation_states(set),
                    ints::<i8>(&d[key]).as_slice(),
                    "{symbol} {key}"
                );
            }
            assert_eq!(
                e.data().smact_metal,
                d["smact_metal"].as_bool().unwrap(),
                "{symbol}"
            );
        }
    }

    #[test]
    fn validity_matches_every_reference_decision() {
        let r = reference();
        let settings = r["_meta"]["settings"].as_object().unwrap();
        assert_eq!(settings.len(), 7);
        let (mut checked, mut mismatches) = (0, Vec::new());
        for c in r["compositions"].as_array().unwrap() {
            let formula = c["formula"].as_str().unwrap();
            let elements = symbols(&c["elements"]);
            let counts: Vec<u32> = ints(&c["counts"]);
            let composition: Vec<(Element, u32)> = elements
                .iter()
                .copied()
                .zip(counts.iter().copied())
                .collect();
            // Our formula reader sees what pymatgen saw.
            let parsed = parse_formula(formula).unwrap();
            let parsed: Vec<(Element, u32)> =
                parsed.into_iter().map(|(e, n)| (e, n as u32)).collect();
            assert_eq!(parsed, composition, "{formula}");
            for (name, spec) in settings {
                let options = setting(name, spec);
                let expected = c["valid"][name].as_bool().unwrap();
                let got = smact_validity(&composition, &options);
                assert_eq!(smact_validity_formula(formula, &options), Ok(got));
                checked += 1;
                if got != expected {
                    mismatches.push(format!(
                        "{formula} [{name}]: expected {expected}, got {got}"
                    ));
                }
            }
        }
        assert!(
            mismatches.is_empty(),
            "{} of {checked} decisions differ:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
        assert_eq!(checked, 79 * 7);
    }

    #[test]
    fn first_passing_states_match_reference() {
        let r = reference();
        let mut checked = 0;
        for c in r["compositions"].as_array().unwrap() {
            let Some(expected) = c.get("default_first_passing_ox_states") else {
                continue;
            };
            let composition: Vec<(Element, u32)> = symbols(&c["elements"])
                .into_iter()
                .zip(ints::<u32>(&c["counts"]))
                .collect();
            let got = first_neutral_oxidation_states(
                &composition,
                OxidationStateSet::Icsd24Consensus3,
                true,
            );
            let expected = (!expected.is_null()).then(|| ints::<i8>(expected));
            assert_eq!(got, expected, "{}", c["formula"]);
            checked += 1;
        }
        assert_eq!(checked, 75);
    }

    #[test]
    fn documented_quirks() {
        let d = ValidityOptions::default();
        let v = |f: &str, o: &ValidityOptions| smact_validity_formula(f, o).unwrap();
        let mixed = ValidityOptions {
            mixed_valence: true,
            ..Default::default()
        };
        assert!(!v("Fe3O4", &d) && v("Fe3O4", &mixed));
        assert!(!v("Pb3O4", &mixed));
        // Fe7S8: 7^7 × 8 = 6,588,344 projected combinations > cap; a larger cap finds Fe2+/Fe3+.
        assert!(!v("Fe7S8", &mixed));
        let big = ValidityOptions {
            max_mixed_valence_combos: 10_000_000,
            ..mixed.clone()
        };
        assert!(v("Fe7S8", &big));
        // Repeated elements are merged like pymatgen does.
        assert_eq!(
            smact_validity(&[(el("Fe"), 1), (el("O"), 2), (el("Fe"), 1)], &d),
            v("Fe2O2", &d)
        );
        // Degenerate inputs do not panic.
        assert!(!smact_validity(&[], &d));
        assert!(!smact_validity(&[(el("Fe"), 0), (el("O"), 0)], &d));
        assert!(smact_validity(&[(el("O"), 0)], &d));
        assert!(v("He", &d) && !v("HeNe", &d));
        // Huge amounts: no allocation in proportion to the count.
        assert!(v("Na4000000000Cl4000000000", &d));
        let huge_mixed = ValidityOptions {
            max_mixed_valence_combos: u64::MAX,
            ..mixed
        };
        assert!(!v("Pb3O4", &huge_mixed));
        assert!(v("Ag4000000000F3000000000Cl1000000000", &huge_mixed));
        assert!(smact_validity_formula("Fe((", &d).is_err());
        // 7^4000000001 overflows any cap: invalid at once, nothing expanded.
        assert!(!smact_validity(
            &[(el("Fe"), 4_000_000_001), (el("O"), 4_000_000_000)],
            &huge_mixed
        ));
        let mut comp = Composition::new();
        comp.add(el("Sr"), 1.0);
        comp.add(el("Ti"), 1.0);
        comp.add(el("O"), 3.0);
        assert!(smact_validity_composition(&comp, &d));
        let mut nacl2 = Composition::new();
        nacl2.add(el("Na"), 1.0);
        nacl2.add(el("Cl"), 2.0);
        assert!(!smact_validity_composition(&nacl2, &d));
    }
}
