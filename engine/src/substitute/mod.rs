//! Element substitution into a [`Prototype`]: enumerate candidate crystals lazily, in a
//! deterministic order, with random access by index.
//!
//! - [`Substitution::new`] / [`Substitution::parse`] — **explicit**: every orbit gets a list
//!   of [`Choice`]s (an element or ion on all its sites, or a per-site decoration such as
//!   `X = O,O,N`); the candidates are the Cartesian product, first orbit slowest. Orbits not
//!   listed keep the prototype's element.
//! - [`Substitution::hautier`] — **probabilistic**: the Hautier et al. (2011) substitution
//!   model ([`crate::chem::substitution::SubstitutionPredictor`]) proposes ions for the
//!   prototype's ions (threshold, α, charge balance); candidates come most probable first and
//!   carry the field `substitution_probability`.
//!
//! Access: [`Substitution::len`] (u64), [`Substitution::candidate`]`(index)` (build one),
//! [`Substitution::iter`] / [`Substitution::range`], and [`Substitution::assignment`]`(index)`,
//! an allocation-free view of what goes where, whose [`Assignment::composition_into`] lets
//! composition-only filters (SMACT validity) run before any crystal is built. Index ranges
//! can be split across threads and shards; the result for an index never depends on the split.
//!
//! Each candidate: id `prototype:part-part-…` (`perovskite:Sr-Ti-O3`, `perovskite:Sr-Ta-O2N`),
//! [`Origin::Substitution`] with one [`OrbitAssignment`] per orbit (per site, labelled
//! `X[0]`, `X[1]`, … for a decorated orbit), a lattice sized by the [`VolumeRule`], and, when
//! every orbit is uniform, the prototype's space group and operations in `crystal.symmetry`
//! and its Wyckoff sequence in `crystal.properties["wyckoff_sequence"]` — recorded, not
//! searched. (Two orbits given the same element can make the true group a supergroup of the
//! recorded one.) Oxidation states are written into the crystal only where a choice fixes one.
//!
//! ```
//! use screen_engine::prototype::Prototype;
//! use screen_engine::substitute::Substitution;
//! let perovskite = Prototype::builtin("perovskite").unwrap();
//! let sub = Substitution::parse(perovskite, [
//!     ("A", vec!["Sr", "Ba"]),
//!     ("B", vec!["Ti", "Zr"]),
//!     ("X", vec!["O", "O2N"]),
//! ]).unwrap();
//! assert_eq!(sub.len(), 8);
//! let c = sub.candidate(0).unwrap();
//! assert_eq!(c.id, "perovskite:Sr-Ti-O3");
//! assert_eq!(c.crystal.symmetry.as_ref().unwrap().number, Some(221));
//! // a = max(2 (r_Ti + r_O), √2 (r_Sr + r_O)) = √2 (1.44 + 1.40) Å (experiment: 3.905 Å)
//! let a = c.crystal.lattice.parameters().a;
//! assert!((a - 2f64.sqrt() * 2.84).abs() < 1e-9);
//! // Composition before building: Ba Zr O2 N.
//! let mut comp = Vec::new();
//! sub.assignment(7).unwrap().composition_into(&mut comp);
//! assert_eq!(comp.iter().map(|(e, n)| format!("{e}{n}")).collect::<String>(), "Ba1Zr1O2N1");
//! assert_eq!(sub.candidate(7).unwrap().id, "perovskite:Ba-Zr-O2N");
//! ```

mod choice;
mod hautier;
mod volume;

pub use choice::{Choice, ChoiceError, SpeciesChoice};
pub use hautier::HautierOptions;
pub use volume::VolumeRule;

use crate::candidate::{Candidate, OrbitAssignment, Origin, Rejection, Value};
use crate::chem::radius::{has_radius, ionic_radius, likely_oxidation_states};
use crate::chem::{Element, Ion, OxidationStateSet};
use crate::crystal::{Crystal, Occupancy, Site};
use crate::prototype::Prototype;
use volume::{SiteSize, SizedContact};

/// Rejection reason of a candidate whose cell could not be built.
pub const INVALID_STRUCTURE: &str = "invalid structure";
/// Rejection reason of an index past the end.
pub const INDEX_OUT_OF_RANGE: &str = "index out of range";

