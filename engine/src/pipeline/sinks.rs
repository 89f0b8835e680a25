//! Outputs: a CSV table, a JSON Lines dataset (structures + fields, readable by screen and
//! pandas), or a directory of CIF files. Each is flushed after every chunk, so what is on disk
//! is always complete rows.

use crate::candidate::{Candidate, Value};
use crate::crystal::{Entry, Structure};
use crate::plugin::{Column, Sink};
use crate::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The sink for `path`: `.csv`, `.jsonl`, or a directory of CIF files when the path ends
/// with `/` or has no extension.
pub fn for_path(path: &Path) -> Result<Box<dyn Sink>> {
    let text = path.to_string_lossy();
    if text.ends_with('/') || path.is_dir() {
        return Ok(Box::new(CifDir::new(path)));
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(Box::new(Csv::new(path))),
        Some("jsonl") | Some("ndjson") => Ok(Box::new(Jsonl::new(path))),
        None => Ok(Box::new(CifDir::new(path))),
        Some(other) => Err(Error::Usage(format!(
            "{}: cannot write '.{other}' files: use .csv, .jsonl, or a directory (ending in '/') for CIF files",
            path.display()
        ))),
    }
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display(), e))?;
    }
    Ok(BufWriter::new(File::create(path).map_err(|e| Error::io(path.display(), e))?))
}

/// CSV: `id,formula,` then one column per declared field, headed `name[unit]`.
pub struct Csv {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    columns: Vec<Column>,
}

impl Csv {
    pub fn new(path: &Path) -> Self {
        Csv { path: path.to_path_buf(), out: None, columns: Vec::new() }
    }

    fn out(&mut self) -> Result<&mut BufWriter<File>> {
        self.out.as_mut().ok_or_else(|| Error::Usage(format!("{}: written before begin", self.path.display())))
    }
}

/// RFC 4180 quoting when needed.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn column_header(c: &Column) -> String {
    match &c.unit {
        Some(u) if !u.is_empty() => format!("{}[{u}]", c.name),
        _ => c.name.clone(),
    }
}

impl Sink for Csv {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn begin(&mut self, columns: &[Column]) -> Result<()> {
        self.columns = columns.iter().filter(|c| c.name != "id" && c.name != "formula").cloned().collect();
        let mut header = vec!["id".to_string(), "formula".to_string()];
        header.extend(self.columns.iter().map(|c| csv_field(&column_header(c))));
        self.out = Some(create(&self.path)?);
        let path = self.path.display().to_string();
        writeln!(self.out()?, "{}", header.join(",")).map_err(|e| Error::io(path, e))
    }

    fn write(&mut self, c: &Candidate) -> Result<()> {
        let mut row = vec![csv_field(&c.id), csv_field(&c.crystal.composition().reduced_formula())];
        for col in &self.columns {
            row.push(match c.fields.get(&col.name).map(|f| &f.value) {
                None => String::new(),
                Some(Value::Float(x)) if !x.is_finite() => "NaN".into(),
                Some(v) => csv_field(&v.to_string()),
            });
        }
        let path = self.path.display().to_string();
        writeln!(self.out()?, "{}", row.join(",")).map_err(|e| Error::io(path, e))
    }

    fn flush(&mut self) -> Result<()> {
        let path = self.path.display().to_string();
        self.out()?.flush().map_err(|e| Error::io(path, e))
    }
}

/// JSON Lines in the dataset layout (structure + fields as properties, plus `units`).
pub struct Jsonl {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    units: serde_json::Map<String, serde_json::Value>,
}

impl Jsonl {
    pub fn new(path: &Path) -> Self {
        Jsonl { path: path.to_path_buf(), out: None, units: serde_json::Map::new() }
    }
}

fn json_value(v: &Value) -> serde_json::Value {
    match v {
        Value::Float(x) if x.is_finite() => serde_json::Value::from(*x),
        Value::Float(_) => serde_json::Value::Null,
        Value::Int(x) => serde_json::Value::from(*x),
        Value::Bool(x) => serde_json::Value::from(*x),
        Value::Text(x) => serde_json::Value::from(x.as_str()),
    }
}

impl Sink for Jsonl {
    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn begin(&mut self, columns: &[Column]) -> Result<()> {
        for c in columns {
            if let Some(u) = &c.unit {
                self.units.insert(c.name.clone(), serde_json::Value::from(u.as_str()));
            }
        }
        self.out = Some(create(&self.path)?);
        Ok(())
    }

    fn write(&mut self, c: &Candidate) -> Result<()> {
        let mut crystal = c.crystal.clone();
        crystal.properties.retain(|k, _| k != "id" && k != "formula");
        for f in c.fields.iter() {
            crystal.properties.insert(f.name.clone(), json_value(&f.value));
        }
        if !self.units.is_empty() {
            crystal.properties.insert("units".into(), serde_json::Value::Object(self.units.clone()));
        }
        let entry = Entry { id: c.id.clone(), location: String::new(), structure: Structure::Crystal(crystal) };
        let path = self.path.display().to_string();
        let out = self.out.as_mut().ok_or_else(|| Error::Usage(format!("{path}: written before begin")))?;
        crate::formats::jsonl::write(&entry, out).map_err(|e| Error::io(path, e))
    }

    fn flush(&mut self) -> Result<()> {
        let path = self.path.display().to_string();
        match self.out.as_mut() {
            Some(out) => out.flush().map_err(|e| Error::io(path, e)),
            None => Ok(()),
        }
    }
}

/// One CIF file per candidate, named `NNNNNNN_<id>.cif` by enumeration index.
pub struct CifDir {
    dir: PathBuf,
}

impl CifDir {
    pub fn new(dir: &Path) -> Self {
        CifDir { dir: dir.to_path_buf() }
    }
}

/// Keeps letters, digits, `-`, `_` and `.`; everything else becomes `_`.
fn file_stem(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).take(100).collect()
}

impl Sink for CifDir {
    fn name(&self) -> String {
        format!("{}/", self.dir.display().to_string().trim_end_matches('/'))
    }

    fn begin(&mut self, _columns: &[Column]) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(self.dir.display(), e))
    }

    fn write(&mut self, c: &Candidate) -> Result<()> {
        let path = self.dir.join(format!("{:07}_{}.cif", c.index, file_stem(&c.id)));
        // Write to a temporary name and rename, so an interrupted run never leaves half a file.
        let tmp = path.with_extension("cif.part");
        let mut out = create(&tmp)?;
        crate::formats::cif::write(&c.crystal, &c.id, &mut out)
            .and_then(|_| out.flush())
            .map_err(|e| Error::io(tmp.display(), e))?;
        drop(out);
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(path.display(), e))
    }

    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_kind_follows_the_path() {
        assert_eq!(for_path(Path::new("out/a.csv")).unwrap().name(), "out/a.csv");
        assert_eq!(for_path(Path::new("out/cifs/")).unwrap().name(), "out/cifs/");
        let e = for_path(Path::new("a.xlsx")).err().unwrap().to_string();
        assert!(e.contains("cannot write '.xlsx'"), "{e}");
    }
}
