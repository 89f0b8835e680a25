//! Chemical elements H (Z = 1) to Lr (Z = 103), the range covered by the embedded tables.

use serde::Deserialize;
use std::fmt;
use std::sync::OnceLock;

/// Element symbols indexed by `Z - 1`.
const SYMBOLS: [&str; 103] = [
    "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl",
    "Ar", "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As",
    "Se", "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb",
    "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl",
    "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk",
    "Cf", "Es", "Fm", "Md", "No", "Lr",
];

/// A chemical element, stored as its atomic number (1..=103).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Element(u8);

/// A symbol or atomic number that names no element in the table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown element '{0}'")]
pub struct UnknownElement(pub String);

/// Per-element data from `elements.json` (pymatgen + SMACT, see `engine/data/chem/README.md`).
/// Units: masses in u (g/mol), radii in Å, electronegativities on the Pauling scale.
#[derive(Debug, Clone, Deserialize)]
pub struct ElementData {
    #[serde(rename = "Z")]
    pub z: u8,
    pub symbol: String,
    /// English name, pymatgen spelling ("Aluminum", "Cesium").
    pub name: String,
    /// Atomic mass, u (pymatgen's value).
    pub atomic_mass: f64,
    /// Atomic mass, u, as SMACT uses it (NIST SRD 144, 2016).
    pub atomic_mass_smact: f64,
    /// Pauling electronegativity as pymatgen reports it (`None` for He, Ne, Ar).
    pub pauling_en: Option<f64>,
    /// Pauling electronegativity as SMACT uses it in its Pauling test (`None` for He, Ne, Ar,
    /// Pm, Rn, Lr). Differs from [`pauling_en`](Self::pauling_en) for 16 elements (Pb: 1.8 vs 2.33).
    pub pauling_en_smact: Option<f64>,
    /// All known oxidation states (pymatgen), ascending.
    #[serde(rename = "oxidation_states")]
    pub pymatgen_oxidation_states: Vec<i8>,
    /// Common oxidation states (pymatgen), ascending.
    #[serde(rename = "common_oxidation_states")]
    pub pymatgen_common_oxidation_states: Vec<i8>,
    /// States with ≥ 10 ICSD instances and ≥ 1 % of the element's entries (pymatgen), in
    /// pymatgen's (not always ascending) order.
    #[serde(rename = "icsd_oxidation_states")]
    pub pymatgen_icsd_oxidation_states: Vec<i8>,
    /// SMACT's oxidation-state sets.
    pub smact_oxidation_states: SmactOxidationStates,
    /// Empirical atomic radius, Å (pymatgen).
    pub atomic_radius: Option<f64>,
    /// Calculated atomic radius, Å (pymatgen).
    pub atomic_radius_calculated: Option<f64>,
    /// Covalent radius, Å (Cordero 2008, via SMACT).
    pub covalent_radius: Option<f64>,
    /// Metallic radius, Å (pymatgen).
    pub metallic_radius: Option<f64>,
    /// Van der Waals radius, Å (pymatgen).
    pub van_der_waals_radius: Option<f64>,
    /// Group 1–18; La–Lu and Ac–Lr are all group 3 (pymatgen convention).
    pub group: u8,
    /// Period (row) 1–7.
    pub period: u8,
    pub block: Block,
    /// pymatgen's `is_metal`: alkali, alkaline earth, transition metals, Al Ga In Tl Sn Pb Bi,
    /// lanthanoids and actinoids.
    pub is_metal: bool,
    pub is_metalloid: bool,
    pub is_noble_gas: bool,
    pub is_transition_metal: bool,
    pub is_post_transition_metal: bool,
    pub is_alkali: bool,
    pub is_alkaline_earth: bool,
    pub is_halogen: bool,
    pub is_chalcogen: bool,
    pub is_lanthanoid: bool,
    pub is_actinoid: bool,
    pub is_rare_earth: bool,
    /// Member of SMACT's `metals` list, which its alloy shortcut uses (includes Ge and Sb, not
    /// Pm or Lr).
    pub smact_metal: bool,
    /// Member of SMACT's `anions` list (N P As Sb O S Se Te F Cl Br I).
    pub smact_anion: bool,
    /// Mendeleev number on Pettifor's chemical scale (pymatgen's `mendeleev_no`, He = 1).
    #[serde(rename = "mendeleev_no")]
    pub mendeleev_number: u16,
    /// Magpie's Mendeleev number, a different scale (`None` for Cf–Lr).
    pub mendeleev_number_magpie: Option<u16>,
}

