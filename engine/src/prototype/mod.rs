//! Prototypes: crystal structures whose Wyckoff orbits are the sites of element substitution.
//!
//! A [`Prototype`] is a real crystal (a built-in example compound, or any structure file) with
//! its symmetry orbits named: the cubic perovskite's `A` (1a), `B` (1b) and `X` (3c), or, for a
//! structure file, its Wyckoff positions (`4a`) or the element where it sits on one orbit only.
//! Each [`Orbit`] records its Wyckoff letter and multiplicity, its site indices, the species
//! the prototype has there and the coordination number (for Shannon radii). The space group
//! number and symbol, the symmetry operations and the Wyckoff sequence come from the symmetry
//! dataset (the `moyo` crate) of the prototype's own cell, computed once when it is built;
//! candidates that fill every orbit with one element inherit them without a new search.
//!
//! Built-ins ([`Prototype::builtin`], names in [`BUILTIN_NAMES`]): `perovskite` (SrTiO3),
//! `double_perovskite` (Ba2MgWO6), `rocksalt` (NaCl), `cscl` (CsCl), `zincblende` (ZnS),
//! `wurtzite` (ZnO), `fluorite` (CaF2), `rutile` (TiO2), `spinel` (MgAl2O4), `heusler`
//! (Cu2MnAl). Face-centred ones are stored in their primitive cell (2–14 atoms), which is what
//! predictors and the throughput of a screen want.
//!
//! ```
//! use screen_engine::prototype::Prototype;
//! let p = Prototype::builtin("perovskite").unwrap();
//! assert_eq!(p.space_group.number, 221);
//! let x = p.orbit("X").unwrap();
//! assert_eq!((x.wyckoff.to_string().as_str(), x.sites.len(), x.coordination), ("3c", 3, 6));
//! assert_eq!(p.wyckoff_sequence(), "1a 1b 3c");
//! ```

mod analysis;
mod builtin;

pub use analysis::{Contact, DEFAULT_SYMPREC, SHELL_TOLERANCE};
pub use builtin::BUILTIN_NAMES;

use crate::chem::radius::likely_oxidation_states;
use crate::chem::{Element, Ion, OxidationStateSet};
use crate::crystal::{Crystal, Species};
use crate::symmetry::SymmetryInfo;
use std::collections::BTreeMap;
use std::fmt;

/// A Wyckoff position: multiplicity (in the conventional cell) and letter, written `4a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wyckoff {
    pub multiplicity: u32,
    pub letter: char,
}

impl fmt::Display for Wyckoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.multiplicity, self.letter)
    }
}

/// One symmetry orbit of a prototype: the sites that a substitution fills together.
#[derive(Clone, Debug, PartialEq)]
pub struct Orbit {
    /// Name used by substitutions: `A`, `B`, `X`, `B1`, or a Wyckoff label such as `4a`.
    pub label: String,
    pub wyckoff: Wyckoff,
    /// Indices into the prototype crystal's sites, ascending.
    pub sites: Vec<usize>,
    /// What the prototype has on this orbit (with its oxidation state where known).
    pub species: Species,
    /// Number of nearest neighbours, the coordination under which Shannon radii are looked up
    /// (12 for the perovskite A site, 6 for B and X).
    pub coordination: u8,
}

impl Orbit {
    /// The prototype's ion on this orbit, when its oxidation state is a whole number.
    pub fn ion(&self) -> Option<Ion> {
        Ion::from_species(&self.species)
    }
}

/// Space group of a prototype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceGroupInfo {
    /// International Tables number, 1–230.
    pub number: u16,
    /// Short Hermann–Mauguin symbol ("Pm-3m").
    pub symbol: String,
}

/// The seven crystal systems.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CrystalSystem {
    Triclinic,
    Monoclinic,
    Orthorhombic,
    Tetragonal,
    Trigonal,
    Hexagonal,
    Cubic,
}

