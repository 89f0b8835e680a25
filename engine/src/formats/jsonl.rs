//! JSON Lines datasets: one crystal per line, in the record layout of `../shared/data`:
//!
//! ```text
//! {"id":"mp-1","formula":"Si","natoms":2,"lattice":[[..],[..],[..]],"species":[14,14],
//!  "frac_coords":[[0,0,0],[0.25,0.25,0.25]],"split":"train","formation_energy_per_atom":0.0}
//! ```
//!
//! `lattice` rows are the lattice vectors (Å); `species` holds atomic numbers; `natoms` is
//! optional and checked against the lists. Every other field (`id` and `formula` included)
//! is kept in [`Crystal::properties`], so writing a record back reproduces it.
//!
//! Extensions read and written by screen (absent from the shared datasets):
//! - `species` entries may be symbols (`"Fe"`), species with oxidation states (`"Fe3+"`), or
//!   disordered sites as `{species: occupancy}` objects (`{"Fe":0.5,"Ni":0.5}`);
//! - `site_properties`: `{name: [one value per site]}` (a scalar or a list per site; `null`
//!   stands for NaN in numeric properties);
//! - `site_labels`: one string (or `null`) per site;
//! - `pbc`: three booleans, written only when not fully periodic.
//!
//! Records holding a pymatgen `Structure.as_dict()` (the whole record, or its `structure`
//! field, with the other fields as properties) are read too.
//!
//! Reading streams: one line at a time, so memory stays flat for any file size; a bad line
//! is an error for that record only, and a line over [`MAX_LINE_BYTES`] is refused without
//! being held in memory.

pub(crate) mod convert;
pub(crate) mod locate;

use super::ReadOptions;
use crate::chem::Element;
use crate::crystal::{Composition, Crystal, Entry, Lattice, Properties, Site, Structure};
use crate::error::{Error, ParseError, Result};
use convert::{FieldError, OccupancyJson, array, mat3, object, occupancy, pbc, site_property};
use locate::Seg;
use serde_json::{Map, Value};
use std::io::{self, BufRead, Write};

/// Longest line accepted (bytes): far above any real record (a 10,000-atom cell takes
/// about 1 MB), far below what would exhaust memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Fields that describe the structure itself; every other field is a property.
const STRUCTURE_KEYS: [&str; 7] = [
    "lattice",
    "species",
    "frac_coords",
    "natoms",
    "site_properties",
    "site_labels",
    "pbc",
];

/// Streams records from a JSONL reader, one line at a time. Yields one item per non-blank
/// line; an I/O error (a truncated gzip stream) is yielded once and ends the stream.
pub struct JsonlReader {
    reader: Box<dyn BufRead + Send>,
    file: String,
    opts: ReadOptions,
    /// Lines consumed so far (the 1-based number of the last line read).
    line: usize,
    /// Non-blank lines seen so far.
    records: usize,
    buf: Vec<u8>,
    max_line_bytes: usize,
    done: bool,
}

impl JsonlReader {
    pub fn new(reader: Box<dyn BufRead + Send>, file: String, opts: ReadOptions) -> Self {
        JsonlReader {
            reader,
            file,
            opts,
            line: 0,
            records: 0,
            buf: Vec::new(),
            max_line_bytes: MAX_LINE_BYTES,
            done: false,
        }
    }

    /// Sets the longest line accepted (default [`MAX_LINE_BYTES`]).
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max;
        self
    }

    /// Reads the next line into `buf` (without the newline). Returns `Ok(false)` when the line
    /// was too long (its bytes are skipped, not stored), `None` at the end of the input.
    fn next_line(&mut self) -> Option<io::Result<bool>> {
        self.buf.clear();
        let mut fits = true;
        let mut any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            if fits && self.buf.len() + chunk.len() <= self.max_line_bytes {
                self.buf.extend_from_slice(chunk);
            } else if fits {
                fits = false;
                self.buf = Vec::new();
            }
            let used = newline.map_or(available.len(), |p| p + 1);
            self.reader.consume(used);
            if newline.is_some() {
                break;
            }
        }
        if !any {
            return None;
        }
        self.line += 1;
        Some(Ok(fits))
    }
}

