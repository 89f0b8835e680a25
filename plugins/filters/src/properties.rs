//! Properties computed from the crystal alone: formula, density, volume, sites.

use crate::adapters::FnProperty;
use screen_engine::candidate::{Candidate, Rejection, Value};
use screen_engine::plugin::{Column, Property, Registry};
use std::sync::Arc;

fn simple(
    registry: &mut Registry,
    name: &'static str,
    unit: Option<&'static str>,
    about: &str,
    compute: fn(&Candidate, &()) -> Result<Value, Rejection>,
) {
    registry.add_property(name, about, move |o| {
        if !o.is_empty() {
            return Err("takes no options".into());
        }
        Ok(Arc::new(FnProperty { column: Column::new(name, unit), options: (), compute }) as Arc<dyn Property>)
    });
}

pub fn register(registry: &mut Registry) {
    simple(registry, "formula", None, "reduced formula (SrTiO3)", |c, _| {
        Ok(Value::Text(c.crystal.composition().reduced_formula()))
    });
    simple(registry, "density", Some("g/cm^3"), "mass density", |c, _| {
        Ok(Value::Float(round(screen_engine::filter::density(c))))
    });
    simple(registry, "volume", Some("Å^3"), "cell volume", |c, _| Ok(Value::Float(round(c.crystal.volume()))));
    simple(registry, "volume_per_atom", Some("Å^3/atom"), "cell volume per atom", |c, _| {
        let n = c.crystal.composition().num_atoms();
        if n > 0.0 { Ok(Value::Float(round(c.crystal.volume() / n))) } else { Err(Rejection::new("empty cell")) }
    });
    simple(registry, "num_sites", None, "sites in the cell", |c, _| Ok(Value::Int(c.crystal.num_sites() as i64)));
}

/// Six significant decimals: what a CSV reader wants, and the same on every platform.
pub fn round(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let digits = 6 - x.abs().log10().floor() as i32 - 1;
    let f = 10f64.powi(digits.clamp(-300, 300));
    (x * f).round() / f
}

#[cfg(test)]
mod tests {
    use super::*;
    use screen_engine::plugin::Options;

    #[test]
    fn rounding_keeps_six_significant_digits() {
        assert_eq!(round(59.547_421_3), 59.5474);
        assert_eq!(round(5.116_712_8), 5.11671);
        assert_eq!(round(-0.000_123_456_78), -0.000123457);
    }

    #[test]
    fn properties_take_no_options() {
        let mut r = Registry::new();
        register(&mut r);
        let mut o = Options::new();
        o.insert("x", screen_engine::plugin::OptionValue::Int(1));
        assert!(r.property("density", &o).err().unwrap().contains("takes no options"));
    }
}
