//! # screen-example-filter
//!
//! How to write a filter for `screen` in Rust, as a plugin crate. This one is useful on its
//! own: `benign` rejects candidates containing radioactive elements (Tc, Pm, Z ≥ 84) or the
//! highly toxic Be, Cd, Hg, Tl, Pb, As and Os — what a screen for consumer devices or
//! photocatalysts usually leaves out. `allow` re-admits some of them:
//!
//! ```rhai
//! s.filter("benign");                         // default list
//! s.filter("benign", #{ allow: ["Pb"] });     // halide-perovskite screens keep lead
//! ```
//!
//! The three steps of any Rust filter plugin:
//! 1. implement [`Filter`] (a name for the summary, and `check` returning `Ok(())` or a
//!    [`Rejection`] with a short fixed reason and a detail);
//! 2. implement [`Plugin`] to register it under a name, parsing its options;
//! 3. add the crate to the workspace and one line to the binary's `src/plugins.rs`.

use screen_engine::candidate::{Candidate, Rejection};
use screen_engine::chem::Element;
use screen_engine::plugin::{Filter, Options, Plugin, Registry};
use std::sync::Arc;

/// Highly toxic elements rejected by default, besides the radioactive ones.
pub const TOXIC: [&str; 7] = ["Be", "Cd", "Hg", "Tl", "Pb", "As", "Os"];

/// Technetium, promethium and everything from polonium on have no stable isotope.
pub fn is_radioactive(e: Element) -> bool {
    matches!(e.z(), 43 | 61) || e.z() >= 84
}

/// The filter: rejects any candidate holding a forbidden element.
pub struct Benign {
    allow: Vec<Element>,
}

impl Benign {
    pub fn new(allow: Vec<Element>) -> Self {
        Benign { allow }
    }

    fn forbidden(&self, e: Element) -> Option<&'static str> {
        if self.allow.contains(&e) {
            None
        } else if is_radioactive(e) {
            Some("radioactive element")
        } else if TOXIC.contains(&e.symbol()) {
            Some("toxic element")
        } else {
            None
        }
    }
}

impl Filter for Benign {
    fn name(&self) -> String {
        if self.allow.is_empty() {
            "benign".into()
        } else {
            let allowed: Vec<&str> = self.allow.iter().map(|e| e.symbol()).collect();
            format!("benign (allow {})", allowed.join(","))
        }
    }

    fn check(&self, c: &Candidate) -> Result<(), Rejection> {
        for e in c.crystal.elements() {
            if let Some(reason) = self.forbidden(e) {
                return Err(Rejection::new(reason).with_detail(e.symbol()));
            }
        }
        Ok(())
    }
}

/// Registers `benign`.
pub struct ExampleFilterPlugin;

impl Plugin for ExampleFilterPlugin {
    fn build(&self, registry: &mut Registry) {
        registry.add_filter("benign", "no radioactive or highly toxic elements (option allow: [symbols])", |o: &Options| {
            let allow = o
                .texts("allow")?
                .unwrap_or_default()
                .iter()
                .map(|s| Element::from_symbol(s).map_err(|e| format!("option 'allow': {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Arc::new(Benign::new(allow)) as Arc<dyn Filter>)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use screen_engine::candidate::Origin;
    use screen_engine::crystal::{Crystal, Lattice};
    use screen_engine::plugin::OptionValue;

    fn binary(a: &str, b: &str) -> Candidate {
        let lattice = Lattice::new([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]).unwrap();
        let el = |s| Element::from_symbol(s).unwrap();
        let crystal = Crystal::from_elements(lattice, &[el(a), el(b)], &[[0.0; 3], [0.5; 3]]);
        Candidate::new(format!("{a}{b}"), 0, crystal, Origin::Record { source: "test".into(), location: String::new() })
    }

    #[test]
    fn rejects_toxic_and_radioactive_unless_allowed() {
        let mut r = Registry::new();
        r.add_plugin(&ExampleFilterPlugin);
        let f = r.filter("benign", &Options::new()).unwrap();
        assert!(f.check(&binary("Sr", "O")).is_ok());
        let e = f.check(&binary("Pb", "O")).unwrap_err();
        assert_eq!((e.reason.as_ref(), e.detail.as_deref()), ("toxic element", Some("Pb")));
        assert_eq!(f.check(&binary("Po", "O")).unwrap_err().reason, "radioactive element");
        assert_eq!(f.check(&binary("Tc", "O")).unwrap_err().reason, "radioactive element");

        let mut o = Options::new();
        o.insert("allow", OptionValue::List(vec![OptionValue::Text("Pb".into())]));
        let f = r.filter("benign", &o).unwrap();
        assert!(f.check(&binary("Pb", "O")).is_ok());
        assert_eq!(f.name(), "benign (allow Pb)");

        let mut bad = Options::new();
        bad.insert("alow", OptionValue::Text("Pb".into()));
        assert!(r.filter("benign", &bad).err().unwrap().contains("unknown option alow"));
        let mut bad = Options::new();
        bad.insert("allow", OptionValue::Text("Xx".into()));
        assert!(r.filter("benign", &bad).err().unwrap().contains("option 'allow'"));
    }
}
