//! The built-in filters and the properties of `screen_engine::filter`, by name.
//!
//! | name | kind | options (defaults from `screen_engine::filter`) |
//! |---|---|---|
//! | `charge_neutral` | filter | `oxidation_states`, `include_alloys`, `mixed_valence`, `max_stoichiometry` |
//! | `smact` | filter | charge neutrality + Pauling electronegativity order, as `smact_validity`; same options + `use_pauling_test` |
//! | `tolerance_factor` | filter, property | `min` 0.8, `max` 1.1, coordinations, orbit labels |
//! | `octahedral_factor` | filter, property | `min` 0.414, `max` 0.732 |
//! | `min_distance` | filter, property (Å) | `min` 0.5 Å |
//! | `density` | filter, property (g/cm³) | `min`, `max` |
//! | `elements` | filter | `exclude`, `allow`, `require` (symbols) |
//! | `symmetry` | filter | `space_groups`, `crystal_systems`, `symprec` |
//! | `space_group` | property (number, symbol) | `symprec` |

use crate::adapters::{FnFilter, FnProperty, label, options_json};
use crate::properties::round;
use screen_engine::candidate::{Candidate, Rejection, Value};
use screen_engine::filter::{self, DensityOptions, ElementOptions, MinDistanceOptions, PerovskiteOptions, SmactOptions, SymmetryOptions};
use screen_engine::plugin::{Column, Filter, Options, Property, Registry};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Options with some keys renamed (`min` → `tolerance_min`) before deserialising.
fn parse<O: DeserializeOwned>(options: &Options, renames: &[(&str, &str)]) -> Result<O, String> {
    let mut renamed = Options::new();
    for (k, v) in options.take_all() {
        let k = renames.iter().find(|(from, _)| *from == k).map_or(k.clone(), |(_, to)| to.to_string());
        renamed.insert(k, v);
    }
    let o: O = options_json(&renamed)?;
    Ok(o)
}

fn add_filter<O: DeserializeOwned + Send + Sync + 'static>(
    registry: &mut Registry,
    name: &'static str,
    about: &str,
    renames: &'static [(&'static str, &'static str)],
    check: fn(&Candidate, &O) -> Result<(), Rejection>,
) {
    registry.add_filter(name, about, move |o| {
        let options = parse::<O>(o, renames)?;
        Ok(Arc::new(FnFilter { name: label(name, o), options, check }) as Arc<dyn Filter>)
    });
}

fn add_property<O: DeserializeOwned + Send + Sync + 'static>(
    registry: &mut Registry,
    name: &'static str,
    unit: Option<&'static str>,
    about: &str,
    compute: fn(&Candidate, &O) -> Result<Value, Rejection>,
) {
    registry.add_property(name, about, move |o| {
        let options = parse::<O>(o, &[])?;
        Ok(Arc::new(FnProperty { column: Column::new(name, unit), options, compute }) as Arc<dyn Property>)
    });
}

/// For properties without options (refuses any).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoOptions {}

/// The space group as two fields: `space_group` (number) and `space_group_symbol`.
struct SpaceGroup {
    symprec: f64,
}

impl Property for SpaceGroup {
    fn name(&self) -> String {
        "space_group".into()
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new("space_group", None), Column::new("space_group_symbol", None)]
    }

    fn compute(&self, c: &mut Candidate) -> Result<(), Rejection> {
        let sg = filter::space_group(c, self.symprec)?;
        c.fields.set("space_group", Value::Int(i64::from(sg.number)), None);
        c.fields.set("space_group_symbol", Value::Text(sg.symbol), None);
        Ok(())
    }
}