impl Iterator for JsonlReader {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.next_line() {
                None => self.done = true,
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(Error::io(format!("{}:{}", self.file, self.line + 1), e)));
                }
                Some(Ok(false)) => {
                    self.records += 1;
                    return Some(Err(too_long(&self.file, self.line, self.records, self.max_line_bytes)));
                }
                Some(Ok(true)) => {
                    let bytes = line_content(&self.buf, self.line);
                    if is_blank(bytes) {
                        continue;
                    }
                    self.records += 1;
                    return Some(parse_record(bytes, self.line, self.records, &self.file, &self.opts));
                }
            }
        }
        None
    }
}

/// Reads every record of an in-memory JSONL text (see [`JsonlReader`] for streaming).
pub fn read_str(text: &str, file: &str, opts: &ReadOptions) -> super::Records {
    let mut out = Vec::new();
    let mut records = 0;
    for (i, line) in text.split('\n').enumerate() {
        let bytes = line_content(line.as_bytes(), i + 1);
        if is_blank(bytes) {
            continue;
        }
        records += 1;
        out.push(if bytes.len() > MAX_LINE_BYTES {
            Err(too_long(file, i + 1, records, MAX_LINE_BYTES))
        } else {
            parse_record(bytes, i + 1, records, file, opts)
        });
    }
    out
}

fn too_long(file: &str, line: usize, record: usize, max: usize) -> Error {
    ParseError::at(
        file,
        line,
        format!("line longer than {max} bytes: not a structure record"),
    )
    .with_context(format!("record {record}"))
    .into()
}

/// The line without a UTF-8 byte-order mark (first line only) and CR of a CRLF ending.
fn line_content(bytes: &[u8], line: usize) -> &[u8] {
    let bytes = if line == 1 {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    } else {
        bytes
    };
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// Blank lines are skipped: whitespace only, or a DOS end-of-file marker (Ctrl-Z).
fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.is_ascii_whitespace() || *b == 0x1A)
}

/// The id a record's `id` field gives (strings as they are, numbers as written).
fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses line `line` (the `record`-th record) of `file` into an entry.
fn parse_record(bytes: &[u8], line: usize, record: usize, file: &str, opts: &ReadOptions) -> Result<Entry> {
    let numbered = || format!("record {record}");
    let text = String::from_utf8_lossy(bytes);
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| convert::syntax_error(&e, &text, file, line).with_context(numbered()))?;
    let Value::Object(map) = value else {
        let e = FieldError::new(format!(
            "expected a JSON object per line, found {}",
            convert::describe(&value)
        ));
        return Err(e.into_parse_error(&text, file, line).with_context(numbered()).into());
    };
    let id = map.get("id").and_then(id_string);
    let context = id.as_ref().map_or_else(numbered, |id| format!("record '{id}'"));
    let structure = record_structure(map, &text, opts.min_distance)
        .map_err(|e| e.into_parse_error(&text, file, line).with_context(context))?;
    Ok(Entry {
        id: id.unwrap_or_else(|| format!("{file}:{line}")),
        location: format!("line {line}"),
        structure,
    })
}

/// The structure of one record: the native layout, or a pymatgen dict (the whole record or
/// its `structure` field).
fn record_structure(map: Map<String, Value>, text: &str, min_distance: f64) -> Result<Structure, FieldError> {
    if map.get("lattice").is_none_or(Value::is_object) {
        if map.get("structure").is_some_and(Value::is_object) {
            let mut structure = super::pymatgen::structure_from_value(&map["structure"], min_distance)
                .map_err(|e| e.in_key("structure"))?;
            let properties = match &mut structure {
                Structure::Crystal(c) => &mut c.properties,
                Structure::Molecule(m) => &mut m.properties,
            };
            for (k, v) in map {
                if k != "structure" {
                    properties.entry(k).or_insert(v);
                }
            }
            return Ok(structure);
        }
        if map.contains_key("sites") {
            return super::pymatgen::structure_from_value(&Value::Object(map), min_distance);
        }
    }
    crystal_from_record(map, text, min_distance).map(Structure::Crystal)
}

fn key(k: &str) -> Vec<Seg> {
    vec![Seg::Key(k.to_string())]
}

