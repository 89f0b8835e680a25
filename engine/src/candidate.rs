//! The unit of work of a screen: one candidate crystal, where it came from, and the named
//! values that stages have computed for it.
//!
//! Generators (prototype + substitution, structure files, databases) produce candidates in a
//! deterministic order (`index`); filters accept or reject them with a [`Rejection`] that names
//! the reason; transforms and predictors add [`Field`]s (formula, tolerance factor, predicted
//! formation energy …, each with its unit); sinks write them in `index` order.

use crate::chem::Element;
use crate::crystal::Crystal;
use std::borrow::Cow;
use std::fmt;

/// A candidate crystal flowing through a screen.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Stable identifier, the same on every run: e.g. `perovskite:Sr-Ti-O` for a substitution,
    /// or the record id of a database entry.
    pub id: String,
    /// Position in the generator's enumeration order (0-based). Output is written in this order
    /// whatever the number of threads.
    pub index: u64,
    pub crystal: Crystal,
    pub origin: Origin,
    /// Values computed by stages, in the order they were added (the column order of outputs).
    pub fields: Fields,
}

impl Candidate {
    pub fn new(id: impl Into<String>, index: u64, crystal: Crystal, origin: Origin) -> Self {
        Candidate { id: id.into(), index, crystal, origin, fields: Fields::default() }
    }
}

/// Where a candidate came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// Elements substituted into the orbits of a prototype.
    Substitution { prototype: String, assignment: Vec<OrbitAssignment> },
    /// A record of a structure file or database.
    Record { source: String, location: String },
}

/// The species placed on one Wyckoff orbit of a prototype (every site of the orbit gets it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrbitAssignment {
    /// The prototype's orbit label (`A`, `B`, `X`, or a Wyckoff label such as `4a`).
    pub orbit: String,
    pub element: Element,
    /// Oxidation state, when the substitution fixed one.
    pub oxidation: Option<i8>,
}

/// A named value computed by a stage.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Float(f64),
    Int(i64),
    Bool(bool),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Float(x) => write!(f, "{x}"),
            Value::Int(x) => write!(f, "{x}"),
            Value::Bool(x) => write!(f, "{x}"),
            Value::Text(x) => f.write_str(x),
        }
    }
}

/// A value with its unit (`None` for dimensionless quantities and text).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: Value,
    pub unit: Option<String>,
}

/// The fields of a candidate, in insertion order; setting an existing name replaces its value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(Vec<Field>);

impl Fields {
    pub fn set(&mut self, name: impl Into<String>, value: Value, unit: Option<&str>) {
        let name = name.into();
        let unit = unit.map(str::to_string);
        match self.0.iter_mut().find(|f| f.name == name) {
            Some(f) => {
                f.value = value;
                f.unit = unit;
            }
            None => self.0.push(Field { name, value, unit }),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Field> {
        self.0.iter().find(|f| f.name == name)
    }

    /// The value of a numeric field as f64 (ints converted), if present and numeric.
    pub fn number(&self, name: &str) -> Option<f64> {
        match self.get(name)?.value {
            Value::Float(x) => Some(x),
            Value::Int(x) => Some(x as f64),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Field> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why a filter rejected a candidate. `reason` is a short, fixed category that summaries count
/// ("not charge neutral", "tolerance factor out of range"); `detail` is the specific value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Cow<'static, str>,
    pub detail: Option<String>,
}

impl Rejection {
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Rejection { reason: reason.into(), detail: None }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_insertion_order_and_replace_by_name() {
        let mut f = Fields::default();
        f.set("formula", Value::Text("SrTiO3".into()), None);
        f.set("e_form", Value::Float(-1.5), Some("eV/cell"));
        f.set("formula", Value::Text("BaTiO3".into()), None);
        let names: Vec<_> = f.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["formula", "e_form"]);
        assert_eq!(f.get("formula").map(|x| x.value.to_string()), Some("BaTiO3".into()));
        assert_eq!(f.number("e_form"), Some(-1.5));
        assert_eq!(f.number("formula"), None);
    }

    #[test]
    fn rejection_display_names_reason_and_detail() {
        let r = Rejection::new("tolerance factor out of range").with_detail("t = 1.21");
        assert_eq!(r.to_string(), "tolerance factor out of range: t = 1.21");
    }
}