impl CrystalSystem {
    /// The crystal system of space group `number` (1–230); `None` outside that range.
    pub fn of_space_group(number: u16) -> Option<CrystalSystem> {
        Some(match number {
            1..=2 => CrystalSystem::Triclinic,
            3..=15 => CrystalSystem::Monoclinic,
            16..=74 => CrystalSystem::Orthorhombic,
            75..=142 => CrystalSystem::Tetragonal,
            143..=167 => CrystalSystem::Trigonal,
            168..=194 => CrystalSystem::Hexagonal,
            195..=230 => CrystalSystem::Cubic,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            CrystalSystem::Triclinic => "triclinic",
            CrystalSystem::Monoclinic => "monoclinic",
            CrystalSystem::Orthorhombic => "orthorhombic",
            CrystalSystem::Tetragonal => "tetragonal",
            CrystalSystem::Trigonal => "trigonal",
            CrystalSystem::Hexagonal => "hexagonal",
            CrystalSystem::Cubic => "cubic",
        }
    }

    pub fn from_name(name: &str) -> Option<CrystalSystem> {
        [
            CrystalSystem::Triclinic,
            CrystalSystem::Monoclinic,
            CrystalSystem::Orthorhombic,
            CrystalSystem::Tetragonal,
            CrystalSystem::Trigonal,
            CrystalSystem::Hexagonal,
            CrystalSystem::Cubic,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for CrystalSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a prototype could not be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PrototypeError {
    #[error("unknown prototype '{0}'; built-in prototypes: {names}", names = BUILTIN_NAMES.join(", "))]
    Unknown(String),
    #[error("site {site} is disordered or partially occupied; a prototype needs one species per site")]
    Disordered { site: usize },
    #[error("symmetry search failed: {0}")]
    Symmetry(String),
    #[error("a prototype needs at least one site")]
    NoSites,
}

/// A crystal structure with named, substitutable Wyckoff orbits.
#[derive(Clone, Debug)]
pub struct Prototype {
    /// Name used in candidate ids (`perovskite:Sr-Ti-O3`).
    pub name: String,
    /// The prototype's own crystal (example compound or the structure file), sites ordered
    /// orbit by orbit for built-ins.
    pub crystal: Crystal,
    pub orbits: Vec<Orbit>,
    pub space_group: SpaceGroupInfo,
    /// Where the crystal comes from: example compound and lattice-parameter source, or the
    /// structure's name.
    pub source: String,
    symmetry: SymmetryInfo,
    contacts: Vec<Contact>,
    /// Orbit index of every site.
    site_orbit: Vec<usize>,
}

impl Prototype {
    /// A built-in prototype by name (case-insensitive; see [`BUILTIN_NAMES`]).
    pub fn builtin(name: &str) -> Result<Prototype, PrototypeError> {
        builtin::build(name)
    }

    /// Any crystal as a prototype: its symmetry orbits (moyo, [`DEFAULT_SYMPREC`]) become the
    /// substitutable sites, labelled by element where an element occupies exactly one orbit,
    /// else by Wyckoff position (`4e`), else element + Wyckoff (`O4e`), numbered (`O4e_2`) if
    /// still ambiguous. The crystal must be ordered.
    pub fn from_crystal(name: &str, crystal: &Crystal) -> Result<Prototype, PrototypeError> {
        Prototype::from_crystal_with_symprec(name, crystal, DEFAULT_SYMPREC)
    }

    /// [`Prototype::from_crystal`] with a symmetry tolerance in Å.
    pub fn from_crystal_with_symprec(
        name: &str,
        crystal: &Crystal,
        symprec: f64,
    ) -> Result<Prototype, PrototypeError> {
        if crystal.sites.is_empty() {
            return Err(PrototypeError::NoSites);
        }
        let analysis = analysis::analyse(crystal, symprec)?;
        // Orbits in order of their first site.
        let mut reps: Vec<usize> = Vec::new();
        for &o in &analysis.orbits {
            if !reps.contains(&o) {
                reps.push(o);
            }
        }
        let mut orbits: Vec<Orbit> = reps
            .iter()
            .map(|&rep| {
                let sites: Vec<usize> =
                    (0..crystal.sites.len()).filter(|&i| analysis.orbits[i] == rep).collect();
                let species = crystal.sites[rep].occupancy.species()[0].0;
                Orbit {
                    label: String::new(),
                    wyckoff: Wyckoff {
                        multiplicity: analysis.multiplicities[rep],
                        letter: analysis.wyckoff_letters[rep],
                    },
                    sites,
                    species,
                    coordination: 0,
                }
            })
            .collect();
        label_orbits(&mut orbits);
        Ok(Prototype::assemble(name, crystal.clone(), orbits, analysis, name.to_string()))
    }

    /// Puts the pieces together: coordination numbers (unless given), contacts, symmetry info.
    fn assemble(
        name: &str,
        crystal: Crystal,
        mut orbits: Vec<Orbit>,
        analysis: analysis::SymmetryAnalysis,
        source: String,
    ) -> Prototype {
        let (cns, contacts) = analysis::first_shells(&crystal);
        let mut site_orbit = vec![0usize; crystal.sites.len()];
        for (k, orbit) in orbits.iter_mut().enumerate() {
            for &s in &orbit.sites {
                site_orbit[s] = k;
            }
            if orbit.coordination == 0 {
                orbit.coordination = cns[orbit.sites[0]];
            }
        }
        let symmetry = SymmetryInfo {
            operations: analysis.operations,
            hermann_mauguin: Some(analysis.symbol.clone()),
            number: Some(analysis.number),
            orbits: site_orbit.iter().map(|&k| orbits[k].sites[0]).collect(),
        };
        Prototype {
            name: name.to_string(),
            crystal,
            orbits,
            space_group: SpaceGroupInfo { number: analysis.number, symbol: analysis.symbol },
            source,
            symmetry,
            contacts,
            site_orbit,
        }
    }

    /// The orbit with this label.
    pub fn orbit(&self, label: &str) -> Option<&Orbit> {
        self.orbits.iter().find(|o| o.label == label)
    }

    /// Index of the orbit with this label.
    pub fn orbit_index(&self, label: &str) -> Option<usize> {
        self.orbits.iter().position(|o| o.label == label)
    }

    /// Orbit index of every site.
    pub fn site_orbits(&self) -> &[usize] {
        &self.site_orbit
    }

    /// The Wyckoff positions of the orbits, sorted by letter then multiplicity ("1a 1b 3c";
    /// spinel "8a 16d 32e").
    pub fn wyckoff_sequence(&self) -> String {
        let mut w: Vec<Wyckoff> = self.orbits.iter().map(|o| o.wyckoff).collect();
        w.sort_by_key(|w| (w.letter, w.multiplicity));
        w.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(" ")
    }

    pub fn crystal_system(&self) -> Option<CrystalSystem> {
        CrystalSystem::of_space_group(self.space_group.number)
    }

    /// Symmetry operations (in the prototype's cell), space group and orbit of every site, as
    /// a crystal carries them.
    pub fn symmetry(&self) -> &SymmetryInfo {
        &self.symmetry
    }

    /// First-shell neighbour contacts of every site (Å, with image counts): what the contact
    /// volume rule scales.
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// Oxidation states of the prototype's orbits: the species' own where given, otherwise
    /// [`crate::chem::radius::likely_oxidation_states`] of its composition; `None` for an
    /// orbit left without one (intermetallics).
    pub fn orbit_charges(&self) -> Vec<Option<i8>> {
        let given: Vec<Option<i8>> = self.orbits.iter().map(|o| o.ion().map(|i| i.charge)).collect();
        if given.iter().all(Option::is_some) {
            return given;
        }
        let mut counts: Vec<(Element, u32)> = Vec::new();
        for o in &self.orbits {
            let n = o.sites.len() as u32;
            match counts.iter_mut().find(|(e, _)| *e == o.species.element) {
                Some((_, c)) => *c += n,
                None => counts.push((o.species.element, n)),
            }
        }
        let states = likely_oxidation_states(&counts, OxidationStateSet::Icsd24Consensus3);
        self.orbits
            .iter()
            .zip(given)
            .map(|(o, g)| {
                g.or_else(|| {
                    let states = states.as_ref()?;
                    let k = counts.iter().position(|(e, _)| *e == o.species.element)?;
                    states.get(k).copied()
                })
            })
            .collect()
    }
}

/// Labels: element where unique, else Wyckoff label where unique, else element + Wyckoff,
/// numbered when still repeated.
fn label_orbits(orbits: &mut [Orbit]) {
    let mut per_element: BTreeMap<Element, usize> = BTreeMap::new();
    let mut per_wyckoff: BTreeMap<String, usize> = BTreeMap::new();
    for o in orbits.iter() {
        *per_element.entry(o.species.element).or_default() += 1;
        *per_wyckoff.entry(o.wyckoff.to_string()).or_default() += 1;
    }
    for o in orbits.iter_mut() {
        let w = o.wyckoff.to_string();
        o.label = if per_element[&o.species.element] == 1 {
            o.species.element.symbol().to_string()
        } else if per_wyckoff[&w] == 1 {
            w
        } else {
            format!("{}{w}", o.species.element)
        };
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for o in orbits.iter() {
        *seen.entry(o.label.clone()).or_default() += 1;
    }
    let mut numbered: BTreeMap<String, usize> = BTreeMap::new();
    for o in orbits.iter_mut() {
        if seen[&o.label] > 1 {
            let k = numbered.entry(o.label.clone()).or_default();
            *k += 1;
            o.label = format!("{}_{k}", o.label);
        }
    }
}

#[cfg(test)]
mod tests;