fn crystal_from_record(map: Map<String, Value>, text: &str, min_distance: f64) -> Result<Crystal, FieldError> {
    let field = |k: &str| {
        map.get(k).ok_or_else(|| {
            FieldError::new(format!(
                "missing \"{k}\": a structure record needs lattice, species and frac_coords"
            ))
        })
    };
    let matrix = mat3(field("lattice")?).map_err(|e| e.in_key("lattice"))?;
    let lattice = Lattice::new(matrix).map_err(|e| FieldError::at(key("lattice"), e.to_string()))?;
    let species = array(field("species")?, "a list of species").map_err(|e| e.in_key("species"))?;
    let coords = array(field("frac_coords")?, "a list of [x, y, z]").map_err(|e| e.in_key("frac_coords"))?;
    let n = species.len();
    match map.get("natoms") {
        Some(v) => {
            let natoms = v.as_u64().ok_or_else(|| {
                FieldError::at(
                    key("natoms"),
                    format!("expected a non-negative integer, found {}", convert::describe(v)),
                )
            })?;
            for (name, len) in [("species", n), ("frac_coords", coords.len())] {
                if len as u64 != natoms {
                    return Err(FieldError::at(
                        key(name),
                        format!("found {len} entries, but natoms is {natoms}"),
                    ));
                }
            }
        }
        None if coords.len() != n => {
            let message = format!("found {} entries, but species has {n}", coords.len());
            return Err(FieldError::at(key("frac_coords"), message));
        }
        None => {}
    }
    let mut sites = Vec::with_capacity(n);
    for (i, (sp, xyz)) in species.iter().zip(coords).enumerate() {
        let occupancy = occupancy(sp).map_err(|e| e.in_index(i).in_key("species"))?;
        let frac = convert::vec3(xyz).map_err(|e| e.in_index(i).in_key("frac_coords"))?;
        sites.push(Site {
            occupancy,
            frac,
            label: None,
        });
    }
    if species.iter().any(Value::is_object) {
        keep_written_order(&mut sites, text);
    }
    if let Some(v) = map.get("site_labels") {
        let labels = per_site(v, n).map_err(|e| e.in_key("site_labels"))?;
        for (i, (site, label)) in sites.iter_mut().zip(labels).enumerate() {
            site.label = match label {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => {
                    let message = format!("expected a label string or null, found {}", convert::describe(other));
                    return Err(FieldError::new(message).in_index(i).in_key("site_labels"));
                }
            };
        }
    }
    let mut crystal = Crystal::new(lattice, sites);
    if let Some(v) = map.get("site_properties") {
        for (name, values) in object(v, "an object of per-site lists").map_err(|e| e.in_key("site_properties"))? {
            let in_path = |e: FieldError| e.in_key(name).in_key("site_properties");
            let values: Vec<Option<&Value>> = per_site(values, n).map_err(in_path)?.iter().map(Some).collect();
            crystal
                .site_properties
                .insert(name.clone(), site_property(&values).map_err(in_path)?);
        }
    }
    if let Some(v) = map.get("pbc") {
        crystal.pbc = pbc(v).map_err(|e| e.in_key("pbc"))?;
    }
    crystal.validate(min_distance).map_err(|e| {
        convert::validation_error(
            e,
            &|i| vec![Seg::Key("frac_coords".into()), Seg::Index(i)],
            &|i| vec![Seg::Key("species".into()), Seg::Index(i)],
            key("lattice"),
            &|name| vec![Seg::Key("site_properties".into()), Seg::Key(name.into())],
        )
    })?;
    crystal.properties = map
        .into_iter()
        .filter(|(k, _)| !STRUCTURE_KEYS.contains(&k.as_str()))
        .collect::<Properties>();
    Ok(crystal)
}

/// Puts the species of disordered sites back in the order the record wrote them (the JSON
/// map sorts keys), so that reading what was written gives the same sites.
fn keep_written_order(sites: &mut [Site], text: &str) {
    let Some(at) = locate::locate(text, &[Seg::Key("species".into())]) else {
        return;
    };
    let Ok(KeyOrder(orders)) =
        <KeyOrder as serde::Deserialize>::deserialize(&mut serde_json::Deserializer::from_str(&text[at..]))
    else {
        return;
    };
    for (site, keys) in sites.iter_mut().zip(orders) {
        let Some(keys) = keys else { continue };
        let order: Vec<_> = keys.iter().filter_map(|k| convert::parse_species(k).ok()).collect();
        let rank = |sp: &crate::crystal::Species| order.iter().position(|o| o == sp).unwrap_or(usize::MAX);
        site.occupancy.species_mut().sort_by_key(|(sp, _)| rank(sp));
    }
}

/// The keys, in written order, of each object in a JSON list (`None` for other entries).
struct KeyOrder(Vec<Option<Vec<String>>>);

