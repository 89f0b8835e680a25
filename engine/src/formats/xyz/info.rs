//! The comment line of an extended XYZ frame: `key=value` pairs turned into typed values,
//! with `Lattice`, `pbc` and `Properties` taken apart.

use super::{Rule, XyzParser};
use crate::crystal::Properties;
use crate::math::Mat3;
use pest::Parser;
use pest::iterators::Pair;
use serde_json::Value;

/// What a comment line says. Columns are 1-based character columns of the values, for errors.
#[derive(Debug, Default)]
pub(super) struct Info {
    /// Lattice vectors as rows (Å) and the column of the value.
    pub lattice: Option<(Mat3, usize)>,
    pub pbc: Option<[bool; 3]>,
    /// The `Properties` specification and the column of the value.
    pub properties: Option<(String, usize)>,
    /// Every other key.
    pub extra: Properties,
}

/// A problem on the comment line: 1-based column and message.
pub(super) type InfoError = (usize, String);

/// A value as written, before interpretation.
enum Raw {
    /// Quoted or bare text (quotes removed, escapes resolved).
    Text(String),
    /// A bracketed array: items, or rows of items for a nested array.
    Array(Vec<RawItem>),
}

enum RawItem {
    Item(String),
    Row(Vec<String>),
}

/// Parses a comment line. A line without `=` is free text (kept as `comment`); so is a line
/// that is not valid key=value syntax and names no `Lattice` or `Properties`, since plain XYZ
/// comments may contain stray quotes.
pub(super) fn parse(line: &str) -> Result<Info, InfoError> {
    let text = line.trim();
    let mut info = Info::default();
    if !text.contains('=') {
        if !text.is_empty() {
            info.extra.insert("comment".into(), Value::String(text.to_string()));
        }
        return Ok(info);
    }
    let pairs = match XyzParser::parse(Rule::info, line) {
        Ok(mut pairs) => pairs.next().map(|p| p.into_inner()),
        Err(e) => {
            let lower = text.to_ascii_lowercase();
            if lower.contains("lattice=") || lower.contains("properties=") {
                return Err(syntax_error(line, e));
            }
            info.extra.insert("comment".into(), Value::String(text.to_string()));
            return Ok(info);
        }
    };
    for pair in pairs.into_iter().flatten().filter(|p| p.as_rule() == Rule::pair) {
        let mut parts = pair.into_inner();
        let Some(key) = parts.next() else { continue };
        let key = key.into_inner().next().map_or_else(String::new, text_of);
        let value = parts.next();
        let column = value.as_ref().map_or(1, |v| column_of(line, v.as_span().start()));
        let raw = value.map(raw_value);
        match key.to_ascii_lowercase().as_str() {
            "lattice" => info.lattice = Some((lattice(raw, column)?, column)),
            "pbc" => info.pbc = Some(pbc(raw, column)?),
            "properties" => match raw {
                Some(Raw::Text(spec)) => info.properties = Some((spec, column)),
                _ => {
                    return Err((
                        column,
                        "Properties must be name:type:width triples, e.g. species:S:1:pos:R:3".into(),
                    ));
                }
            },
            _ => {
                let value = raw.map_or(Value::Bool(true), interpret);
                info.extra.insert(key, value);
            }
        }
    }
    Ok(info)
}

/// The 1-based character column of byte `offset` in `line`.
pub(super) fn column_of(line: &str, offset: usize) -> usize {
    line.get(..offset).map_or(1, |s| s.chars().count() + 1)
}

fn syntax_error(line: &str, e: pest::error::Error<Rule>) -> InfoError {
    // An unclosed quote is the usual cause: name it.
    let mut open: Option<(usize, char)> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match open {
            _ if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some((_, q)) if c == q => open = None,
            None if c == '"' => open = Some((i, c)),
            _ => {}
        }
    }
    if let Some((offset, q)) = open {
        return (column_of(line, offset), format!("unterminated quoted value: the {q} opened here is never closed"));
    }
    let column = match e.line_col {
        pest::error::LineColLocation::Pos((_, c)) | pest::error::LineColLocation::Span((_, c), _) => c,
    };
    (column, "invalid extended XYZ key=value syntax".into())
}