/// Why a substitution could not be set up.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SubstitutionError {
    #[error("prototype '{prototype}' has no orbit '{label}'; its orbits are {available}")]
    UnknownOrbit { prototype: String, label: String, available: String },
    #[error("orbit '{0}' is given twice")]
    DuplicateOrbit(String),
    #[error("orbit '{0}' has an empty list of choices")]
    NoChoices(String),
    #[error("orbit '{orbit}': {source}")]
    Choice { orbit: String, source: ChoiceError },
    #[error("orbit '{orbit}': {message}")]
    Decoration { orbit: String, message: String },
    #[error("more than 2^64 candidates")]
    TooMany,
    #[error("Hautier substitution: {0}")]
    Hautier(String),
}

/// How candidate indices map to choices.
#[derive(Clone, Debug)]
enum Enumeration {
    /// Cartesian product; `strides[k]` = product of the sizes of orbits after k.
    Product { strides: Vec<u64>, len: u64 },
    /// Explicit rows of choice indices (width = number of orbits), with probabilities.
    List { rows: Vec<u32>, probabilities: Vec<f64> },
}

/// A lazily enumerated set of substituted candidates (see the module docs).
#[derive(Clone, Debug)]
pub struct Substitution {
    prototype: Prototype,
    /// Per prototype orbit, the choices (a single prototype element when not listed).
    choices: Vec<Vec<Choice>>,
    /// Whether the orbit was listed by the user (unlisted orbits keep the prototype element).
    enumeration: Enumeration,
    volume_rule: VolumeRule,
    oxidation_states: OxidationStateSet,
    /// Position of every site within its orbit.
    site_rank: Vec<usize>,
    contacts: Vec<SizedContact>,
    reference: Vec<SiteSize>,
    /// Prototype orbit charges (for choosing a state when no neutral assignment exists).
    orbit_charges: Vec<Option<i8>>,
    wyckoff_sequence: String,
}

impl Substitution {
    /// Explicit substitution: `(orbit label, choices)` pairs; unlisted orbits keep the
    /// prototype's element.
    pub fn new(
        prototype: Prototype,
        orbits: impl IntoIterator<Item = (String, Vec<Choice>)>,
    ) -> Result<Substitution, SubstitutionError> {
        let mut choices: Vec<Option<Vec<Choice>>> = vec![None; prototype.orbits.len()];
        for (label, list) in orbits {
            let k = orbit_index(&prototype, &label)?;
            if choices[k].is_some() {
                return Err(SubstitutionError::DuplicateOrbit(label));
            }
            if list.is_empty() {
                return Err(SubstitutionError::NoChoices(label));
            }
            let size = prototype.orbits[k].sites.len();
            for c in &list {
                if let Choice::Sites(v) = c
                    && v.len() != size
                {
                    return Err(SubstitutionError::Decoration {
                        orbit: label.clone(),
                        message: format!("{} species given for an orbit of {size} sites", v.len()),
                    });
                }
            }
            choices[k] = Some(list);
        }
        let choices: Vec<Vec<Choice>> = choices
            .into_iter()
            .zip(&prototype.orbits)
            .map(|(c, o)| c.unwrap_or_else(|| vec![Choice::Uniform(SpeciesChoice::new(o.species.element))]))
            .collect();
        let mut strides = vec![1u64; choices.len()];
        let mut len: u64 = 1;
        for k in (0..choices.len()).rev() {
            strides[k] = len;
            len = len.checked_mul(choices[k].len() as u64).ok_or(SubstitutionError::TooMany)?;
        }
        Ok(Substitution::assemble(prototype, choices, Enumeration::Product { strides, len }))
    }