impl<'de> serde::Deserialize<'de> for KeyOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Keys(Option<Vec<String>>);
        impl<'de> serde::Deserialize<'de> for Keys {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                d.deserialize_any(KeysVisitor)
            }
        }
        struct KeysVisitor;
        impl<'de> serde::de::Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a species entry")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(Some(keys)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Keys, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Keys(None))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Keys, E> {
                Ok(Keys(None))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Keys, E> {
                Ok(Keys(None))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Keys, E> {
                Ok(Keys(None))
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Keys, E> {
                Ok(Keys(None))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Keys, E> {
                Ok(Keys(None))
            }
            fn visit_unit<E>(self) -> std::result::Result<Keys, E> {
                Ok(Keys(None))
            }
        }
        let list: Vec<Keys> = serde::Deserialize::deserialize(d)?;
        Ok(KeyOrder(list.into_iter().map(|k| k.0).collect()))
    }
}

/// A list with one entry per site.
fn per_site(v: &Value, n: usize) -> Result<&Vec<Value>, FieldError> {
    let list = array(v, "a list with one value per site")?;
    if list.len() != n {
        return Err(FieldError::new(format!(
            "found {} entries, but there are {n} sites",
            list.len()
        )));
    }
    Ok(list)
}

/// Writes one record on one line: `id`, the reduced `formula`, `natoms`, `lattice`,
/// `species`, `frac_coords` (full precision: reading gives back the same numbers), then
/// every property in key order, and the extensions (`site_properties`, `site_labels`, `pbc`)
/// when there is something to say. Properties named like these fields are not written
/// again. Molecules cannot be written (the format needs a lattice).
pub fn write(entry: &Entry, out: &mut dyn Write) -> io::Result<()> {
    let crystal = match &entry.structure {
        Structure::Crystal(c) => c,
        Structure::Molecule(_) => {
            return Err(io::Error::other(format!(
                "'{}' is a molecule: JSON Lines records need a lattice (write xyz instead)",
                entry.id
            )));
        }
    };
    let mut line = Vec::with_capacity(256 + 64 * crystal.sites.len());
    line.push(b'{');
    // Keep the source's id value (a number stays a number) when it is the entry's id.
    let id = match crystal.properties.get("id") {
        Some(v) if id_string(v).as_deref() == Some(entry.id.as_str()) => v.clone(),
        _ => Value::from(entry.id.as_str()),
    };
    member(&mut line, "id", &id)?;
    // The source's formula when it still describes the crystal (pymatgen writes polyanions
    // as "AgB(CN)4"), otherwise the reduced formula of the composition.
    let composition = crystal.composition();
    match crystal.properties.get("formula") {
        Some(Value::String(f)) if formula_matches(f, &composition) => member(&mut line, "formula", f)?,
        _ => member(&mut line, "formula", &composition.reduced_formula())?,
    }
    member(&mut line, "natoms", &crystal.sites.len())?;
    member(&mut line, "lattice", crystal.lattice.matrix())?;
    let species: Vec<OccupancyJson> = crystal.sites.iter().map(|s| OccupancyJson(&s.occupancy)).collect();
    member(&mut line, "species", &species)?;
    let coords: Vec<[f64; 3]> = crystal.sites.iter().map(|s| s.frac).collect();
    member(&mut line, "frac_coords", &coords)?;
    for (k, v) in &crystal.properties {
        if k != "id" && k != "formula" && !STRUCTURE_KEYS.contains(&k.as_str()) {
            member(&mut line, k, v)?;
        }
    }
    if !crystal.site_properties.is_empty() {
        let props: Map<String, Value> = crystal
            .site_properties
            .iter()
            .map(|(name, p)| {
                let values = (0..crystal.sites.len())
                    .map(|i| convert::site_property_value(p, i))
                    .collect();
                (name.clone(), Value::Array(values))
            })
            .collect();
        member(&mut line, "site_properties", &props)?;
    }
    if crystal.sites.iter().any(|s| s.label.is_some()) {
        let labels: Vec<Option<&str>> = crystal.sites.iter().map(|s| s.label.as_deref()).collect();
        member(&mut line, "site_labels", &labels)?;
    }
    if crystal.pbc != [true; 3] {
        member(&mut line, "pbc", &crystal.pbc)?;
    }
    line.extend_from_slice(b"}\n");
    out.write_all(&line)
}