/// Unquoted text of a `quoted`, `bare`, `bare_key` or `scalar` pair.
fn text_of(pair: Pair<Rule>) -> String {
    match pair.as_rule() {
        Rule::quoted => pair.into_inner().next().map_or_else(String::new, |t| unescape(t.as_str())),
        Rule::item => pair.into_inner().next().map_or_else(String::new, text_of),
        _ => pair.as_str().to_string(),
    }
}

/// Resolves backslash escapes: `\n` is a line break, any other escaped character stands for
/// itself.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn raw_value(value: Pair<Rule>) -> Raw {
    let Some(inner) = value.into_inner().next() else { return Raw::Text(String::new()) };
    match inner.as_rule() {
        Rule::array => Raw::Array(
            inner
                .into_inner()
                .map(|element| {
                    let element = match element.as_rule() {
                        Rule::element => element.into_inner().next(),
                        _ => Some(element),
                    };
                    match element {
                        Some(e) if e.as_rule() == Rule::inner_array => {
                            RawItem::Row(e.into_inner().map(text_of).collect())
                        }
                        Some(e) => RawItem::Item(text_of(e)),
                        None => RawItem::Item(String::new()),
                    }
                })
                .collect(),
        ),
        _ => Raw::Text(text_of(inner)),
    }
}

/// Words of a text value, as ASE splits them (whitespace and commas).
fn words(s: &str) -> Vec<&str> {
    s.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect()
}

/// Typed values of a list of words: all integers, all reals, all booleans, or `None`.
fn typed(words: &[&str]) -> Option<Vec<Value>> {
    if words.is_empty() {
        return None;
    }
    if let Some(ints) = words.iter().map(|w| w.parse::<i64>().ok().map(Value::from)).collect::<Option<Vec<_>>>() {
        return Some(ints);
    }
    if let Some(reals) = words.iter().map(|w| w.parse::<f64>().ok().map(|v| real(v, w))).collect::<Option<Vec<_>>>() {
        return Some(reals);
    }
    words.iter().map(|w| boolean(w).map(Value::Bool)).collect()
}

/// A real as JSON; JSON has no NaN or infinity, so those keep their text.
fn real(v: f64, text: &str) -> Value {
    serde_json::Number::from_f64(v).map_or_else(|| Value::String(text.to_string()), Value::Number)
}

/// T/F in the spellings ASE accepts.
pub(super) fn boolean(w: &str) -> Option<bool> {
    match w {
        "T" | "True" | "true" | "TRUE" => Some(true),
        "F" | "False" | "false" | "FALSE" => Some(false),
        _ => None,
    }
}

/// ASE's interpretation of a value: numbers, booleans, arrays of them, JSON, or text.
fn interpret(raw: Raw) -> Value {
    match raw {
        Raw::Text(s) => {
            if let Some(mut values) = typed(&words(&s)) {
                return if values.len() == 1 { values.remove(0) } else { Value::Array(values) };
            }
            if let Some(json) = s.strip_prefix("_JSON ")
                && let Ok(v) = serde_json::from_str(json)
            {
                return v;
            }
            Value::String(s)
        }
        Raw::Array(items) => Value::Array({
            let flat: Option<Vec<&str>> =
                items.iter().map(|i| if let RawItem::Item(s) = i { Some(s.as_str()) } else { None }).collect();
            match flat {
                Some(words) => {
                    typed(&words).unwrap_or_else(|| words.iter().map(|w| Value::String(w.to_string())).collect())
                }
                None => items
                    .iter()
                    .map(|item| match item {
                        RawItem::Item(s) => interpret(Raw::Text(s.clone())),
                        RawItem::Row(row) => {
                            let words: Vec<&str> = row.iter().map(String::as_str).collect();
                            Value::Array(
                                typed(&words).unwrap_or_else(|| row.iter().cloned().map(Value::String).collect()),
                            )
                        }
                    })
                    .collect(),
            }
        }),
    }
}

/// The words of a value, whatever its form.
fn raw_words(raw: &Raw) -> Vec<String> {
    match raw {
        Raw::Text(s) => words(s).into_iter().map(String::from).collect(),
        Raw::Array(items) => items
            .iter()
            .flat_map(|i| match i {
                RawItem::Item(s) => vec![s.clone()],
                RawItem::Row(r) => r.clone(),
            })
            .collect(),
    }
}

