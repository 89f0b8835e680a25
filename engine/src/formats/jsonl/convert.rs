//! JSON ⇄ crystal-model conversions shared by the JSON Lines and pymatgen JSON formats:
//! numbers, vectors, species strings ("Fe3+"), site occupancies, per-site properties, and
//! errors that carry the JSON path of the offending value.

use super::locate::{PathDisplay, Seg, line_column, locate};
use crate::chem::Element;
use crate::crystal::{CrystalError, Occupancy, PropertyValues, SiteProperty, Species};
use crate::error::ParseError;
use crate::math::{Mat3, Vec3};
use serde_json::{Map, Value};

/// Largest |oxidation state| accepted in species strings and pymatgen dicts: far beyond any
/// real one (−4…+9), small enough to print exactly.
pub(crate) const MAX_OXIDATION: f64 = 100.0;

/// Widest per-site property in which a site may leave its value out (null or missing).
const MAX_NULLABLE_WIDTH: usize = 64;

/// A problem with one value of a JSON document, found after parsing: what is wrong and
/// where (a path such as `frac_coords[2][1]`). Turned into a located [`ParseError`] by
/// [`FieldError::into_parse_error`], which finds the path in the source text.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub path: Vec<Seg>,
    pub message: String,
    /// A second value the message refers to (the other site of an overlapping pair).
    pub related: Option<Vec<Seg>>,
}

impl FieldError {
    pub fn new(message: impl Into<String>) -> Self {
        FieldError {
            path: Vec::new(),
            message: message.into(),
            related: None,
        }
    }

    pub fn at(path: Vec<Seg>, message: impl Into<String>) -> Self {
        FieldError {
            path,
            message: message.into(),
            related: None,
        }
    }

    /// Prefixes the path with an object member.
    pub fn in_key(mut self, key: &str) -> Self {
        self.path.insert(0, Seg::Key(key.to_string()));
        if let Some(r) = &mut self.related {
            r.insert(0, Seg::Key(key.to_string()));
        }
        self
    }

    /// Prefixes the path with an array index.
    pub fn in_index(mut self, index: usize) -> Self {
        self.path.insert(0, Seg::Index(index));
        if let Some(r) = &mut self.related {
            r.insert(0, Seg::Index(index));
        }
        self
    }

    /// Locates the error in `text` (which starts at line `first_line` of `file`) and writes
    /// it as `file:line:column: path: message`.
    pub fn into_parse_error(self, text: &str, file: &str, first_line: usize) -> ParseError {
        let position = |path: &[Seg]| {
            locate(text, path).map(|at| {
                let (line, column) = line_column(text, at);
                (line + first_line - 1, column)
            })
        };
        let mut message = if self.path.is_empty() {
            self.message
        } else {
            format!("{}: {}", PathDisplay(&self.path), self.message)
        };
        if let Some(related) = &self.related {
            message.push_str(&format!(" (other: {}", PathDisplay(related)));
            if let Some((line, column)) = position(related) {
                message.push_str(&format!(" at {line}:{column}"));
            }
            message.push(')');
        }
        match position(&self.path) {
            Some((line, column)) => ParseError::at_column(file, line, column, message),
            None => ParseError::at(file, first_line, message),
        }
    }
}

/// Turns a serde_json syntax error in `text` (starting at line `first_line`) into a located
/// error; serde_json counts columns in bytes, errors count characters.
pub(crate) fn syntax_error(e: &serde_json::Error, text: &str, file: &str, first_line: usize) -> ParseError {
    let full = e.to_string();
    let detail = full.rfind(" at line ").map_or(full.as_str(), |p| &full[..p]);
    let what = if e.is_eof() { "truncated JSON" } else { "invalid JSON" };
    let message = format!("{what}: {detail}");
    if e.line() == 0 {
        return ParseError::at(file, first_line, message);
    }
    let line_start = text
        .split_inclusive('\n')
        .take(e.line() - 1)
        .map(str::len)
        .sum::<usize>();
    let line_text = &text.as_bytes()[line_start.min(text.len())..];
    let end = (e.column().saturating_sub(1)).min(line_text.len());
    let column = line_text[..end].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
    ParseError::at_column(file, e.line() + first_line - 1, column, message)
}

