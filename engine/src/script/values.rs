//! Conversions between Rhai values and the engine's field and option values.

use crate::candidate::Value;
use crate::plugin::{OptionValue, Options};
use rhai::{Array, Dynamic, Map};

pub fn field_to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Float(x) => Dynamic::from_float(*x),
        Value::Int(x) => Dynamic::from_int(*x),
        Value::Bool(x) => Dynamic::from_bool(*x),
        Value::Text(x) => Dynamic::from(x.clone()),
    }
}

/// A script value as a field value (numbers, booleans, strings).
pub fn dynamic_to_field(d: &Dynamic) -> Result<Value, String> {
    if let Ok(x) = d.as_float() {
        Ok(Value::Float(x))
    } else if let Ok(x) = d.as_int() {
        Ok(Value::Int(x))
    } else if let Ok(x) = d.as_bool() {
        Ok(Value::Bool(x))
    } else if d.is_string() {
        Ok(Value::Text(d.to_string()))
    } else {
        Err(format!("expected a number, bool or string, got {}", d.type_name()))
    }
}

pub fn dynamic_to_option(d: &Dynamic) -> Result<OptionValue, String> {
    if let Ok(x) = d.as_float() {
        Ok(OptionValue::Float(x))
    } else if let Ok(x) = d.as_int() {
        Ok(OptionValue::Int(x))
    } else if let Ok(x) = d.as_bool() {
        Ok(OptionValue::Bool(x))
    } else if d.is_string() {
        Ok(OptionValue::Text(d.to_string()))
    } else if d.is_array() {
        let a = d.clone().cast::<Array>();
        Ok(OptionValue::List(a.iter().map(dynamic_to_option).collect::<Result<_, _>>()?))
    } else {
        Err(format!("option values are numbers, bools, strings or arrays of them, got {}", d.type_name()))
    }
}

pub fn map_to_options(map: &Map) -> Result<Options, String> {
    let mut o = Options::new();
    for (k, v) in map {
        o.insert(k.to_string(), dynamic_to_option(v).map_err(|e| format!("option '{k}': {e}"))?);
    }
    Ok(o)
}

pub fn option_to_dynamic(v: &OptionValue) -> Dynamic {
    match v {
        OptionValue::Float(x) => Dynamic::from_float(*x),
        OptionValue::Int(x) => Dynamic::from_int(*x),
        OptionValue::Bool(x) => Dynamic::from_bool(*x),
        OptionValue::Text(x) => Dynamic::from(x.clone()),
        OptionValue::List(v) => Dynamic::from_array(v.iter().map(option_to_dynamic).collect()),
    }
}

/// All options as a Rhai map (marks them read).
pub fn options_to_map(o: &Options) -> Map {
    o.take_all().iter().map(|(k, v)| (k.as_str().into(), option_to_dynamic(v))).collect()
}

/// Strings of an array (`["Sr", "Ba"]`), with the offending item named otherwise.
pub fn strings(a: &Array, what: &str) -> Result<Vec<String>, String> {
    a.iter()
        .enumerate()
        .map(|(i, d)| {
            if d.is_string() { Ok(d.to_string()) } else { Err(format!("{what}[{i}]: expected a string, got {}", d.type_name())) }
        })
        .collect()
}