    /// [`Substitution::new`] from text: each orbit label with a list of choices as
    /// [`Choice::parse`] reads them (`"Sr"`, `"Fe3+"`, `"O,O,N"`, `"O2N"`).
    pub fn parse<L, C, S>(prototype: Prototype, orbits: L) -> Result<Substitution, SubstitutionError>
    where
        L: IntoIterator<Item = (S, C)>,
        C: IntoIterator,
        C::Item: AsRef<str>,
        S: AsRef<str>,
    {
        let mut parsed = Vec::new();
        for (label, list) in orbits {
            let label = label.as_ref().to_string();
            let k = orbit_index(&prototype, &label)?;
            let size = prototype.orbits[k].sites.len();
            let list = list
                .into_iter()
                .map(|t| Choice::parse(t.as_ref(), size))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| SubstitutionError::Choice { orbit: label.clone(), source })?;
            parsed.push((label, list));
        }
        Substitution::new(prototype, parsed)
    }

    fn assemble(prototype: Prototype, choices: Vec<Vec<Choice>>, enumeration: Enumeration) -> Substitution {
        let n = prototype.crystal.sites.len();
        let mut site_rank = vec![0usize; n];
        for o in &prototype.orbits {
            for (r, &s) in o.sites.iter().enumerate() {
                site_rank[s] = r;
            }
        }
        let mut lengths: Vec<f64> = Vec::new();
        let contacts = prototype
            .contacts()
            .iter()
            .map(|c| {
                let rounded = (c.distance * 1e3).round() / 1e3;
                let class = match lengths.iter().position(|&l| l == rounded) {
                    Some(p) => p,
                    None => {
                        lengths.push(rounded);
                        lengths.len() - 1
                    }
                };
                SizedContact { i: c.i, j: c.j, distance: c.distance, class }
            })
            .collect();
        let orbit_charges = prototype.orbit_charges();
        let reference = (0..n)
            .map(|s| {
                let k = prototype.site_orbits()[s];
                let o = &prototype.orbits[k];
                site_size(o.species.element, orbit_charges[k], o.coordination)
            })
            .collect();
        let wyckoff_sequence = prototype.wyckoff_sequence();
        Substitution {
            prototype,
            choices,
            enumeration,
            volume_rule: VolumeRule::default(),
            oxidation_states: OxidationStateSet::Icsd24Consensus3,
            site_rank,
            contacts,
            reference,
            orbit_charges,
            wyckoff_sequence,
        }
    }

    /// Sets the rule that sizes the lattice (default [`VolumeRule::Contact`]).
    pub fn with_volume_rule(mut self, rule: VolumeRule) -> Self {
        self.volume_rule = rule;
        self
    }

    /// Sets the oxidation-state set used to infer states for sizing when a choice fixes none
    /// (default SMACT's ICSD-2024 consensus set, `smact_validity`'s default).
    pub fn with_oxidation_states(mut self, set: OxidationStateSet) -> Self {
        self.oxidation_states = set;
        self
    }

    pub fn volume_rule(&self) -> VolumeRule {
        self.volume_rule
    }

    pub fn prototype(&self) -> &Prototype {
        &self.prototype
    }

    /// The choices of every orbit, in the prototype's orbit order.
    pub fn choices(&self) -> &[Vec<Choice>] {
        &self.choices
    }

    /// Number of candidates.
    pub fn len(&self) -> u64 {
        match &self.enumeration {
            Enumeration::Product { len, .. } => *len,
            Enumeration::List { probabilities, .. } => probabilities.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What goes where in candidate `index` (no allocation); `None` past the end.
    pub fn assignment(&self, index: u64) -> Option<Assignment<'_>> {
        (index < self.len()).then_some(Assignment { substitution: self, index })
    }

    /// Builds candidate `index`.
    pub fn candidate(&self, index: u64) -> Result<Candidate, Rejection> {
        match self.assignment(index) {
            Some(a) => a.candidate(),
            None => Err(Rejection::new(INDEX_OUT_OF_RANGE).with_detail(format!("{index} ≥ {}", self.len()))),
        }
    }

    /// All candidates in index order.
    pub fn iter(&self) -> impl Iterator<Item = Result<Candidate, Rejection>> + '_ {
        self.range(0..self.len())
    }

    /// Candidates of an index range (clamped to the end), in order.
    pub fn range(&self, range: std::ops::Range<u64>) -> impl Iterator<Item = Result<Candidate, Rejection>> + '_ {
        let end = range.end.min(self.len());
        (range.start..end).map(move |i| self.candidate(i))
    }

    fn choice_index(&self, index: u64, orbit: usize) -> usize {
        match &self.enumeration {
            Enumeration::Product { strides, .. } => {
                ((index / strides[orbit]) % self.choices[orbit].len() as u64) as usize
            }
            Enumeration::List { rows, .. } => rows[index as usize * self.choices.len() + orbit] as usize,
        }
    }
}

