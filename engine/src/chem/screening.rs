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

use super::element::{Element, OxidationStateSet};
use super::formula::{FormulaError, parse_formula};
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

/// Options of [`smact_filter`]; `Default` is SMACT's default call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterOptions {
    /// Largest stoichiometric coefficient per element (SMACT's `threshold`, default 8).
    pub threshold: u32,
    /// Default [`OxidationStateSet::Icsd24`] (SMACT's `oxidation_states_set="icsd24"`).
    pub oxidation_states: OxidationStateSet,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            threshold: 8,
            oxidation_states: OxidationStateSet::Icsd24,
        }
    }
}

/// An element with no oxidation states in the chosen set (SMACT raises `ValueError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no oxidation states for {element} in oxidation-state set '{set}'")]
pub struct NoOxidationStates {
    pub element: Element,
    pub set: OxidationStateSet,
}

/// The results of [`smact_filter`], stored flat: result `i` is the oxidation states and the
/// stoichiometry of the elements passed in, in SMACT's output order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NeutralCompositions {
    width: usize,
    states: Vec<i8>,
    stoichiometries: Vec<u32>,
}

impl NeutralCompositions {
    pub fn len(&self) -> usize {
        self.stoichiometries
            .len()
            .checked_div(self.width)
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.stoichiometries.is_empty()
    }

    /// (oxidation states, stoichiometry) of result `i`.
    pub fn get(&self, i: usize) -> Option<(&[i8], &[u32])> {
        let range = i.checked_mul(self.width)?..(i + 1).checked_mul(self.width)?;
        Some((
            self.states.get(range.clone())?,
            self.stoichiometries.get(range)?,
        ))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[i8], &[u32])> {
        let w = self.width.max(1);
        self.states
            .chunks_exact(w)
            .zip(self.stoichiometries.chunks_exact(w))
    }
}

/// SMACT's `smact_filter(elements, threshold, oxidation_states_set=…)` with
/// `species_unique=True`: every (oxidation states, stoichiometry) with coefficients in
/// 1..=threshold, gcd 1, zero total charge and a passing Pauling test, in SMACT's order
/// (state tuples in product order, stoichiometries lexicographic within each).
pub fn smact_filter(
    elements: &[Element],
    options: &FilterOptions,
) -> Result<NeutralCompositions, NoOxidationStates> {
    let mut out = NeutralCompositions {
        width: elements.len(),
        ..Default::default()
    };
    for_each_neutral_composition(elements, options, |states, stoichiometry| {
        out.states.extend_from_slice(states);
        out.stoichiometries.extend_from_slice(stoichiometry);
    })?;
    Ok(out)
}

/// `smact_filter(…, species_unique=False)`: the distinct stoichiometries, first occurrence
/// first.
pub fn smact_filter_stoichiometries(
    elements: &[Element],
    options: &FilterOptions,
) -> Result<Vec<Vec<u32>>, NoOxidationStates> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for_each_neutral_composition(elements, options, |_, stoichiometry| {
        if !seen.contains(stoichiometry) {
            seen.insert(stoichiometry.to_vec());
            out.push(stoichiometry.to_vec());
        }
    })?;
    Ok(out)
}

