//! Element include / exclude lists.

use super::reason;
use crate::candidate::{Candidate, Rejection};
use crate::chem::Element;
use serde::Deserialize;

/// A list of elements read from symbols (`["Pb", "Cd"]`); unknown symbols are errors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElementList(pub Vec<Element>);

impl<'de> Deserialize<'de> for ElementList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let symbols = Vec::<String>::deserialize(d)?;
        symbols
            .iter()
            .map(|s| Element::from_symbol(s).map_err(serde::de::Error::custom))
            .collect::<Result<_, _>>()
            .map(ElementList)
    }
}

/// Options of [`elements`]: each list may be empty (no constraint).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElementOptions {
    /// No element of this list may occur (toxic, radioactive, scarce …).
    pub exclude: ElementList,
    /// When not empty, every element must be one of these.
    pub allow: ElementList,
    /// Every element of this list must occur.
    pub require: ElementList,
}

/// Checks the candidate's elements against the lists.
///
/// ```
/// use screen_engine::filter::{elements, ElementOptions};
/// let o: ElementOptions = serde_json::from_str(r#"{"exclude": ["Pb", "Cd"]}"#).unwrap();
/// # let sub = screen_engine::substitute::Substitution::parse(
/// #     screen_engine::prototype::Prototype::builtin("perovskite").unwrap(), [("A", ["Pb"])]).unwrap();
/// assert_eq!(elements(&sub.candidate(0).unwrap(), &o).unwrap_err().reason, "element excluded");
/// ```
pub fn elements(candidate: &Candidate, options: &ElementOptions) -> Result<(), Rejection> {
    let present = candidate.crystal.elements();
    if let Some(e) = present.iter().find(|e| options.exclude.0.contains(e)) {
        return Err(Rejection::new(reason::ELEMENT_EXCLUDED).with_detail(e.symbol()));
    }
    if let Some(e) = present.iter().find(|e| !options.allow.0.is_empty() && !options.allow.0.contains(e)) {
        return Err(Rejection::new(reason::ELEMENT_NOT_ALLOWED).with_detail(e.symbol()));
    }
    if let Some(e) = options.require.0.iter().find(|e| !present.contains(e)) {
        return Err(Rejection::new(reason::ELEMENT_MISSING).with_detail(e.symbol()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prototype::Prototype;
    use crate::substitute::Substitution;

    #[test]
    fn lists() {
        let sub = Substitution::parse(Prototype::builtin("perovskite").unwrap(), [("A", ["Sr"])]).unwrap();
        let c = sub.candidate(0).unwrap();
        let o = |j: &str| serde_json::from_str::<ElementOptions>(j).unwrap();
        assert!(elements(&c, &o("{}")).is_ok());
        assert!(elements(&c, &o(r#"{"allow": ["Sr", "Ti", "O"], "require": ["O"]}"#)).is_ok());
        assert_eq!(elements(&c, &o(r#"{"allow": ["Sr", "O"]}"#)).unwrap_err().detail.as_deref(), Some("Ti"));
        assert_eq!(elements(&c, &o(r#"{"require": ["N"]}"#)).unwrap_err().reason, reason::ELEMENT_MISSING);
        assert!(serde_json::from_str::<ElementOptions>(r#"{"exclude": ["Xx"]}"#).is_err());
    }
}