fn orbit_index(prototype: &Prototype, label: &str) -> Result<usize, SubstitutionError> {
    prototype.orbit_index(label).ok_or_else(|| SubstitutionError::UnknownOrbit {
        prototype: prototype.name.clone(),
        label: label.to_string(),
        available: prototype.orbits.iter().map(|o| o.label.as_str()).collect::<Vec<_>>().join(", "),
    })
}

/// Radii of `element` with `charge` at `coordination`.
fn site_size(element: Element, charge: Option<i8>, coordination: u8) -> SiteSize {
    let data = element.data();
    let metallic = data.metallic_radius.or(data.atomic_radius).unwrap_or(f64::NAN);
    match charge {
        Some(q) if q != 0 => SiteSize {
            charge: q,
            ionic: ionic_radius(Ion::new(element, q), coordination).map_or(f64::NAN, |r| r.radius),
            metallic,
        },
        _ => SiteSize { charge: 0, ionic: f64::NAN, metallic },
    }
}

/// One candidate of a [`Substitution`], before anything is built.
#[derive(Clone, Copy, Debug)]
pub struct Assignment<'a> {
    substitution: &'a Substitution,
    index: u64,
}

impl<'a> Assignment<'a> {
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The choice of orbit `k` (prototype orbit order).
    pub fn choice(&self, orbit: usize) -> &'a Choice {
        let s = self.substitution;
        &s.choices[orbit][s.choice_index(self.index, orbit)]
    }

    /// The species on prototype site `site`.
    pub fn site_species(&self, site: usize) -> SpeciesChoice {
        let s = self.substitution;
        self.choice(s.prototype.site_orbits()[site]).species_at(s.site_rank[site])
    }

    /// True when every orbit holds one species (the candidate keeps the prototype's symmetry).
    pub fn is_uniform(&self) -> bool {
        (0..self.substitution.choices.len()).all(|k| self.choice(k).is_uniform())
    }

    /// Hautier probability of this candidate, for probabilistic substitutions.
    pub fn probability(&self) -> Option<f64> {
        match &self.substitution.enumeration {
            Enumeration::List { probabilities, .. } => probabilities.get(self.index as usize).copied(),
            Enumeration::Product { .. } => None,
        }
    }

    /// The cell composition as (element, count) in order of first appearance over orbits,
    /// written into `out` (cleared first) so a loop can reuse one buffer.
    pub fn composition_into(&self, out: &mut Vec<(Element, u32)>) {
        out.clear();
        let s = self.substitution;
        let mut add = |e: Element, n: u32| match out.iter_mut().find(|(x, _)| *x == e) {
            Some((_, c)) => *c += n,
            None => out.push((e, n)),
        };
        for (k, orbit) in s.prototype.orbits.iter().enumerate() {
            match self.choice(k) {
                Choice::Uniform(sp) => add(sp.element, orbit.sites.len() as u32),
                Choice::Sites(v) => v.iter().for_each(|sp| add(sp.element, 1)),
            }
        }
    }

    /// The candidate id, `prototype:part-part-…`.
    pub fn id(&self) -> String {
        let s = self.substitution;
        let mut id = String::with_capacity(s.prototype.name.len() + 4 * s.choices.len() + 4);
        id.push_str(&s.prototype.name);
        id.push(':');
        for (k, orbit) in s.prototype.orbits.iter().enumerate() {
            if k > 0 {
                id.push('-');
            }
            self.choice(k).write_id(orbit.sites.len(), &mut id);
        }
        id
    }

    /// Oxidation state of every site for sizing: fixed ones as given; the others from
    /// [`crate::chem::radius::likely_oxidation_states`] of the composition, else per orbit
    /// the element's state closest to the prototype's charge on that orbit.
    fn site_charges(&self, out: &mut Vec<Option<i8>>) {
        let s = self.substitution;
        let n = s.prototype.crystal.sites.len();
        out.clear();
        out.extend((0..n).map(|i| self.site_species(i).oxidation));
        if out.iter().all(Option::is_some) {
            return;
        }
        let mut comp = Vec::with_capacity(8);
        self.composition_into(&mut comp);
        let states = likely_oxidation_states(&comp, s.oxidation_states);
        for (i, slot) in out.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let element = self.site_species(i).element;
            *slot = match &states {
                Some(states) => comp.iter().position(|(e, _)| *e == element).and_then(|p| states.get(p).copied()),
                None => {
                    let target = s.orbit_charges[s.prototype.site_orbits()[i]];
                    target.and_then(|t| {
                        element
                            .oxidation_states(s.oxidation_states)
                            .iter()
                            .copied()
                            .filter(|&q| q != 0 && has_radius(Ion::new(element, q)))
                            .min_by_key(|&q| ((i16::from(q) - i16::from(t)).abs(), -i16::from(q)))
                    })
                }
            };
        }
    }

    /// Builds the candidate crystal (see the module docs for what it carries).
    pub fn candidate(&self) -> Result<Candidate, Rejection> {
        let s = self.substitution;
        let proto = &s.prototype;
        let n = proto.crystal.sites.len();
        // Sizing.
        let lattice = if s.volume_rule == VolumeRule::Keep {
            proto.crystal.lattice.clone()
        } else {
            let mut charges = Vec::with_capacity(n);
            self.site_charges(&mut charges);
            let mut cache: Vec<(Element, Option<i8>, u8, SiteSize)> = Vec::with_capacity(4);
            let sizes: Vec<SiteSize> = (0..n)
                .map(|i| {
                    let element = self.site_species(i).element;
                    let cn = proto.orbits[proto.site_orbits()[i]].coordination;
                    let key = (element, charges[i], cn);
                    if let Some(c) = cache.iter().find(|c| (c.0, c.1, c.2) == key) {
                        return c.3;
                    }
                    let size = site_size(element, charges[i], cn);
                    cache.push((key.0, key.1, key.2, size));
                    size
                })
                .collect();
            match volume::scale_factor(s.volume_rule, &s.contacts, proto.site_orbits(), &sizes, &s.reference) {
                Some(f) => proto.crystal.lattice.scaled(f).map_err(|e| {
                    Rejection::new(INVALID_STRUCTURE).with_detail(format!("{}: {e}", self.id()))
                })?,
                None => proto.crystal.lattice.clone(),
            }
        };
        let sites: Vec<Site> = (0..n)
            .map(|i| Site {
                occupancy: Occupancy::ordered(self.site_species(i).species()),
                frac: proto.crystal.sites[i].frac,
                label: None,
            })
            .collect();
        let mut crystal = Crystal::new(lattice, sites);
        let uniform = self.is_uniform();
        if uniform {
            crystal.symmetry = Some(proto.symmetry().clone());
            crystal
                .properties
                .insert("wyckoff_sequence".into(), serde_json::Value::String(s.wyckoff_sequence.clone()));
        }
        let mut assignment = Vec::with_capacity(proto.orbits.len());
        for (k, orbit) in proto.orbits.iter().enumerate() {
            match self.choice(k) {
                Choice::Uniform(sp) => assignment.push(OrbitAssignment {
                    orbit: orbit.label.clone(),
                    element: sp.element,
                    oxidation: sp.oxidation,
                }),
                Choice::Sites(v) => {
                    for (r, sp) in v.iter().enumerate() {
                        assignment.push(OrbitAssignment {
                            orbit: format!("{}[{r}]", orbit.label),
                            element: sp.element,
                            oxidation: sp.oxidation,
                        });
                    }
                }
            }
        }
        let origin = Origin::Substitution { prototype: proto.name.clone(), assignment };
        let mut candidate = Candidate::new(self.id(), self.index, crystal, origin);
        if let Some(p) = self.probability() {
            candidate.fields.set("substitution_probability", Value::Float(p), None);
        }
        Ok(candidate)
    }
}

#[cfg(test)]
mod tests;