/// SMACT's oxidation-state sets for one element, each ascending; empty where SMACT has none.
#[derive(Debug, Clone, Deserialize)]
pub struct SmactOxidationStates {
    pub icsd24: Vec<i8>,
    pub icsd24_consensus3: Vec<i8>,
    pub smact14: Vec<i8>,
    pub icsd16: Vec<i8>,
    pub pymatgen_sp: Vec<i8>,
    pub wiki: Vec<i8>,
}

/// Periodic-table block (pymatgen: Lu and Lr are `D`, the other lanthanoids/actinoids `F`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Block {
    S,
    P,
    D,
    F,
}

/// A named list of oxidation states per element. The SMACT sets are what SMACT's screening
/// functions choose between; the pymatgen sets are pymatgen's `Element` properties.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum OxidationStateSet {
    /// ICSD 2024, states with more than 5 reports: SMACT's `Element.oxidation_states` and the
    /// default of `smact_filter`.
    Icsd24,
    /// ICSD 2024, states with at least 3 reports, zero excluded: the default of
    /// `smact_validity`.
    #[default]
    Icsd24Consensus3,
    /// SMACT's hand-compiled 2014 set (its default before version 3.0).
    Smact14,
    /// ICSD 2016.
    Icsd16,
    /// Species of pymatgen's structure-predictor lambda table (2017).
    PymatgenSp,
    /// Wikipedia list (2022); includes 0.
    Wiki,
    /// pymatgen `Element.common_oxidation_states`.
    PymatgenCommon,
    /// pymatgen `Element.icsd_oxidation_states`.
    PymatgenIcsd,
    /// pymatgen `Element.oxidation_states` (all known).
    PymatgenAll,
}

impl OxidationStateSet {
    pub const ALL: [OxidationStateSet; 9] = [
        Self::Icsd24,
        Self::Icsd24Consensus3,
        Self::Smact14,
        Self::Icsd16,
        Self::PymatgenSp,
        Self::Wiki,
        Self::PymatgenCommon,
        Self::PymatgenIcsd,
        Self::PymatgenAll,
    ];

    /// The name used by SMACT's `oxidation_states_set` argument (`icsd24`, `smact14`, …) or,
    /// for the pymatgen sets, `pymatgen_common` / `pymatgen_icsd` / `pymatgen_all`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Icsd24 => "icsd24",
            Self::Icsd24Consensus3 => "icsd24_consensus3",
            Self::Smact14 => "smact14",
            Self::Icsd16 => "icsd16",
            Self::PymatgenSp => "pymatgen_sp",
            Self::Wiki => "wiki",
            Self::PymatgenCommon => "pymatgen_common",
            Self::PymatgenIcsd => "pymatgen_icsd",
            Self::PymatgenAll => "pymatgen_all",
        }
    }

    /// Parses a name as written by [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for OxidationStateSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ElementData {
    /// The element's states in `set` (empty if the set has none for it).
    pub fn oxidation_states(&self, set: OxidationStateSet) -> &[i8] {
        let smact = &self.smact_oxidation_states;
        match set {
            OxidationStateSet::Icsd24 => &smact.icsd24,
            OxidationStateSet::Icsd24Consensus3 => &smact.icsd24_consensus3,
            OxidationStateSet::Smact14 => &smact.smact14,
            OxidationStateSet::Icsd16 => &smact.icsd16,
            OxidationStateSet::PymatgenSp => &smact.pymatgen_sp,
            OxidationStateSet::Wiki => &smact.wiki,
            OxidationStateSet::PymatgenCommon => &self.pymatgen_common_oxidation_states,
            OxidationStateSet::PymatgenIcsd => &self.pymatgen_icsd_oxidation_states,
            OxidationStateSet::PymatgenAll => &self.pymatgen_oxidation_states,
        }
    }
}