fn lattice(raw: Option<Raw>, column: usize) -> Result<Mat3, InfoError> {
    let words = raw.as_ref().map(raw_words).unwrap_or_default();
    let expected = "Lattice must be 9 numbers (a1 a2 a3 b1 b2 b3 c1 c2 c3, in Å)";
    if words.len() != 9 {
        return Err((
            column,
            format!("{expected}, found {} value{}", words.len(), if words.len() == 1 { "" } else { "s" }),
        ));
    }
    let mut m = [[0.0; 3]; 3];
    for (i, w) in words.iter().enumerate() {
        let v: f64 = w.parse().map_err(|_| (column, format!("{expected}, found '{w}'")))?;
        if !v.is_finite() {
            return Err((column, format!("Lattice values must be finite numbers, found '{w}'")));
        }
        m[i / 3][i % 3] = v;
    }
    Ok(m)
}

fn pbc(raw: Option<Raw>, column: usize) -> Result<[bool; 3], InfoError> {
    let Some(raw) = raw else { return Ok([true; 3]) };
    let words = raw_words(&raw);
    let flags: Option<Vec<bool>> = words.iter().map(|w| boolean(w)).collect();
    match flags.as_deref() {
        Some([a, b, c]) => Ok([*a, *b, *c]),
        Some([a]) => Ok([*a; 3]),
        _ => Err((column, format!("pbc must be three T/F flags, found '{}'", words.join(" ")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ase_value_semantics() {
        let info = parse(
            r#"Lattice="1 0 0 0 2 0 0 0 3" Properties=species:S:1:pos:R:3 energy=-1.5 n=3 flag name="a \"b\"" arr=[1, 2, 3] grid=[[1,2],[3,4]] old={1 2} t=T list="T F" s=bulk js="_JSON {\"a\": 1}" nan=nan e = 2"#,
        )
        .unwrap();
        let (m, col) = info.lattice.unwrap();
        assert_eq!(m, [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]);
        assert_eq!(col, 9);
        assert_eq!(info.properties.unwrap().0, "species:S:1:pos:R:3");
        let x = &info.extra;
        assert_eq!(x["energy"], json!(-1.5));
        assert_eq!(x["n"], json!(3));
        assert_eq!(x["flag"], json!(true));
        assert_eq!(x["name"], json!("a \"b\""));
        assert_eq!(x["arr"], json!([1, 2, 3]));
        assert_eq!(x["grid"], json!([[1, 2], [3, 4]]));
        assert_eq!(x["old"], json!([1, 2]));
        assert_eq!(x["t"], json!(true));
        assert_eq!(x["list"], json!([true, false]));
        assert_eq!(x["s"], json!("bulk"));
        assert_eq!(x["js"], json!({"a": 1}));
        assert_eq!(x["nan"], json!("nan"));
        assert_eq!(x["e"], json!(2));
        assert!(info.pbc.is_none());
    }

    #[test]
    fn pbc_and_free_text() {
        assert_eq!(parse(r#"pbc="T T F""#).unwrap().pbc, Some([true, true, false]));
        assert_eq!(parse("pbc=F").unwrap().pbc, Some([false; 3]));
        assert!(parse(r#"pbc="T X F""#).is_err());
        let plain = parse("  benzene, optimised  ").unwrap();
        assert_eq!(plain.extra["comment"], json!("benzene, optimised"));
        assert!(plain.lattice.is_none());
        // Stray quotes in a free-text comment are not an error.
        let odd = parse("\"Title E = 5").unwrap();
        assert_eq!(odd.extra["comment"], json!("\"Title E = 5"));
        let apostrophe = parse("it's E = 5").unwrap();
        assert_eq!((apostrophe.extra["it's"].clone(), apostrophe.extra["E"].clone()), (json!(true), json!(5)));
        assert!(parse("").unwrap().extra.is_empty());
    }

    #[test]
    fn lattice_errors() {
        let (col, msg) = parse(r#"Lattice="0 1 1 1 0 1" Properties=species:S:1:pos:R:3"#).unwrap_err();
        assert_eq!(col, 9);
        assert!(msg.contains("9 numbers") && msg.contains("found 6"), "{msg}");
        let (col, msg) = parse(r#"Lattice="0 1 1 1 0 1 1 1 0 Properties=species:S:1:pos:R:3"#).unwrap_err();
        assert_eq!(col, 9);
        assert!(msg.contains("unterminated"), "{msg}");
        assert!(parse(r#"Lattice="0 1 1 1 0 1 1 1 nan""#).unwrap_err().1.contains("finite"));
    }
}