/// Short description of a value for "found ..." in messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 40 => {
            format!("\"{}…\"", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("\"{s}\""),
        Value::Array(a) => format!("an array of {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

pub(crate) fn number(v: &Value) -> Result<f64, FieldError> {
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(FieldError::new(format!(
            "expected a finite number, found {}",
            describe(v)
        ))),
    }
}

pub(crate) fn array<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>, FieldError> {
    v.as_array()
        .ok_or_else(|| FieldError::new(format!("expected {what}, found {}", describe(v))))
}

pub(crate) fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, FieldError> {
    v.as_object()
        .ok_or_else(|| FieldError::new(format!("expected {what}, found {}", describe(v))))
}

/// Three finite numbers.
pub(crate) fn vec3(v: &Value) -> Result<Vec3, FieldError> {
    let a = array(v, "a list of 3 numbers")?;
    if a.len() != 3 {
        return Err(FieldError::new(format!(
            "expected a list of 3 numbers, found {} entries",
            a.len()
        )));
    }
    let mut out = [0.0; 3];
    for (i, x) in a.iter().enumerate() {
        out[i] = number(x).map_err(|e| e.in_index(i))?;
    }
    Ok(out)
}

/// A 3×3 matrix as three rows.
pub(crate) fn mat3(v: &Value) -> Result<Mat3, FieldError> {
    let a = array(v, "a 3x3 matrix (three rows of 3 numbers)")?;
    if a.len() != 3 {
        return Err(FieldError::new(format!(
            "expected a 3x3 matrix, found {} rows",
            a.len()
        )));
    }
    let mut out = [[0.0; 3]; 3];
    for (i, row) in a.iter().enumerate() {
        out[i] = vec3(row).map_err(|e| e.in_index(i))?;
    }
    Ok(out)
}

/// Three booleans (periodic boundary conditions).
pub(crate) fn pbc(v: &Value) -> Result<[bool; 3], FieldError> {
    let a = array(v, "3 booleans")?;
    match a.as_slice() {
        [x, y, z] => {
            let b = |i: usize, v: &Value| {
                v.as_bool()
                    .ok_or_else(|| FieldError::new(format!("expected a boolean, found {}", describe(v))).in_index(i))
            };
            Ok([b(0, x)?, b(1, y)?, b(2, z)?])
        }
        _ => Err(FieldError::new(format!(
            "expected 3 booleans, found {} entries",
            a.len()
        ))),
    }
}

/// Parses pymatgen species strings: "Fe", "Fe3+", "O2-", "Fe2.5+", "Na+" (charge 1).
pub(crate) fn parse_species(text: &str) -> Result<Species, String> {
    let s = text.trim();
    if !s.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(format!("expected an element symbol, found \"{text}\""));
    }
    let symbol_end = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| !c.is_ascii_lowercase())
        .map_or(s.len(), |(i, _)| i);
    let (symbol, charge) = s.split_at(symbol_end);
    let element = Element::from_symbol(symbol).map_err(|e| e.to_string())?;
    if charge.is_empty() {
        return Ok(Species::new(element));
    }
    let bad = || format!("bad oxidation state in species \"{text}\" (expected e.g. Fe3+, O2-)");
    let (magnitude, sign) = match charge.as_bytes() {
        [rest @ .., b'+'] => (rest, 1.0),
        [rest @ .., b'-'] => (rest, -1.0),
        _ => return Err(bad()),
    };
    if !magnitude.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return Err(bad());
    }
    let magnitude = match std::str::from_utf8(magnitude).unwrap_or("") {
        "" => 1.0,
        m => m.parse::<f64>().map_err(|_| bad())?,
    };
    oxidation(sign * magnitude).map(|ox| Species::with_oxidation(element, ox))
}

/// Checks an oxidation state: finite and at most [`MAX_OXIDATION`] in size.
pub(crate) fn oxidation(ox: f64) -> Result<f64, String> {
    if ox.is_finite() && ox.abs() <= MAX_OXIDATION {
        Ok(ox)
    } else {
        Err(format!("oxidation state {ox} is out of range (|ox| ≤ {MAX_OXIDATION})"))
    }
}

/// What can sit on a site in a JSON record: an atomic number (`26`), a species string
/// (`"Fe"`, `"Fe3+"`), or species with occupancies (`{"Fe": 0.5, "Ni": 0.5}`).
pub(crate) fn occupancy(v: &Value) -> Result<Occupancy, FieldError> {
    match v {
        Value::Number(n) => {
            let z = n
                .as_u64()
                .ok_or_else(|| FieldError::new(format!("expected an atomic number (a positive integer), found {n}")))?;
            let element = u32::try_from(z)
                .ok()
                .and_then(|z| Element::from_z(z).ok())
                .ok_or_else(|| FieldError::new(format!("unknown element Z={z} (known: 1 to {})", Element::COUNT)))?;
            Ok(Occupancy::ordered(element))
        }
        Value::String(s) => Ok(Occupancy::ordered(parse_species(s).map_err(FieldError::new)?)),
        Value::Object(m) => {
            if m.is_empty() {
                return Err(FieldError::new(
                    "empty species object: expected e.g. {\"Fe\": 0.5, \"Ni\": 0.5}",
                ));
            }
            let mut species = Vec::with_capacity(m.len());
            for (name, occ) in m {
                let sp = parse_species(name).map_err(|e| FieldError::at(vec![Seg::Key(name.clone())], e))?;
                let occ = number(occ).map_err(|e| e.in_key(name))?;
                species.push((sp, occ));
            }
            Ok(Occupancy::mixed(species))
        }
        other => Err(FieldError::new(format!(
            "expected an atomic number, a species string or a {{species: occupancy}} object, found {}",
            describe(other)
        ))),
    }
}

