use crate::chem::Element;
use std::fmt;

/// An element, optionally with a formal oxidation state (from `_atom_type_oxidation_number`
/// in a CIF, "Fe3+" type symbols, or a substitution rule). Oxidation states may be fractional
/// (mixed valence), as in pymatgen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Species {
    pub element: Element,
    pub oxidation: Option<f64>,
}

impl Species {
    pub fn new(element: Element) -> Self {
        Species { element, oxidation: None }
    }

    pub fn with_oxidation(element: Element, oxidation: f64) -> Self {
        Species { element, oxidation: Some(oxidation) }
    }
}

impl From<Element> for Species {
    fn from(element: Element) -> Self {
        Species::new(element)
    }
}

/// Writes pymatgen-style species strings: "Fe", "Fe3+", "O2-", "Fe2.5+".
impl fmt::Display for Species {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.element)?;
        if let Some(ox) = self.oxidation {
            let sign = if ox < 0.0 { '-' } else { '+' };
            let mag = ox.abs();
            if mag.fract() == 0.0 {
                write!(f, "{}{sign}", mag as i64)?;
            } else {
                write!(f, "{mag}{sign}")?;
            }
        }
        Ok(())
    }
}
