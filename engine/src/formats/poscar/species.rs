//! Which element each atom type of a POSCAR is.

use crate::chem::Element;

/// The element named by a VASP species word: an element symbol, optionally followed by a
/// POTCAR flavour after `_` (`Fe_pv`, `Si_GW`, `O_s`) and/or a VASP 6 POTCAR hash after `/`
/// (`Fe/3a4b1c`). Symbols in another case ("FE") are accepted as that element.
pub(super) fn element_of_name(name: &str) -> Option<Element> {
    let base = name.split('/').next().unwrap_or(name);
    let base = base.split('_').next().unwrap_or(base);
    Element::from_symbol(base).or_else(|_| Element::from_symbol_ignore_case(base)).ok()
}

/// VASP 4 files often name the species on the comment line ("Zn O"); used only when every
/// word is an element symbol and there is one per atom type.
pub(super) fn from_comment(comment: &str, types: usize) -> Option<Vec<Element>> {
    let words: Vec<&str> = comment.split_whitespace().collect();
    if words.len() != types {
        return None;
    }
    words.iter().map(|w| Element::from_symbol(w).ok()).collect()
}

/// pymatgen's VASP 4 rule: when the word after every coordinate is an element symbol, those
/// are the species (site by site).
pub(super) fn from_labels(labels: &[Option<&str>]) -> Option<Vec<Element>> {
    labels.iter().map(|l| l.and_then(|s| Element::from_symbol(s).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    #[test]
    fn potcar_names() {
        for (name, symbol) in [
            ("Fe_pv", "Fe"),
            ("Si_GW", "Si"),
            ("O_s", "O"),
            ("Mn_sv", "Mn"),
            ("Fe/abc123", "Fe"),
            ("Nb_sv_GW/7f2c", "Nb"),
            ("FE", "Fe"),
            ("O", "O"),
        ] {
            assert_eq!(element_of_name(name), Some(el(symbol)), "{name}");
        }
        assert_eq!(element_of_name("Qq"), None);
        assert_eq!(element_of_name("_pv"), None);
    }

    #[test]
    fn comment_and_labels() {
        assert_eq!(from_comment(" Zn O ", 2), Some(vec![el("Zn"), el("O")]));
        assert_eq!(from_comment("Zn O", 3), None);
        assert_eq!(from_comment("# Mn12 O12", 2), None);
        assert_eq!(from_labels(&[Some("Fe"), Some("O")]), Some(vec![el("Fe"), el("O")]));
        assert_eq!(from_labels(&[Some("Fe"), None]), None);
        assert_eq!(from_labels(&[Some("Fe1")]), None);
    }
}