pub fn register(registry: &mut Registry) {
    add_filter::<SmactOptions>(registry, "charge_neutral", "some oxidation states sum to zero (SMACT, no Pauling test)", &[], filter::charge_neutral);
    add_filter::<SmactOptions>(
        registry,
        "smact",
        "SMACT validity: charge neutral and cations less electronegative than anions",
        &[],
        filter::smact,
    );
    const TOL: &[(&str, &str)] = &[("min", "tolerance_min"), ("max", "tolerance_max")];
    const OCT: &[(&str, &str)] = &[("min", "octahedral_min"), ("max", "octahedral_max")];
    add_filter::<PerovskiteOptions>(registry, "tolerance_factor", "Goldschmidt tolerance factor in [min, max]", TOL, filter::tolerance_factor_in_range);
    add_filter::<PerovskiteOptions>(registry, "octahedral_factor", "octahedral factor r_B/r_X in [min, max]", OCT, filter::octahedral_factor_in_range);
    add_filter::<MinDistanceOptions>(registry, "min_distance", "no two atoms closer than min Å", &[], filter::min_distance_at_least);
    add_filter::<DensityOptions>(registry, "density", "density in [min, max] g/cm³", &[], filter::density_in_range);
    add_filter::<ElementOptions>(registry, "elements", "element exclude / allow / require lists", &[], filter::elements);
    add_filter::<SymmetryOptions>(registry, "symmetry", "space group or crystal system in a list", &[], filter::symmetry);

    add_property::<PerovskiteOptions>(registry, "tolerance_factor", None, "Goldschmidt tolerance factor (Shannon radii)", |c, o| {
        filter::tolerance_factor(c, o).map(|t| Value::Float(round(t)))
    });
    add_property::<PerovskiteOptions>(registry, "octahedral_factor", None, "octahedral factor r_B/r_X", |c, o| {
        filter::octahedral_factor(c, o).map(|t| Value::Float(round(t)))
    });
    add_property::<NoOptions>(registry, "min_distance", Some("Å"), "shortest interatomic distance (periodic)", |c, _| {
        Ok(Value::Float(round(filter::min_distance(c))))
    });
    registry.add_property("space_group", "space group number and symbol (carried, else moyo search)", |o| {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct SymprecOnly {
            #[serde(default = "default_symprec")]
            symprec: f64,
        }
        fn default_symprec() -> f64 {
            screen_engine::prototype::DEFAULT_SYMPREC
        }
        let SymprecOnly { symprec } = parse(o, &[])?;
        Ok(Arc::new(SpaceGroup { symprec }) as Arc<dyn Property>)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use screen_engine::plugin::OptionValue;
    use screen_engine::prototype::Prototype;
    use screen_engine::substitute::Substitution;

    fn candidates() -> Vec<Candidate> {
        let sub = Substitution::parse(
            Prototype::builtin("perovskite").unwrap(),
            [("A", vec!["Sr", "Na"]), ("B", vec!["Ti"]), ("X", vec!["O"])],
        )
        .unwrap();
        sub.iter().map(Result::unwrap).collect()
    }

    fn registry() -> Registry {
        let mut r = Registry::new();
        r.add_plugin(&crate::BuiltinFilters);
        r
    }

    #[test]
    fn short_option_names_map_to_the_engine_options() {
        let r = registry();
        let mut o = Options::new();
        o.insert("min", OptionValue::Float(0.95));
        o.insert("max", OptionValue::Float(1.05));
        let f = r.filter("tolerance_factor", &o).unwrap();
        assert_eq!(f.name(), "tolerance_factor (max: 1.05, min: 0.95)");
        let srtio3 = candidates().remove(0);
        assert!(f.check(&srtio3).is_ok()); // t = 1.0016
        assert_eq!(r.filter("smact", &Options::new()).unwrap().check(&srtio3), Ok(()));
        // The engine's own options struct refuses unknown keys, naming them.
        let mut bad = Options::new();
        bad.insert("mn", OptionValue::Float(0.9));
        let e = r.filter("tolerance_factor", &bad).err().unwrap();
        assert!(e.contains("filter 'tolerance_factor'") && e.contains("mn"), "{e}");
    }

    #[test]
    fn properties_set_fields_with_units() {
        let r = registry();
        let mut c = candidates().remove(0);
        for name in ["tolerance_factor", "density", "space_group", "min_distance", "formula"] {
            r.property(name, &Options::new()).unwrap().compute(&mut c).unwrap();
        }
        assert_eq!(c.fields.get("space_group").map(|f| f.value.clone()), Some(Value::Int(221)));
        assert_eq!(c.fields.get("formula").map(|f| f.value.to_string()).as_deref(), Some("SrTiO3"));
        assert_eq!(c.fields.get("density").and_then(|f| f.unit.clone()).as_deref(), Some("g/cm^3"));
        assert!((c.fields.number("tolerance_factor").unwrap() - 1.0016).abs() < 1e-4);
        assert!(c.fields.number("min_distance").unwrap() > 1.5);
    }
}