#[derive(Deserialize)]
struct Table {
    elements: Vec<ElementData>,
}

fn table() -> &'static [ElementData] {
    static TABLE: OnceLock<Vec<ElementData>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let parsed: Table = serde_json::from_str(include_str!("../../data/chem/elements.json"))
            .expect("embedded elements.json is valid (checked by tests)");
        parsed.elements
    })
}

impl Element {
    /// Number of elements in the table.
    pub const COUNT: usize = 103;

    /// The element with atomic number `z`.
    pub fn from_z(z: u32) -> Result<Self, UnknownElement> {
        if (1..=Self::COUNT as u32).contains(&z) {
            Ok(Element(z as u8))
        } else {
            Err(UnknownElement(format!("Z={z}")))
        }
    }

    /// Parses a symbol written with the usual capitalisation ("Fe"). Deuterium and tritium
    /// ("D", "T"), which structure files use for isotopes, are read as hydrogen.
    pub fn from_symbol(symbol: &str) -> Result<Self, UnknownElement> {
        if symbol == "D" || symbol == "T" {
            return Ok(Element(1));
        }
        SYMBOLS
            .iter()
            .position(|s| *s == symbol)
            .map(|i| Element(i as u8 + 1))
            .ok_or_else(|| UnknownElement(symbol.to_string()))
    }

    /// Parses a symbol in any capitalisation ("FE", "fe").
    pub fn from_symbol_ignore_case(symbol: &str) -> Result<Self, UnknownElement> {
        let mut chars = symbol.chars();
        let canonical: String = match (chars.next(), chars.next(), chars.next()) {
            (Some(a), None, _) => a.to_ascii_uppercase().to_string(),
            (Some(a), Some(b), None) => {
                format!("{}{}", a.to_ascii_uppercase(), b.to_ascii_lowercase())
            }
            _ => return Err(UnknownElement(symbol.to_string())),
        };
        Self::from_symbol(&canonical).map_err(|_| UnknownElement(symbol.to_string()))
    }

    /// Atomic number.
    pub fn z(self) -> u32 {
        self.0 as u32
    }