/// The enumeration behind [`smact_filter`], calling `visit(states, stoichiometry)` for each
/// result in order without allocating per result.
pub fn for_each_neutral_composition(
    elements: &[Element],
    options: &FilterOptions,
    mut visit: impl FnMut(&[i8], &[u32]),
) -> Result<(), NoOxidationStates> {
    let set = options.oxidation_states;
    let lists: Vec<&[i8]> = elements
        .iter()
        .map(|&element| {
            let states = element.oxidation_states(set);
            if states.is_empty() {
                Err(NoOxidationStates { element, set })
            } else {
                Ok(states)
            }
        })
        .collect::<Result<_, _>>()?;
    let n = elements.len();
    let ens: Vec<Option<f64>> = elements
        .iter()
        .map(|e| e.electronegativity_smact())
        .collect();
    if n == 0 || options.threshold == 0 || (n >= 2 && ens.iter().any(Option::is_none)) {
        return Ok(());
    }
    let ens: Vec<f64> = ens.into_iter().map(|e| e.unwrap_or(f64::NAN)).collect();
    let mut search = RatioSearch::new(n, options.threshold);
    let mut index = vec![0usize; n];
    let mut states = vec![0i8; n];
    loop {
        for (k, s) in states.iter_mut().enumerate() {
            *s = lists[k][index[k]];
        }
        if pauling_passes(&states, &ens) {
            search.run(&states, &mut visit);
        }
        // Odometer over state tuples, last element fastest (itertools.product order).
        let mut k = n;
        loop {
            if k == 0 {
                return Ok(());
            }
            k -= 1;
            index[k] += 1;
            if index[k] < lists[k].len() {
                break;
            }
            index[k] = 0;
        }
    }
}

/// Every cation less electronegative than every anion (SMACT's `eneg_states_test`).
fn pauling_passes(states: &[i8], ens: &[f64]) -> bool {
    let mut max_cation = f64::NEG_INFINITY;
    let mut min_anion = f64::INFINITY;
    for (&ox, &en) in states.iter().zip(ens) {
        if ox > 0 {
            max_cation = max_cation.max(en);
        } else if ox < 0 {
            min_anion = min_anion.min(en);
        }
    }
    max_cation < min_anion
}

/// Lexicographic enumeration of stoichiometries r ∈ [1, T]ⁿ with Σ ox·r = 0 and gcd(r) = 1;
/// scratch buffers are reused across state tuples. At each position only the coefficients
/// that leave the remaining charge reachable are visited, so the last one is solved for.
struct RatioSearch {
    threshold: i64,
    ratio: Vec<u32>,
    /// Largest coefficient worth trying at each position.
    max: Vec<u32>,
    charge: Vec<i64>,
    suffix: Vec<(i64, i64)>,
}

fn floor_div(x: i64, d: i64) -> i64 {
    let q = x / d;
    if x % d != 0 && ((x < 0) != (d < 0)) {
        q - 1
    } else {
        q
    }
}

fn ceil_div(x: i64, d: i64) -> i64 {
    -floor_div(-x, d)
}

impl RatioSearch {
    fn new(n: usize, threshold: u32) -> Self {
        RatioSearch {
            threshold: i64::from(threshold),
            ratio: vec![0; n],
            max: vec![0; n],
            charge: vec![0; n + 1],
            suffix: vec![(0, 0); n + 1],
        }
    }

    /// Sets up position `k`: the coefficients r with charge[k] + ox·r + (rest) = 0 possible.
    fn enter(&mut self, k: usize, ox: i64) {
        let (lo, hi) = self.suffix[k + 1];
        let (a, b) = (-hi - self.charge[k], -lo - self.charge[k]);
        let (min, max) = match ox.signum() {
            1 => (ceil_div(a, ox), floor_div(b, ox)),
            -1 => (ceil_div(b, ox), floor_div(a, ox)),
            _ if a <= 0 && 0 <= b => (1, self.threshold),
            _ => (1, 0),
        };
        let (min, max) = (min.max(1), max.min(self.threshold));
        if min > max {
            self.ratio[k] = 0;
            self.max[k] = 0;
        } else {
            self.ratio[k] = (min - 1) as u32;
            self.max[k] = max as u32;
        }
    }