/// Inverse of [`occupancy`], as a serializable value: the atomic number for a plain ordered
/// site, the species string when it carries an oxidation state, otherwise an object of
/// occupancies in the site's order (equal species listed twice on one site are merged).
pub(crate) struct OccupancyJson<'a>(pub &'a Occupancy);

impl serde::Serialize for OccupancyJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0.species() {
            [(sp, occ)] if *occ == 1.0 => match sp.oxidation {
                None => s.serialize_u32(sp.element.z()),
                Some(_) => s.serialize_str(&sp.to_string()),
            },
            species => {
                let mut merged: Vec<(String, f64)> = Vec::with_capacity(species.len());
                for (sp, occ) in species {
                    let key = sp.to_string();
                    match merged.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, total)) => *total += occ,
                        None => merged.push((key, *occ)),
                    }
                }
                let mut map = s.serialize_map(Some(merged.len()))?;
                for (k, occ) in &merged {
                    map.serialize_entry(k, occ)?;
                }
                map.end()
            }
        }
    }
}

/// Builds a per-site property from one JSON value per site (`None`: the site lacks it).
/// A scalar per site gives width 1, a list of n gives width n. The first value sets the type:
/// booleans, strings, or numbers (integers when all are, reals otherwise). `null` (or a
/// missing value) is allowed in numeric properties, for a whole site or inside its list, and
/// reads as NaN (JSON has no NaN). pymatgen `Magmom` and numpy-array dicts are unwrapped to
/// their numbers.
pub(crate) fn site_property<'a>(values: &[Option<&'a Value>]) -> Result<SiteProperty, FieldError> {
    // pymatgen Magmom dicts hold their numbers in "moment", monty numpy dicts in "data".
    // (A Magmom's moment is itself a numpy dict: unwrap a few levels.)
    let unwrap = |mut v: &'a Value| -> &'a Value {
        for _ in 0..4 {
            match v.as_object().and_then(|m| m.get("moment").or_else(|| m.get("data"))) {
                Some(inner) => v = inner,
                None => break,
            }
        }
        v
    };
    let per_site: Vec<Option<&Value>> = values.iter().map(|v| v.map(unwrap).filter(|v| !v.is_null())).collect();
    let first = per_site.iter().flatten().next();
    // Lists per site give the width; scalars mean width 1.
    let list_len = match first {
        Some(Value::Array(a)) => Some(a.len()),
        _ => None,
    };
    let width = list_len.unwrap_or(1);
    let shape = || list_len.map_or("one value".to_string(), |n| format!("a list of {n}"));
    // A null stands for `width` values: bound the width so a few bytes cannot ask for much.
    if width > MAX_NULLABLE_WIDTH && per_site.iter().any(Option::is_none) {
        let site = per_site.iter().position(Option::is_none).unwrap_or(0);
        return Err(FieldError::new(format!(
            "missing value in a property of {width} values per site (null is allowed up to {MAX_NULLABLE_WIDTH})"
        ))
        .in_index(site));
    }
    let mut flat: Vec<Option<&Value>> = Vec::new();
    for (i, v) in per_site.iter().enumerate() {
        match (*v, list_len) {
            (None, _) => flat.extend(std::iter::repeat_n(None, width)),
            (Some(Value::Array(a)), Some(n)) if a.len() == n => flat.extend(a.iter().map(Some)),
            (Some(Value::Array(_)), _) | (Some(_), Some(_)) => {
                let found = v.map_or("nothing".to_string(), describe);
                return Err(FieldError::new(format!(
                    "expected {} per site like the other sites, found {found}",
                    shape()
                ))
                .in_index(i));
            }
            (Some(scalar), None) => flat.push(Some(scalar)),
        }
    }
    // Path of flat value k: the site, and the list position when values are lists.
    let error = |k: usize, what: &str, found: Option<&Value>| {
        let message = match found {
            Some(v) => format!("expected {what} like the other sites, found {}", describe(v)),
            None => format!("missing value: only numeric properties may be null ({what} expected)"),
        };
        let site = k / width.max(1);
        match (list_len, found) {
            (Some(_), Some(_)) => FieldError::new(message).in_index(k % width).in_index(site),
            _ => FieldError::new(message).in_index(site),
        }
    };
    // The first value sets the type (integers widen to reals); values that differ are errors.
    let values = match flat.iter().flatten().next() {
        Some(Value::String(_)) => PropertyValues::Str(typed(
            &flat,
            |v| v.as_str().map(str::to_string),
            |k, v| error(k, "a string", v),
        )?),
        Some(Value::Bool(_)) => PropertyValues::Bool(typed(&flat, Value::as_bool, |k, v| error(k, "a boolean", v))?),
        _ if flat.iter().all(|v| v.is_some_and(Value::is_i64)) => {
            PropertyValues::Int(typed(&flat, Value::as_i64, |k, v| error(k, "an integer", v))?)
        }
        _ => {
            let mut out = Vec::with_capacity(flat.len());
            for (k, v) in flat.iter().enumerate() {
                match v {
                    None | Some(Value::Null) => out.push(f64::NAN),
                    Some(v) => out.push(
                        v.as_f64()
                            .filter(|x| x.is_finite())
                            .ok_or_else(|| error(k, "a number", Some(v)))?,
                    ),
                }
            }
            PropertyValues::Real(out)
        }
    };
    Ok(SiteProperty { width, values })
}