    pub fn symbol(self) -> &'static str {
        SYMBOLS[self.0 as usize - 1]
    }

    pub fn data(self) -> &'static ElementData {
        &table()[self.0 as usize - 1]
    }

    /// Atomic mass in u (g/mol).
    pub fn mass(self) -> f64 {
        self.data().atomic_mass
    }

    /// Pauling electronegativity (pymatgen's values); `None` for the noble gases He, Ne, Ar.
    pub fn electronegativity(self) -> Option<f64> {
        self.data().pauling_en
    }

    /// Pauling electronegativity as SMACT uses it (see [`ElementData::pauling_en_smact`]).
    pub fn electronegativity_smact(self) -> Option<f64> {
        self.data().pauling_en_smact
    }

    /// The element's oxidation states in `set`, as stored (empty if none).
    pub fn oxidation_states(self, set: OxidationStateSet) -> &'static [i8] {
        self.data().oxidation_states(set)
    }

    /// Covalent radius in Å (Cordero 2008).
    pub fn covalent_radius(self) -> Option<f64> {
        self.data().covalent_radius
    }

    /// Mendeleev number on Pettifor's scale (pymatgen's `mendeleev_no`).
    pub fn mendeleev_number(self) -> u16 {
        self.data().mendeleev_number
    }

    /// All elements in order of Z.
    pub fn all() -> impl Iterator<Item = Element> {
        (1..=Self::COUNT as u8).map(Element)
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_matches_symbols() {
        for e in Element::all() {
            assert_eq!(e.data().symbol, e.symbol());
            assert_eq!(e.data().z as u32, e.z());
            assert!(e.mass() > 0.0);
        }
    }

    #[test]
    fn symbols() {
        assert_eq!(Element::from_symbol("Fe").unwrap().z(), 26);
        assert_eq!(Element::from_symbol("D").unwrap().symbol(), "H");
        assert!(Element::from_symbol("Qq").is_err());
        assert!(Element::from_symbol("fe").is_err());
        assert_eq!(Element::from_symbol_ignore_case("FE").unwrap().z(), 26);
        assert!(Element::from_z(0).is_err());
        assert!(Element::from_z(104).is_err());
        assert!((Element::from_symbol("O").unwrap().mass() - 15.9994).abs() < 1e-4);
    }

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    #[test]
    fn electronegativities_are_named_by_source() {
        assert_eq!(el("Pb").electronegativity(), Some(2.33));
        assert_eq!(el("Pb").electronegativity_smact(), Some(1.8));
        assert_eq!(el("W").electronegativity(), Some(2.36));
        assert_eq!(el("W").electronegativity_smact(), Some(1.7));
        assert_eq!(el("Pm").electronegativity_smact(), None);
        assert_eq!(el("Ar").electronegativity(), None);
        let differing = Element::all()
            .filter(|e| e.electronegativity() != e.electronegativity_smact())
            .count();
        assert_eq!(differing, 16);
    }

    #[test]
    fn oxidation_state_sets() {
        use OxidationStateSet as S;
        let fe = el("Fe");
        assert_eq!(fe.oxidation_states(S::Icsd24), &[1, 2, 3, 4, 5, 6]);
        assert_eq!(
            fe.oxidation_states(S::Icsd24Consensus3),
            &[-4, 1, 2, 3, 4, 5, 6]
        );
        assert_eq!(fe.oxidation_states(S::PymatgenCommon), &[2, 3]);
        assert_eq!(el("O").oxidation_states(S::Icsd24), &[-2, -1]);
        assert_eq!(el("O").oxidation_states(S::Icsd24Consensus3), &[-2, -1, 2]);
        assert!(el("He").oxidation_states(S::Icsd24).is_empty());
        assert!(fe.oxidation_states(S::Wiki).contains(&0));
        for set in OxidationStateSet::ALL {
            assert_eq!(OxidationStateSet::from_name(set.name()), Some(set));
        }
        assert_eq!(OxidationStateSet::default(), S::Icsd24Consensus3);
        // The 41 elements whose validity and filter defaults differ (README).
        let differ = Element::all()
            .filter(|e| e.oxidation_states(S::Icsd24) != e.oxidation_states(S::Icsd24Consensus3))
            .count();
        assert_eq!(differ, 41);
    }

    #[test]
    fn flags_radii_and_mendeleev_numbers() {
        let smact_metals = Element::all().filter(|e| e.data().smact_metal).count();
        assert_eq!(smact_metals, 79);
        assert!(el("Ge").data().smact_metal && el("Sb").data().smact_metal);
        assert!(!el("Pm").data().smact_metal);
        let anions: Vec<&str> = Element::all()
            .filter(|e| e.data().smact_anion)
            .map(|e| e.symbol())
            .collect();
        assert_eq!(
            anions,
            [
                "N", "O", "F", "P", "S", "Cl", "As", "Se", "Br", "Sb", "Te", "I"
            ]
        );
        assert_eq!(el("He").mendeleev_number(), 1);
        assert_eq!(el("Fe").mendeleev_number(), 61);
        assert_eq!(el("Fe").data().mendeleev_number_magpie, Some(55));
        assert_eq!(el("Fe").covalent_radius(), Some(1.32));
        assert_eq!(el("Lu").data().block, Block::D);
        assert_eq!(el("Ce").data().group, 3);
        assert!(el("Sn").data().is_metal && !el("Si").data().is_metal);
    }
}
