//! Generic adapters: a pure function plus an options struct becomes a named stage.

use screen_engine::candidate::{Candidate, Rejection, Value};
use screen_engine::plugin::{Column, Filter, OptionValue, Options, Property};
use serde::de::DeserializeOwned;

fn json(v: &OptionValue) -> serde_json::Value {
    match v {
        OptionValue::Float(x) => serde_json::json!(x),
        OptionValue::Int(x) => serde_json::json!(x),
        OptionValue::Bool(x) => serde_json::json!(x),
        OptionValue::Text(x) => serde_json::json!(x),
        OptionValue::List(v) => serde_json::Value::Array(v.iter().map(json).collect()),
    }
}

/// Deserialises options into `O` (unknown keys are the struct's business: the engine's
/// options structs refuse them).
pub fn options_json<O: DeserializeOwned>(options: &Options) -> Result<O, String> {
    let map: serde_json::Map<String, serde_json::Value> = options.take_all().iter().map(|(k, v)| (k.clone(), json(v))).collect();
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| e.to_string())
}

/// A filter from a function and its parsed options.
pub struct FnFilter<O> {
    pub name: String,
    pub options: O,
    pub check: fn(&Candidate, &O) -> Result<(), Rejection>,
}

impl<O: Send + Sync> Filter for FnFilter<O> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn check(&self, c: &Candidate) -> Result<(), Rejection> {
        (self.check)(c, &self.options)
    }
}

/// A property computed by a function, stored under `column`.
pub struct FnProperty<O> {
    pub column: Column,
    pub options: O,
    pub compute: fn(&Candidate, &O) -> Result<Value, Rejection>,
}

impl<O: Send + Sync> Property for FnProperty<O> {
    fn name(&self) -> String {
        self.column.name.clone()
    }

    fn columns(&self) -> Vec<Column> {
        vec![self.column.clone()]
    }

    fn compute(&self, c: &mut Candidate) -> Result<(), Rejection> {
        let v = (self.compute)(c, &self.options)?;
        c.fields.set(self.column.name.clone(), v, self.column.unit.as_deref());
        Ok(())
    }
}

/// Options label for summaries: `name` or `name (min: 0.8, max: 1.1)`.
pub fn label(name: &str, options: &Options) -> String {
    if options.is_empty() { name.to_string() } else { format!("{name} ({options})") }
}
