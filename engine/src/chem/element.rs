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

/// Per-element data from `elements.json` (pymatgen + SMACT). Units: mass in u (g/mol).
#[derive(Debug, Clone, Deserialize)]
pub struct ElementData {
    #[serde(rename = "Z")]
    pub z: u8,
    pub symbol: String,
    pub name: String,
    /// Atomic mass, u (pymatgen's value).
    pub atomic_mass: f64,
    /// Pauling electronegativity as pymatgen reports it (`None` for He, Ne, Ar).
    pub pauling_en: Option<f64>,
    /// Covalent radius, Å (Cordero 2008).
    pub covalent_radius: Option<f64>,
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
}