/// Whether `formula` ("Fe2O3", "AgB(CN)4", "Ge1.6Sb1.6Te4") has the proportions of
/// `composition`. Groups may nest a few levels; anything unreadable does not match.
fn formula_matches(formula: &str, composition: &Composition) -> bool {
    const MAX_DEPTH: usize = 8;
    let mut stack: Vec<Vec<(Element, f64)>> = vec![Vec::new()];
    let bytes = formula.as_bytes();
    let mut i = 0;
    // Reads an optional amount at `i` (1 when absent).
    let amount = |i: &mut usize| -> Option<f64> {
        let start = *i;
        while *i < bytes.len() && (bytes[*i].is_ascii_digit() || bytes[*i] == b'.') {
            *i += 1;
        }
        if *i == start {
            Some(1.0)
        } else {
            formula[start..*i].parse().ok().filter(|x: &f64| x.is_finite())
        }
    };
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'[' if stack.len() <= MAX_DEPTH => {
                stack.push(Vec::new());
                i += 1;
            }
            b')' | b']' if stack.len() > 1 => {
                i += 1;
                let Some(n) = amount(&mut i) else {
                    return false;
                };
                let group = stack.pop().unwrap_or_default();
                if let Some(top) = stack.last_mut() {
                    top.extend(group.into_iter().map(|(e, a)| (e, a * n)));
                }
            }
            b'A'..=b'Z' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i].is_ascii_lowercase() {
                    i += 1;
                }
                let Ok(element) = Element::from_symbol(&formula[start..i]) else {
                    return false;
                };
                let Some(n) = amount(&mut i) else {
                    return false;
                };
                if let Some(top) = stack.last_mut() {
                    top.push((element, n));
                }
            }
            _ => return false,
        }
    }
    let [parsed] = stack.as_slice() else {
        return false;
    };
    let mut parsed_composition = Composition::new();
    for (e, a) in parsed {
        parsed_composition.add(*e, *a);
    }
    let ours: Vec<(Element, f64)> = composition.iter().collect();
    let theirs: Vec<(Element, f64)> = parsed_composition.iter().collect();
    let Some(((_, a0), (_, b0))) = ours.first().zip(theirs.first()) else {
        return false;
    };
    ours.len() == theirs.len()
        && ours
            .iter()
            .zip(&theirs)
            .all(|((ea, a), (eb, b))| ea == eb && ((a / a0) - (b / b0)).abs() <= 1e-6 * (a / a0))
}

