//! Structure → extended XYZ frame.

use crate::crystal::{Properties, PropertyValues, SiteProperties, Structure};
use crate::math::Vec3;
use serde_json::Value;
use std::io::{self, Write};

/// Keys the writer sets itself; structure properties of these names are not written.
const RESERVED: [&str; 3] = ["lattice", "properties", "pbc"];
/// Column names of species and positions; site properties of these names get a prefix.
const COLUMN_NAMES: [&str; 3] = ["species", "pos", "Z"];

/// Writes one extended XYZ frame. Crystals get `Lattice` and `pbc`; molecules neither.
/// Disordered crystals cannot be written (one species per atom line).
pub fn write(structure: &Structure, out: &mut dyn Write) -> io::Result<()> {
    let (symbols, positions, lattice, pbc, properties, site_properties): (
        Vec<&str>,
        Vec<Vec3>,
        _,
        _,
        &Properties,
        &SiteProperties,
    ) = match structure {
        Structure::Crystal(c) => {
            let symbols = c
                .sites
                .iter()
                .map(|s| s.occupancy.element().map(|e| e.symbol()))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| io::Error::other("XYZ cannot hold partial occupancies"))?;
            let positions = (0..c.num_sites()).map(|i| c.cartesian(i)).collect();
            (symbols, positions, Some(*c.lattice.matrix()), Some(c.pbc), &c.properties, &c.site_properties)
        }
        Structure::Molecule(m) => (
            m.species.iter().map(|s| s.element.symbol()).collect(),
            m.positions.clone(),
            None,
            None,
            &m.properties,
            &m.site_properties,
        ),
    };
    let n = symbols.len();
    // Only well-formed site properties can be columns.
    let columns: Vec<(String, &PropertyValues, usize)> = site_properties
        .iter()
        .filter(|(_, p)| p.width > 0 && p.values.len() == p.width * n)
        .map(|(name, p)| {
            let mut name = name.replace(|c: char| c.is_whitespace() || matches!(c, ':' | '=' | '"' | '\''), "_");
            if name.is_empty() || COLUMN_NAMES.contains(&name.as_str()) {
                name = format!("site_{name}");
            }
            (name, &p.values, p.width)
        })
        .collect();

    let mut text = String::with_capacity(80 * (n + 2));
    text.push_str(&format!("{n}\n"));
    let mut header: Vec<String> = Vec::new();
    if let Some(m) = lattice {
        let values: Vec<String> = m.iter().flatten().map(|v| real(*v)).collect();
        header.push(format!("Lattice=\"{}\"", values.join(" ")));
    }
    let mut spec = String::from("species:S:1:pos:R:3");
    for (name, values, width) in &columns {
        let kind = match values {
            PropertyValues::Real(_) => 'R',
            PropertyValues::Int(_) => 'I',
            PropertyValues::Bool(_) => 'L',
            PropertyValues::Str(_) => 'S',
        };
        spec.push_str(&format!(":{name}:{kind}:{width}"));
    }
    header.push(format!("Properties={spec}"));
    for (key, value) in properties {
        if key.is_empty() || RESERVED.contains(&key.to_ascii_lowercase().as_str()) {
            continue;
        }
        header.push(format!("{}={}", quote_if_needed(key), info_value(value)));
    }
    if let Some(p) = pbc {
        let flag = |b: bool| if b { "T" } else { "F" };
        header.push(format!("pbc=\"{} {} {}\"", flag(p[0]), flag(p[1]), flag(p[2])));
    }
    text.push_str(&header.join(" "));
    text.push('\n');
    for (i, (symbol, p)) in symbols.iter().zip(&positions).enumerate() {
        text.push_str(&format!("{symbol:<3}{:>24}{:>24}{:>24}", real(p[0]), real(p[1]), real(p[2])));
        for (_, values, width) in &columns {
            for k in i * width..(i + 1) * width {
                text.push(' ');
                match values {
                    PropertyValues::Real(v) => text.push_str(&format!("{:>23}", real(v[k]))),
                    PropertyValues::Int(v) => text.push_str(&v[k].to_string()),
                    PropertyValues::Bool(v) => text.push(if v[k] { 'T' } else { 'F' }),
                    PropertyValues::Str(v) => text.push_str(&field(&v[k])),
                }
            }
        }
        text.push('\n');
    }
    out.write_all(text.as_bytes())
}

/// The shortest text that reads back as exactly `v` (exponent form for very small or large
/// magnitudes, which ASE and this reader accept).
fn real(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && a.is_finite() && !(1e-5..1e16).contains(&a) { format!("{v:e}") } else { format!("{v:?}") }
}

/// A string as one atom-line field: whitespace becomes '_', empty becomes '_'.
fn field(s: &str) -> String {
    if s.is_empty() { "_".into() } else { s.split_whitespace().collect::<Vec<_>>().join("_") }
}

/// A key or string value, quoted (with escapes) when it holds anything but plain characters.
fn quote_if_needed(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '/' | '@' | '#' | '%'));
    if plain { s.to_string() } else { quote(s) }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A property value in the form the reader turns back into the same JSON value: scalars and
/// flat arrays of two or more numbers or booleans as extXYZ text, everything else (strings
/// that would read as numbers, nested or mixed arrays, objects, null) as `_JSON`.
fn info_value(value: &Value) -> String {
    let json = || quote(&format!("_JSON {value}"));
    match value {
        Value::Bool(b) => (if *b { "T" } else { "F" }).to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let words: Vec<&str> = s.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
            let ambiguous = words.is_empty()
                || words.iter().all(|w| w.parse::<f64>().is_ok() || super::info::boolean(w).is_some())
                || s.starts_with("_JSON ")
                || s != s.trim();
            if ambiguous { json() } else { quote_if_needed(s) }
        }
        Value::Array(items) if items.len() >= 2 => {
            if items.iter().all(Value::is_number) {
                let all_int = items.iter().all(|v| v.is_i64() || v.is_u64());
                let all_real = items.iter().all(Value::is_f64);
                if all_int || all_real {
                    let words: Vec<String> = items.iter().map(|v| v.to_string()).collect();
                    return quote(&words.join(" "));
                }
            } else if items.iter().all(Value::is_boolean) {
                let words: Vec<&str> =
                    items.iter().map(|v| if v.as_bool() == Some(true) { "T" } else { "F" }).collect();
                return quote(&words.join(" "));
            }
            json()
        }
        _ => json(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_exact() {
        for v in [0.0, -0.0, 1.5, 0.1, 1.0 / 3.0, 1e-7, -2.5e20, 12345.678901234567] {
            let back: f64 = real(v).parse().unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v} -> {}", real(v));
        }
        assert_eq!(real(2.0), "2.0");
        assert_eq!(real(1e-7), "1e-7");
    }

    #[test]
    fn values_read_back() {
        use serde_json::json;
        assert_eq!(info_value(&json!(true)), "T");
        assert_eq!(info_value(&json!(-1.5)), "-1.5");
        assert_eq!(info_value(&json!("bulk")), "bulk");
        assert_eq!(info_value(&json!("two words")), "\"two words\"");
        assert_eq!(info_value(&json!("1.5")), r#""_JSON \"1.5\"""#);
        assert_eq!(info_value(&json!([1, 2, 3])), "\"1 2 3\"");
        assert_eq!(info_value(&json!([1])), "\"_JSON [1]\"");
        assert_eq!(info_value(&json!([1, 2.5])), "\"_JSON [1,2.5]\"");
    }
}