/// Converts every value with `get`; a missing or mistyped one is an error from `error`.
fn typed<T>(
    flat: &[Option<&Value>],
    get: impl Fn(&Value) -> Option<T>,
    error: impl Fn(usize, Option<&Value>) -> FieldError,
) -> Result<Vec<T>, FieldError> {
    flat.iter()
        .enumerate()
        .map(|(k, v)| v.and_then(&get).ok_or_else(|| error(k, *v)))
        .collect()
}

/// The JSON value of `prop` at `site`: a scalar for width 1, a list otherwise (NaN → null).
pub(crate) fn site_property_value(prop: &SiteProperty, site: usize) -> Value {
    let w = prop.width;
    let range = site * w..(site + 1) * w;
    let items: Vec<Value> = match &prop.values {
        PropertyValues::Real(v) => v
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|x| Value::from(*x))
            .collect(),
        PropertyValues::Int(v) => v
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|x| Value::from(*x))
            .collect(),
        PropertyValues::Bool(v) => v
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|x| Value::from(*x))
            .collect(),
        PropertyValues::Str(v) => v
            .get(range)
            .unwrap_or_default()
            .iter()
            .map(|x| Value::from(x.as_str()))
            .collect(),
    };
    match <[Value; 1]>::try_from(items) {
        Ok([one]) if w == 1 => one,
        Ok(one) => Value::Array(one.to_vec()),
        Err(items) => Value::Array(items),
    }
}