/// Appends `"key":value` (with a separating comma after the first member).
fn member(line: &mut Vec<u8>, key: &str, value: &impl serde::Serialize) -> io::Result<()> {
    if line.len() > 1 {
        line.push(b',');
    }
    serde_json::to_writer(&mut *line, key)?;
    line.push(b':');
    serde_json::to_writer(&mut *line, value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crystal::{Occupancy, SiteProperty, Species};
    use crate::formats::{self, Format};
    use std::io::{BufReader, Cursor, Read};
    use std::path::{Path, PathBuf};

    fn dataset(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data")
            .join(name)
    }

    fn tiny_lines() -> Vec<String> {
        let file = std::fs::File::open(dataset("tiny_mp_flla_1000.jsonl.gz")).unwrap();
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(file)
            .read_to_string(&mut text)
            .unwrap();
        text.lines().map(str::to_string).collect()
    }

    fn reader(text: &str) -> JsonlReader {
        JsonlReader::new(
            Box::new(Cursor::new(text.as_bytes().to_vec())),
            "t.jsonl".into(),
            ReadOptions::default(),
        )
    }

    fn written(entry: &Entry) -> String {
        let mut out = Vec::new();
        write(entry, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    const SI: &str = r#"{"id":"si","lattice":[[0,2.7,2.7],[2.7,0,2.7],[2.7,2.7,0]],"species":[14,14],"frac_coords":[[0,0,0],[0.25,0.25,0.25]]}"#;

    #[test]
    fn reads_the_tiny_dataset_streaming_from_gzip() {
        let entries: Vec<Entry> = formats::open(&dataset("tiny_mp_flla_1000.jsonl.gz"), None, &ReadOptions::default())
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(entries.len(), 1000);
        let first = &entries[0];
        assert_eq!((first.id.as_str(), first.location.as_str()), ("mp-10074", "line 1"));
        let c = first.structure.as_crystal().unwrap();
        assert_eq!(c.num_sites(), 6);
        assert_eq!(c.composition().reduced_formula(), "GeSe2");
        assert_eq!(c.lattice.matrix()[0], [5.41011, 0.0, -2.753778]);
        assert_eq!(c.properties["split"], "train");
        assert_eq!(c.properties["formation_energy_per_atom"], -0.2538318740624999);
        assert_eq!(entries[999].location, "line 1000");
        let elements: std::collections::BTreeSet<Element> = entries
            .iter()
            .flat_map(|e| e.structure.as_crystal().unwrap().elements())
            .collect();
        assert_eq!(elements.len(), 82, "the README says the subset has 82 elements");
    }

    #[test]
    fn writing_back_reproduces_every_record() {
        let opts = ReadOptions::default();
        for (i, line) in tiny_lines().iter().enumerate() {
            let entry = parse_record(line.as_bytes(), i + 1, i + 1, "tiny", &opts).unwrap();
            let out = written(&entry);
            assert!(out.ends_with("}\n") && out.matches('\n').count() == 1);
            let original: Value = serde_json::from_str(line).unwrap();
            let back: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(original, back, "record {}", i + 1);
            let again = parse_record(out.trim_end().as_bytes(), 1, 1, "back", &opts).unwrap();
            assert_eq!(again.structure, entry.structure);
        }
    }

    #[test]
    fn extensions_round_trip() {
        let fe = Element::from_symbol("Fe").unwrap();
        let ni = Element::from_symbol("Ni").unwrap();
        let o = Element::from_symbol("O").unwrap();
        let lattice = Lattice::new([[3.0, 0.1, 0.0], [0.0, 3.1, 0.0], [0.2, 0.0, 4.0]]).unwrap();
        let mut c = Crystal::new(
            lattice,
            vec![
                Site {
                    occupancy: Occupancy::mixed(vec![(Species::with_oxidation(fe, 2.5), 0.3), (Species::new(ni), 0.6)]),
                    frac: [0.1 + 0.2, 1.0 / 3.0, -0.0],
                    label: Some("M1".into()),
                },
                Site::new(Species::with_oxidation(o, -2.0), [0.5, 0.5, 0.5]),
                Site::new(o, [0.5, 0.0, 0.7]),
            ],
        );
        c.pbc = [true, true, false];
        c.site_properties
            .insert("magmom".into(), SiteProperty::real(1, vec![1.25, 0.0, -0.5]));
        c.site_properties.insert(
            "forces".into(),
            SiteProperty::real(3, (0..9).map(|i| i as f64 * 0.1).collect()),
        );
        c.site_properties.insert(
            "fixed".into(),
            SiteProperty {
                width: 3,
                values: crate::crystal::PropertyValues::Bool(vec![true; 9]),
            },
        );
        c.site_properties.insert(
            "tag".into(),
            SiteProperty {
                width: 1,
                values: crate::crystal::PropertyValues::Int(vec![1, 2, 3]),
            },
        );
        c.properties.insert("energy".into(), Value::from(-12.5));
        c.properties.insert("id".into(), Value::from(17));
        c.properties.insert("formula".into(), Value::from("Fe0.3Ni0.6O2"));
        let entry = Entry {
            id: "17".into(),
            location: String::new(),
            structure: Structure::Crystal(c.clone()),
        };
        let out = written(&entry);
        assert!(out.starts_with(r#"{"id":17,"formula":"#), "{out}");
        assert!(out.contains(r#""species":[{"Fe2.5+":0.3,"Ni":0.6},"O2-",8]"#), "{out}");
        let back = read_str(&out, "x.jsonl", &ReadOptions::default());
        let back = back[0].as_ref().unwrap();
        assert_eq!(back.id, "17");
        let mut expected = c;
        expected
            .properties
            .insert("formula".into(), Value::from(expected.composition().reduced_formula()));
        assert_eq!(back.structure, Structure::Crystal(expected));
    }

    #[test]
    fn species_as_symbols_and_disorder() {
        let text = r#"{"lattice":[[4,0,0],[0,4,0],[0,0,4]],"species":["Cs",{"Cl":0.5,"Br":0.5}],"frac_coords":[[0,0,0],[0.5,0.5,0.5]]}"#;
        let records = read_str(text, "x.jsonl", &ReadOptions::default());
        let e = records[0].as_ref().unwrap();
        assert_eq!(e.id, "x.jsonl:1");
        let c = e.structure.as_crystal().unwrap();
        assert!(!c.is_ordered());
        assert_eq!(c.composition().reduced_formula(), "CsBr0.5Cl0.5");
        assert!(c.properties.is_empty());
        let order = |c: &Crystal| {
            c.sites[1]
                .occupancy
                .species()
                .iter()
                .map(|(s, _)| s.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(order(c), ["Cl", "Br"], "species keep the written order");
        let again = read_str(&written(e), "y.jsonl", &ReadOptions::default());
        assert_eq!(
            order(again[0].as_ref().unwrap().structure.as_crystal().unwrap()),
            ["Cl", "Br"]
        );
    }

    #[test]
    fn bad_records_are_located_and_do_not_stop_the_stream() {
        let lines = [
            SI.to_string(),
            r#"{"id":"nan","lattice":[[3,0,0],[0,3,0],[0,0,3]],"species":[14],"frac_coords":[[NaN,0,0]]}"#.into(),
            r#"{"id":"z","lattice":[[3,0,0],[0,3,0],[0,0,3]],"species":[14,200],"frac_coords":[[0,0,0],[0.5,0.5,0.5]]}"#.into(),
            r#"{"id":"len","natoms":2,"lattice":[[3,0,0],[0,3,0],[0,0,3]],"species":[14,14],"frac_coords":[[0,0,0]]}"#.into(),
            String::new(),
            r#"{"id":"cut","lattice":[[3,0,0],[0,3,0],[0,0,3]],"species":[14,14],"frac_coo"#.into(),
            r#"{"id":"big","lattice":[[3,0,0],[0,3,0],[0,0,1e400]],"species":[14],"frac_coords":[[0,0,0]]}"#.into(),
            r#"{"id":"flat","lattice":[[3,0,0],[0,3,0],[3,3,0]],"species":[14],"frac_coords":[[0,0,0]]}"#.into(),
            r#"{"id":"str","lattice":[[3,0,0],[0,3,0],[0,0,3]],"species":[14],"frac_coords":[[0,"0.5",0]]}"#.into(),
            r#"{"id":"overlap","lattice":[[3,0,0],[0,3,0],[0,0,3]],"species":[8,8,8],"frac_coords":[[0,0,0],[0.5,0,0],[0.99,0,0]]}"#.into(),
            "[1, 2]".into(),
            r#"{"id":"nolattice","species":[14],"frac_coords":[[0,0,0]]}"#.into(),
            SI.replace("\"si\"", "\"last\""),
        ];
        let text = lines.join("\n");
        let expected = [
            None,
            Some("t.jsonl:2:80: record 2: invalid JSON: expected value"),
            Some("t.jsonl:3:61: record 'z': species[1]: unknown element Z=200 (known: 1 to 103)"),
            Some("t.jsonl:4:92: record 'len': frac_coords: found 1 entries, but natoms is 2"),
            Some("t.jsonl:6:75: record 5: truncated JSON: EOF while parsing a string"),
            Some("t.jsonl:7:49: record 6: invalid JSON: number out of range"),
            Some("t.jsonl:8:24: record 'flat': lattice: degenerate lattice"),
            Some("t.jsonl:9:82: record 'str': frac_coords[0][1]: expected a finite number, found \"0.5\""),
            Some("t.jsonl:10:104: record 'overlap': frac_coords[2]: sites 0 and 2 overlap"),
            Some("t.jsonl:11:1: record 10: expected a JSON object per line, found an array of 2"),
            Some("t.jsonl:12:1: record 'nolattice': missing \"lattice\""),
            None,
        ];
        let streamed: Vec<Result<Entry>> = reader(&text).collect();
        let in_memory = read_str(&text, "t.jsonl", &ReadOptions::default());
        for records in [streamed, in_memory] {
            assert_eq!(records.len(), expected.len());
            for (got, want) in records.iter().zip(&expected) {
                match (got, want) {
                    (Ok(_), None) => {}
                    (Err(e), Some(w)) => assert!(e.to_string().starts_with(w), "{e}\n  wanted {w}"),
                    _ => panic!("{got:?} vs {want:?}"),
                }
            }
            let last = records.last().unwrap().as_ref().unwrap();
            assert_eq!((last.id.as_str(), last.location.as_str()), ("last", "line 13"));
            let overlap = records[8].as_ref().unwrap_err().to_string();
            assert!(overlap.ends_with("(other: frac_coords[0] at 10:86)"), "{overlap}");
        }
    }

    #[test]
    fn long_lines_blank_lines_bom_and_crlf() {
        let text = format!(
            "\u{feff}{SI}\r\n\r\n   \n{{\"id\":\"{}\"}}\n{SI}\r\n\x1a",
            "x".repeat(500)
        );
        let records: Vec<Result<Entry>> = reader(&text).with_max_line_bytes(200).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].as_ref().unwrap().id, "si");
        let e = records[1].as_ref().unwrap_err().to_string();
        assert_eq!(
            e,
            "t.jsonl:4: record 2: line longer than 200 bytes: not a structure record"
        );
        assert_eq!(records[2].as_ref().unwrap().location, "line 5");
        let in_memory = read_str(&text, "t.jsonl", &ReadOptions::default());
        assert_eq!(in_memory.len(), 3);
        assert!(
            in_memory[1]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("missing \"lattice\"")
        );
    }

    #[test]
    fn truncated_gzip_is_one_io_error_at_the_end() {
        let bytes = std::fs::read(dataset("tiny_mp_flla_1000.jsonl.gz")).unwrap();
        let cut = bytes[..bytes.len() / 2].to_vec();
        let gz = BufReader::new(flate2::read::MultiGzDecoder::new(Cursor::new(cut)));
        let records: Vec<Result<Entry>> =
            JsonlReader::new(Box::new(gz), "cut.jsonl.gz".into(), ReadOptions::default()).collect();
        let (last, good) = records.split_last().unwrap();
        assert!(good.len() > 100 && good.iter().all(Result::is_ok), "{}", good.len());
        let e = last.as_ref().unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
        assert!(
            e.to_string().starts_with(&format!("cut.jsonl.gz:{}: ", good.len() + 1)),
            "{e}"
        );
    }

    #[test]
    fn pymatgen_dicts_in_records() {
        let pmg = r#"{"@module":"pymatgen.core.structure","@class":"Structure","lattice":{"matrix":[[3,0,0],[0,3,0],[0,0,3]]},"sites":[{"species":[{"element":"Po","occu":1}],"abc":[0,0,0],"label":"Po"}]}"#;
        let text = format!(
            "{{\"id\":\"po\",\"e\":1.5,\"structure\":{pmg}}}\n{pmg}\n{{\"id\":\"bad\",\"structure\":{}}}",
            pmg.replace("\"Po\",\"occu\"", "\"Qq\",\"occu\"")
        );
        let records = read_str(&text, "p.jsonl", &ReadOptions::default());
        let c = records[0].as_ref().unwrap().structure.as_crystal().unwrap();
        assert_eq!((c.num_sites(), c.properties["e"].as_f64()), (1, Some(1.5)));
        assert_eq!(records[0].as_ref().unwrap().id, "po");
        assert!(records[1].is_ok());
        let e = records[2].as_ref().unwrap_err().to_string();
        assert!(e.starts_with("p.jsonl:3:"), "{e}");
        assert!(
            e.contains("record 'bad': structure.sites[0].species[0].element: unknown element 'Qq'"),
            "{e}"
        );
    }

    #[test]
    fn formulas_are_checked_before_reuse() {
        let mut c = Composition::new();
        for (s, a) in [("Ag", 2.0), ("B", 2.0), ("C", 8.0), ("N", 8.0)] {
            c.add(Element::from_symbol(s).unwrap(), a);
        }
        for f in [
            "AgB(CN)4",
            "AgBC4N4",
            "Ag2B2C8N8",
            "[AgB](CN)4",
            "AgB(C2N2)2",
            "Ag0.5B0.5C2N2",
        ] {
            assert!(formula_matches(f, &c), "{f}");
        }
        for f in [
            "AgB(CN)3",
            "AgBC4",
            "AgB(CN",
            "AgB)CN(4",
            "agbcn",
            "AgB(CN)4x",
            "",
            "AgB((((((((((CN))))))))))4",
        ] {
            assert!(!formula_matches(f, &c), "{f}");
        }
    }

    #[test]
    fn molecules_cannot_be_written() {
        let m = crate::crystal::Molecule {
            species: vec![Species::new(Element::from_symbol("H").unwrap())],
            positions: vec![[0.0; 3]],
            properties: Properties::new(),
            site_properties: Default::default(),
        };
        let entry = Entry {
            id: "h".into(),
            location: String::new(),
            structure: Structure::Molecule(m),
        };
        let e = write(&entry, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().contains("'h' is a molecule"));
        assert_eq!(Format::sniff(SI), Format::PymatgenJson);
    }
}