    fn run(&mut self, states: &[i8], visit: &mut impl FnMut(&[i8], &[u32])) {
        let n = states.len();
        let t = self.threshold;
        for k in (0..n).rev() {
            let ox = i64::from(states[k]);
            let (a, b) = (ox, ox * t);
            self.suffix[k] = (
                self.suffix[k + 1].0 + a.min(b),
                self.suffix[k + 1].1 + a.max(b),
            );
        }
        if self.suffix[0].0 > 0 || self.suffix[0].1 < 0 {
            return;
        }
        let last = n - 1;
        if last == 0 {
            self.solve_last(0, states, visit);
            return;
        }
        // Positions 0..last are walked; the last coefficient is solved for.
        let mut k = 0;
        self.enter(0, i64::from(states[0]));
        loop {
            let r = self.ratio[k] + 1;
            if r > self.max[k] {
                if k == 0 {
                    return;
                }
                k -= 1;
                continue;
            }
            self.ratio[k] = r;
            self.charge[k + 1] = self.charge[k] + i64::from(states[k]) * i64::from(r);
            if k + 1 == last {
                self.solve_last(last, states, visit);
            } else {
                k += 1;
                self.enter(k, i64::from(states[k]));
            }
        }
    }

    /// The coefficients of the last position that close the charge, each emitted if the
    /// whole stoichiometry has gcd 1.
    fn solve_last(&mut self, last: usize, states: &[i8], visit: &mut impl FnMut(&[i8], &[u32])) {
        let need = -self.charge[last];
        let ox = i64::from(states[last]);
        let (from, to) = if ox == 0 {
            if need != 0 {
                return;
            }
            (1, self.threshold)
        } else {
            // 32-bit division is several times faster than 64-bit on many CPUs.
            let r = match (i32::try_from(need), i32::try_from(ox)) {
                (Ok(need), Ok(ox)) if need % ox == 0 => i64::from(need / ox),
                (Ok(_), Ok(_)) => return,
                _ if need % ox == 0 => need / ox,
                _ => return,
            };
            (r, r)
        };
        for r in from.max(1)..=to.min(self.threshold) {
            self.ratio[last] = r as u32;
            let mut g = 0;
            for &x in &self.ratio {
                g = gcd(g, u64::from(x));
                if g == 1 {
                    break;
                }
            }
            if g == 1 {
                visit(states, &self.ratio);
            }
        }
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

    fn reference() -> Value {
        let text =
            std::fs::read_to_string(REFERENCE).unwrap_or_else(|e| panic!("{REFERENCE}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    fn symbols(v: &Value) -> Vec<Element> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| el(s.as_str().unwrap()))
            .collect()
    }

    fn ints<T: TryFrom<i64>>(v: &Value) -> Vec<T> {
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
    fn filter_matches_every_reference_run_in_order() {
        let r = reference();
        let runs = r["smact_filter"].as_array().unwrap();
        assert_eq!(runs.len(), 5);
        for run in runs {
            let elements = symbols(&run["elements"]);
            let call = run["call"].as_str().unwrap();
            let options = if call.contains("threshold=4") {
                assert!(call.contains("'smact14'"));
                FilterOptions {
                    threshold: 4,
                    oxidation_states: OxidationStateSet::Smact14,
                }
            } else {
                FilterOptions::default()
            };
            let got = smact_filter(&elements, &options).unwrap();
            let expected = run["results"].as_array().unwrap();
            assert_eq!(run["n_results"].as_u64(), Some(expected.len() as u64));
            let got_rows: Vec<(Vec<i8>, Vec<u32>)> =
                got.iter().map(|(s, r)| (s.to_vec(), r.to_vec())).collect();
            let expected_rows: Vec<(Vec<i8>, Vec<u32>)> = expected
                .iter()
                .map(|row| {
                    assert_eq!(symbols(&row[0]), elements);
                    (ints(&row[1]), ints(&row[2]))
                })
                .collect();
            if let Some(i) = (0..got_rows.len().max(expected_rows.len()))
                .find(|&i| got_rows.get(i) != expected_rows.get(i))
            {
                panic!(
                    "{call} {:?}: first difference at result {i}: got {:?}, expected {:?} ({} vs {} results)",
                    run["elements"],
                    got_rows.get(i),
                    expected_rows.get(i),
                    got_rows.len(),
                    expected_rows.len()
                );
            }
            assert_eq!(got.len(), expected.len());
            if let Some(unique) = run.get("species_unique_false") {
                let got = smact_filter_stoichiometries(&elements, &options).unwrap();
                let expected: Vec<Vec<u32>> = unique["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| ints(&row[1]))
                    .collect();
                assert_eq!(unique["n_results"].as_u64(), Some(expected.len() as u64));
                assert_eq!(got, expected, "{call} species_unique=False");
            }
        }
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

    #[test]
    fn filter_edge_cases() {
        let opts = FilterOptions::default();
        let err = smact_filter(&[el("He"), el("F")], &opts).unwrap_err();
        assert_eq!(err.element, el("He"));
        assert!(smact_filter(&[], &opts).unwrap().is_empty());
        let none = FilterOptions {
            threshold: 0,
            ..opts.clone()
        };
        assert!(
            smact_filter(&[el("Na"), el("Cl")], &none)
                .unwrap()
                .is_empty()
        );
        // Pm has no SMACT electronegativity: every Pauling test fails.
        let consensus = FilterOptions {
            oxidation_states: OxidationStateSet::Icsd24Consensus3,
            ..opts.clone()
        };
        assert!(
            !el("Pm")
                .oxidation_states(OxidationStateSet::Icsd24Consensus3)
                .is_empty()
        );
        assert!(
            smact_filter(&[el("Pm"), el("Cl")], &consensus)
                .unwrap()
                .is_empty()
        );
        let nacl = smact_filter(
            &[el("Na"), el("Cl")],
            &FilterOptions {
                threshold: 3,
                ..opts
            },
        )
        .unwrap();
        let rows: Vec<_> = nacl.iter().map(|(s, r)| (s.to_vec(), r.to_vec())).collect();
        assert_eq!(rows, [(vec![1, -1], vec![1, 1])]);
        assert_eq!(nacl.get(0), Some((&[1i8, -1][..], &[1u32, 1][..])));
        assert_eq!(nacl.get(1), None);
        // A state of 0 (wiki set) lets any coefficient through for that element.
        let wiki = FilterOptions {
            threshold: 2,
            oxidation_states: OxidationStateSet::Wiki,
        };
        let fe = smact_filter(&[el("Fe")], &wiki).unwrap();
        let rows: Vec<_> = fe.iter().map(|(s, r)| (s.to_vec(), r.to_vec())).collect();
        assert_eq!(rows, [(vec![0], vec![1])]);
    }

    /// Brute force over the full product, SMACT's way, for random pools: same output, same order.
    #[test]
    fn filter_equals_brute_force() {
        let pools = [
            ["Li", "Fe", "O"],
            ["Cu", "In", "Se"],
            ["Na", "Sb", "S"],
            ["Mo", "N", "Cl"],
        ];
        for pool in pools {
            let elements: Vec<Element> = pool.iter().map(|s| el(s)).collect();
            for set in [
                OxidationStateSet::Icsd24,
                OxidationStateSet::Wiki,
                OxidationStateSet::Smact14,
            ] {
                let opts = FilterOptions {
                    threshold: 6,
                    oxidation_states: set,
                };
                let fast: Vec<(Vec<i8>, Vec<u32>)> = smact_filter(&elements, &opts)
                    .unwrap()
                    .iter()
                    .map(|(s, r)| (s.to_vec(), r.to_vec()))
                    .collect();
                let lists: Vec<&[i8]> = elements.iter().map(|e| e.oxidation_states(set)).collect();
                let ens: Vec<f64> = elements
                    .iter()
                    .map(|e| e.electronegativity_smact().unwrap())
                    .collect();
                let mut slow = Vec::new();
                for &a in lists[0] {
                    for &b in lists[1] {
                        for &c in lists[2] {
                            let ox = [a, b, c];
                            let mut ratios = Vec::new();
                            for x in 1..=6u32 {
                                for y in 1..=6u32 {
                                    for z in 1..=6u32 {
                                        let q = i64::from(a) * i64::from(x)
                                            + i64::from(b) * i64::from(y)
                                            + i64::from(c) * i64::from(z);
                                        if q == 0
                                            && gcd(gcd(u64::from(x), u64::from(y)), u64::from(z))
                                                == 1
                                        {
                                            ratios.push(vec![x, y, z]);
                                        }
                                    }
                                }
                            }
                            let pauling = (0..3).all(|i| {
                                (i + 1..3).all(|j| {
                                    !((ox[i] > 0 && ox[j] < 0 && ens[i] >= ens[j])
                                        || (ox[i] < 0 && ox[j] > 0 && ens[i] <= ens[j]))
                                })
                            });
                            if !ratios.is_empty() && pauling {
                                slow.extend(ratios.into_iter().map(|r| (ox.to_vec(), r)));
                            }
                        }
                    }
                }
                assert_eq!(fast, slow, "{pool:?} {set}");
            }
        }
    }
}

/// Timing of the ternary sweep: `cargo test --release -p screen-engine ternary_sweep --
/// --ignored --nocapture`. The 27 elements are our choice of 19 common cations and 8 anions.
#[cfg(test)]
mod timing {
    use super::*;
    use std::time::Instant;

    const CATIONS: [&str; 19] = [
        "Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba", "Al", "Ga", "In", "Ti", "Zr", "Zn",
        "Cd", "Sn", "Pb", "Bi",
    ];
    const ANIONS: [&str; 8] = ["O", "S", "Se", "Te", "F", "Cl", "Br", "I"];

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    #[test]
    #[ignore = "timing; run in release mode"]
    fn ternary_sweep() {
        let pool: Vec<Element> = CATIONS.iter().chain(&ANIONS).map(|s| el(s)).collect();
        let opts = FilterOptions::default();
        let all: Vec<[Element; 3]> = (0..27)
            .flat_map(|i| (i + 1..27).flat_map(move |j| (j + 1..27).map(move |k| (i, j, k))))
            .map(|(i, j, k)| [pool[i], pool[j], pool[k]])
            .collect();
        let cation_pairs: Vec<[Element; 3]> = all
            .iter()
            .filter(|t| {
                t[..2].iter().all(|e| CATIONS.contains(&e.symbol()))
                    && ANIONS.contains(&t[2].symbol())
            })
            .copied()
            .collect();
        for (name, systems) in [
            ("all 2925 ternaries", &all),
            ("1368 cation-cation-anion", &cation_pairs),
        ] {
            let mut best = (f64::INFINITY, f64::INFINITY);
            let (mut counted, mut collected) = (0usize, 0usize);
            for _ in 0..5 {
                let start = Instant::now();
                counted = 0;
                for t in systems.iter() {
                    for_each_neutral_composition(t, &opts, |_, _| counted += 1).unwrap();
                }
                let visit = start.elapsed().as_secs_f64();
                let start = Instant::now();
                collected = systems
                    .iter()
                    .map(|t| smact_filter(t, &opts).unwrap().len())
                    .sum();
                let collect = start.elapsed().as_secs_f64();
                best = (best.0.min(visit), best.1.min(collect));
            }
            assert_eq!(counted, collected);
            assert!(counted > 0);
            println!(
                "{name}: {counted} compositions; visitor {:.2} ms, collected {:.2} ms (best of 5, 1 thread)",
                best.0 * 1e3,
                best.1 * 1e3
            );
        }
        // smact_validity throughput on all binary and ternary formulas of the pool, counts ≤ 4.
        let mut formulas = Vec::new();
        for t in &all {
            for a in 1..=4u32 {
                for b in 1..=4u32 {
                    for c in 1..=4u32 {
                        formulas.push([(t[0], a), (t[1], b), (t[2], c)]);
                    }
                }
            }
        }
        let start = Instant::now();
        let valid = formulas
            .iter()
            .filter(|f| smact_validity(&f[..], &ValidityOptions::default()))
            .count();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "smact_validity: {} formulas ({valid} valid) in {:.2} ms = {:.0} ns/formula",
            formulas.len(),
            secs * 1e3,
            secs * 1e9 / formulas.len() as f64
        );
    }
}
