//! Options of a stage, as written in a script's map literal (`#{ min: 0.8, max: 1.1 }`).

use std::collections::BTreeMap;
use std::fmt;

/// One option value.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    Float(f64),
    Int(i64),
    Bool(bool),
    Text(String),
    List(Vec<OptionValue>),
}

impl fmt::Display for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Float(x) => write!(f, "{x}"),
            OptionValue::Int(x) => write!(f, "{x}"),
            OptionValue::Bool(x) => write!(f, "{x}"),
            OptionValue::Text(x) => write!(f, "\"{x}\""),
            OptionValue::List(v) => {
                f.write_str("[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Named options of a filter or property. Getters return a message naming the option and
/// what was expected; [`Options::finish`] rejects names the plugin did not read (typos).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    values: BTreeMap<String, OptionValue>,
    read: std::cell::RefCell<Vec<String>>,
}

impl Options {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, value: OptionValue) {
        self.values.insert(name.into(), value);
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &OptionValue)> {
        self.values.iter()
    }

    fn take(&self, name: &str) -> Option<&OptionValue> {
        self.read.borrow_mut().push(name.to_string());
        self.values.get(name)
    }

    /// A number (ints accepted), if given.
    pub fn float(&self, name: &str) -> Result<Option<f64>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(OptionValue::Float(x)) => Ok(Some(*x)),
            Some(OptionValue::Int(x)) => Ok(Some(*x as f64)),
            Some(other) => Err(format!("option '{name}' must be a number, got {other}")),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(OptionValue::Int(x)) => Ok(Some(*x)),
            Some(other) => Err(format!("option '{name}' must be an integer, got {other}")),
        }
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(OptionValue::Bool(x)) => Ok(Some(*x)),
            Some(other) => Err(format!("option '{name}' must be true or false, got {other}")),
        }
    }

    pub fn text(&self, name: &str) -> Result<Option<String>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(OptionValue::Text(x)) => Ok(Some(x.clone())),
            Some(other) => Err(format!("option '{name}' must be a string, got {other}")),
        }
    }

    /// A list of strings (a single string is a list of one).
    pub fn texts(&self, name: &str) -> Result<Option<Vec<String>>, String> {
        match self.take(name) {
            None => Ok(None),
            Some(OptionValue::Text(x)) => Ok(Some(vec![x.clone()])),
            Some(OptionValue::List(v)) => v
                .iter()
                .map(|x| match x {
                    OptionValue::Text(s) => Ok(s.clone()),
                    other => Err(format!("option '{name}' must be a list of strings, found {other}")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(format!("option '{name}' must be a list of strings, got {other}")),
        }
    }

    /// Every option, marked as read (for plugins that pass options through, like Rhai ones).
    pub fn take_all(&self) -> Vec<(String, OptionValue)> {
        self.read.borrow_mut().extend(self.values.keys().cloned());
        self.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Fails on options that no getter asked for, listing the ones that were.
    pub fn finish(&self) -> Result<(), String> {
        let read = self.read.borrow();
        let unknown: Vec<&String> = self.values.keys().filter(|k| !read.contains(k)).collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let mut known: Vec<&String> = read.iter().collect();
        known.sort();
        known.dedup();
        let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        Err(format!(
            "unknown option{} {} (known: {})",
            if unknown.len() > 1 { "s" } else { "" },
            list(&unknown),
            if known.is_empty() { "none".to_string() } else { list(&known) }
        ))
    }
}

impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}: {v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_getters_and_unknown_options() {
        let mut o = Options::new();
        o.insert("min", OptionValue::Int(1));
        o.insert("mx", OptionValue::Float(2.0));
        assert_eq!(o.float("min"), Ok(Some(1.0)));
        assert_eq!(o.float("max"), Ok(None));
        assert!(o.text("min").unwrap_err().contains("'min' must be a string"));
        let e = o.finish().unwrap_err();
        assert!(e.contains("unknown option mx") && e.contains("known: max, min"), "{e}");
    }
}
