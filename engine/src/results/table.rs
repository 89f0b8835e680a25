//! Rows of a result table and their CSV / JSON Lines text.
//!
//! CSV: header `record,id,source,formula,<target>[<unit>]…`, RFC 4180 quoting, `NaN` for a
//! value the model could not give. JSON Lines: `{"record":…,"id":…,"source":…,"formula":…,
//! "<target>":value…,"units":{"<target>":"<unit>"…}}`, `null` for such values. Both open
//! directly in pandas / polars. Values are f32 (what the models compute), written with the
//! shortest text that reads back to the same f32, so every output format holds the same
//! numbers.

use serde_json::Value;

/// A predicted quantity and its unit (`formation_energy`, `eV/atom`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    pub name: String,
    pub unit: String,
}

impl Target {
    /// CSV column name: `name[unit]`, or `name` without a unit.
    pub fn column(&self) -> String {
        if self.unit.is_empty() { self.name.clone() } else { format!("{}[{}]", self.name, self.unit) }
    }

    /// Inverse of [`Target::column`].
    pub fn from_column(column: &str) -> Target {
        match column.strip_suffix(']').and_then(|c| c.split_once('[')) {
            Some((name, unit)) => Target { name: name.to_string(), unit: unit.to_string() },
            None => Target { name: column.to_string(), unit: String::new() },
        }
    }
}

/// One scored structure.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Position of the structure among all records of the inputs (0-based).
    pub record: u64,
    /// The structure's id in its source (JSONL `id`, ASE row id, `file#frame`, CIF block).
    pub id: String,
    /// The file it came from, as given on the command line.
    pub source: String,
    /// Reduced formula.
    pub formula: String,
    /// One value per target (NaN: the model gave none).
    pub values: Vec<f32>,
}

/// A structure that could not be scored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub record: u64,
    pub source: String,
    /// The structure's id when it was read far enough to have one, else its location.
    pub id: String,
    pub reason: String,
}

/// Text fields are kept on one line: control characters become spaces.
pub fn one_line(s: &str) -> String {
    if s.chars().any(char::is_control) { s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect() } else { s.to_string() }
}

/// RFC 4180 quoting when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Splits one CSV line into fields (RFC 4180 quotes; rows never span lines here).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (_, c) => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The CSV header line (without newline).
pub fn csv_header(targets: &[Target]) -> String {
    let mut cols = vec!["record".to_string(), "id".into(), "source".into(), "formula".into()];
    cols.extend(targets.iter().map(Target::column));
    cols.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
}

fn csv_value(v: f32) -> String {
    if v.is_nan() { "NaN".into() } else { v.to_string() }
}

fn json_value(v: f32) -> String {
    if v.is_finite() { v.to_string() } else { "null".into() }
}

fn json_string(s: &str) -> String {
    Value::from(s).to_string()
}

impl Row {
    /// The CSV line (without newline).
    pub fn csv(&self) -> String {
        let mut fields = vec![
            self.record.to_string(),
            csv_field(&one_line(&self.id)),
            csv_field(&one_line(&self.source)),
            csv_field(&self.formula),
        ];
        fields.extend(self.values.iter().map(|&v| csv_value(v)));
        fields.join(",")
    }

    /// The JSON Lines line (without newline); keys in target order.
    pub fn json(&self, targets: &[Target]) -> String {
        let mut s = format!(
            "{{\"record\":{},\"id\":{},\"source\":{},\"formula\":{}",
            self.record,
            json_string(&self.id),
            json_string(&self.source),
            json_string(&self.formula)
        );
        for (t, &v) in targets.iter().zip(&self.values) {
            s.push_str(&format!(",{}:{}", json_string(&t.name), json_value(v)));
        }
        let units: Vec<String> = targets.iter().map(|t| format!("{}:{}", json_string(&t.name), json_string(&t.unit))).collect();
        s.push_str(&format!(",\"units\":{{{}}}}}", units.join(",")));
        s
    }
}

impl Failure {
    /// The JSON Lines line of the errors file (without newline).
    pub fn json(&self) -> String {
        format!(
            "{{\"record\":{},\"source\":{},\"id\":{},\"reason\":{}}}",
            self.record,
            json_string(&self.source),
            json_string(&self.id),
            json_string(&self.reason)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<Target> {
        vec![Target { name: "e_form".into(), unit: "eV/atom".into() }, Target { name: "gap".into(), unit: String::new() }]
    }

    #[test]
    fn csv_and_json_lines_read_back() {
        let row = Row { record: 7, id: "a,\"b\"".into(), source: "x.db".into(), formula: "SrTiO3".into(), values: vec![-1.25, f32::NAN] };
        assert_eq!(csv_header(&targets()), "record,id,source,formula,e_form[eV/atom],gap");
        assert_eq!(row.csv(), "7,\"a,\"\"b\"\"\",x.db,SrTiO3,-1.25,NaN");
        assert_eq!(split_csv(&row.csv()), vec!["7", "a,\"b\"", "x.db", "SrTiO3", "-1.25", "NaN"]);
        let v: Value = serde_json::from_str(&row.json(&targets())).unwrap();
        assert_eq!(v["record"], 7);
        assert_eq!(v["e_form"], -1.25);
        assert!(v["gap"].is_null());
        assert_eq!(v["units"]["e_form"], "eV/atom");
        assert_eq!(Target::from_column("e_form[eV/atom]"), targets()[0]);
        assert_eq!(Target::from_column("gap"), targets()[1]);
        let f = Failure { record: 3, source: "s".into(), id: "i".into(), reason: "bad \"x\"".into() };
        let back: Failure = serde_json::from_str(&f.json()).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn f32_text_is_exact() {
        for v in [0.1f32, -3.4028235e38, 1.0e-45, 123456.79] {
            assert_eq!(v.to_string().parse::<f32>().unwrap(), v);
        }
        assert_eq!(one_line("a\nb"), "a b");
    }
}