/// Where a model validation error points: the site it names (via `site_path`) or, for
/// errors about the whole cell, `lattice_path`; overlapping pairs name both sites.
pub(crate) fn validation_error(
    e: CrystalError,
    site_path: &dyn Fn(usize) -> Vec<Seg>,
    species_path: &dyn Fn(usize) -> Vec<Seg>,
    lattice_path: Vec<Seg>,
    properties_path: &dyn Fn(&str) -> Vec<Seg>,
) -> FieldError {
    let path = match &e {
        CrystalError::BadOccupancy { site, .. } | CrystalError::OccupancyAboveOne { site, .. } => species_path(*site),
        CrystalError::OverlappingSites { second, .. } => site_path(*second),
        CrystalError::PropertyLength { name, .. } => properties_path(name),
        CrystalError::NoSites => species_path(0).into_iter().take(1).collect(),
        _ => lattice_path,
    };
    let related = match &e {
        CrystalError::OverlappingSites { first, .. } => Some(site_path(*first)),
        _ => None,
    };
    FieldError {
        path,
        message: e.to_string(),
        related,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn species_strings() {
        let fe = Element::from_symbol("Fe").unwrap();
        assert_eq!(parse_species("Fe").unwrap(), Species::new(fe));
        assert_eq!(parse_species("Fe3+").unwrap(), Species::with_oxidation(fe, 3.0));
        assert_eq!(parse_species("Fe2.5+").unwrap(), Species::with_oxidation(fe, 2.5));
        assert_eq!(parse_species("O2-").unwrap().oxidation, Some(-2.0));
        assert_eq!(parse_species("Na+").unwrap().oxidation, Some(1.0));
        for bad in ["fe", "Xx", "Fe3", "Fe+3+", "FeNaN+", "Fe1e9+", "", "3Fe", "Fe999+"] {
            assert!(parse_species(bad).is_err(), "{bad}");
        }
        for s in ["Fe", "Fe3+", "O2-", "Fe2.5+", "Fe0.30000000000000004+"] {
            assert_eq!(parse_species(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn occupancies_round_trip() {
        for v in [json!(26), json!("Fe3+"), json!({"Fe": 0.5, "Ni2+": 0.25})] {
            let written = serde_json::to_string(&OccupancyJson(&occupancy(&v).unwrap())).unwrap();
            assert_eq!(written, v.to_string());
        }
        assert!(occupancy(&json!(0)).unwrap_err().message.contains("Z=0"));
        assert!(occupancy(&json!(104)).unwrap_err().message.contains("Z=104"));
        assert!(occupancy(&json!(26.5)).is_err());
        assert!(occupancy(&json!(-3)).is_err());
        assert!(occupancy(&json!({})).is_err());
        let e = occupancy(&json!({"Fe": "half"})).unwrap_err();
        assert_eq!(e.path, vec![Seg::Key("Fe".into())]);
    }

    #[test]
    fn site_properties_keep_type_and_width() {
        let vals = [json!(1.5), json!(0.0)];
        let p = site_property(&vals.iter().map(Some).collect::<Vec<_>>()).unwrap();
        assert_eq!(p, SiteProperty::real(1, vec![1.5, 0.0]));
        assert_eq!(site_property_value(&p, 1), json!(0.0));
        let vals = [json!([true, true, false]), json!([false, false, false])];
        let p = site_property(&vals.iter().map(Some).collect::<Vec<_>>()).unwrap();
        assert_eq!((p.width, p.values.len()), (3, 6));
        assert!(matches!(p.values, PropertyValues::Bool(_)));
        assert_eq!(site_property_value(&p, 0), json!([true, true, false]));
        let vals = [json!(1), json!(2)];
        let p = site_property(&vals.iter().map(Some).collect::<Vec<_>>()).unwrap();
        assert_eq!(p.values, PropertyValues::Int(vec![1, 2]));
        // Missing and null numeric values read as NaN; Magmom dicts are unwrapped.
        let m = json!({"@class": "Magmom", "moment": {"@module": "numpy", "data": [0.0, 0.0, 1.0]}});
        let p = site_property(&[Some(&m), None]).unwrap();
        assert_eq!(p.width, 3);
        assert!(site_property_value(&p, 1) == json!([null, null, null]));
        // ... and what is written that way reads back (nulls inside lists too).
        let vals = [json!([0.0, 0.0, 1.0]), json!([null, null, null])];
        let q = site_property(&vals.iter().map(Some).collect::<Vec<_>>()).unwrap();
        assert_eq!(site_property_value(&q, 1), json!([null, null, null]));
        assert_eq!(q.values.len(), 6);
        // Width and type mismatches are errors naming the site.
        let vals = [json!([1.0, 2.0]), json!([1.0])];
        assert_eq!(
            site_property(&vals.iter().map(Some).collect::<Vec<_>>())
                .unwrap_err()
                .path,
            vec![Seg::Index(1)]
        );
        let vals = [json!("a"), json!(1)];
        assert!(site_property(&vals.iter().map(Some).collect::<Vec<_>>()).is_err());
        let vals = [json!([[1.0]])];
        assert!(site_property(&vals.iter().map(Some).collect::<Vec<_>>()).is_err());
    }

    #[test]
    fn errors_are_located() {
        let text = "{\"a\": 1,\n \"frac_coords\": [[0, 0, 0], [0.5, \"x\", 0]]}";
        let v: Value = serde_json::from_str(text).unwrap();
        let e = vec3(&v["frac_coords"][1])
            .unwrap_err()
            .in_index(1)
            .in_key("frac_coords");
        let p = e.into_parse_error(text, "f.json", 1);
        assert_eq!(
            p.to_string(),
            "f.json:2:35: frac_coords[1][1]: expected a finite number, found \"x\""
        );
        let e = serde_json::from_str::<Value>("{\"a\": [1,\n 2,, 3]}").unwrap_err();
        let p = syntax_error(&e, "{\"a\": [1,\n 2,, 3]}", "g.json", 10);
        assert_eq!((p.line, p.column), (Some(11), Some(4)));
        assert!(p.message.starts_with("invalid JSON: expected value"), "{}", p.message);
    }
}
