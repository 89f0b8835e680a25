//! ASE SQLite databases (`.db`, `ase.db.connect(...)`), read as a stream of rows.
//!
//! Layout as ASE writes it (`ase/db/sqlite.py`, db format versions 4–9; checked against a
//! file written by ASE 3.29.0, `tests/data/ase/make_ase_db.py`): one row of table `systems`
//! per structure, with
//! - `id` (integer, increasing, with gaps after deletions) and `unique_id` (128-bit hex);
//! - `numbers`: little-endian int32 blob (ASE casts int64 arrays to int32 before storing);
//! - `positions`: little-endian float64 blob, Cartesian Å, shape (n, 3);
//! - `cell`: little-endian float64 blob, rows a, b, c in Å, shape (3, 3);
//! - `pbc`: integer bit mask (1 = a, 2 = b, 4 = c);
//! - `energy` (eV, from a calculator, may be NULL) and `key_value_pairs` (JSON object text).
//!
//! A row periodic along any axis becomes a [`Crystal`] (with that `pbc`), a row periodic
//! along none a [`Molecule`]. Key-value pairs become structure properties under their own
//! names; `ase_id`, `unique_id` and `energy` are kept as properties too. The entry id is the
//! ASE row id (`"17"`), its location `row id 17`.
//!
//! Rows are fetched in pages ordered by `id`, so memory stays flat however large the
//! database is, and the order is the database's own (`ase db file.db` lists the same).

use crate::chem::Element;
use crate::crystal::{Crystal, Entry, Lattice, Molecule, Properties, Site, Species, Structure};
use crate::error::{Error, ParseError, Result};
use crate::formats::ReadOptions;
use rusqlite::{Connection, OpenFlags, types::ValueRef};
use serde_json::Value;
use std::collections::VecDeque;
use std::path::Path;

/// Rows fetched per query.
const PAGE: i64 = 512;

/// Most atoms accepted in one row: guards allocations against corrupt blobs.
const MAX_ATOMS: usize = 10_000_000;

/// Columns read, in this order.
const COLUMNS: &str = "id, unique_id, numbers, positions, cell, pbc, energy, key_value_pairs";

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether `path` names an ASE database: a `.db` file name, or an SQLite file with a
/// `systems` table.
pub fn is_ase_db(path: &Path) -> bool {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("db")) {
        return true;
    }
    use std::io::Read;
    let mut magic = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == SQLITE_MAGIC
}

/// Opens an ASE database as a stream of entries (one per row, in `id` order).
pub fn open(path: &Path, opts: &ReadOptions) -> Result<AseDbReader> {
    let file = path.display().to_string();
    let bad = |message: String| Error::from(ParseError::new(&file, message));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| bad(format!("cannot open as SQLite: {e}")))?;
    let has_systems: i64 = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'systems'", [], |r| r.get(0))
        .map_err(|e| bad(format!("not an SQLite database: {e}")))?;
    if has_systems == 0 {
        return Err(bad("not an ASE database: no table 'systems'".into()));
    }
    if let Ok(version) =
        conn.query_row("SELECT value FROM information WHERE name = 'version'", [], |r| r.get::<_, String>(0))
    {
        match version.trim().parse::<u32>() {
            Ok(v) if (4..=9).contains(&v) => {}
            _ => return Err(bad(format!("ASE database format version {version} is not supported (4 to 9 are)"))),
        }
    }
    // Fails here, once, when a column is missing, rather than on every row.
    conn.prepare(&format!("SELECT {COLUMNS} FROM systems LIMIT 0"))
        .map_err(|e| bad(format!("not an ASE database layout: {e}")))?;
    Ok(AseDbReader { conn, file, opts: opts.clone(), after: i64::MIN, page: VecDeque::new(), done: false })
}

/// Number of rows in an ASE database (for progress bars).
pub fn count(path: &Path) -> Result<u64> {
    let file = path.display().to_string();
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Error::from(ParseError::new(&file, format!("cannot open as SQLite: {e}"))))?;
    conn.query_row("SELECT COUNT(*) FROM systems", [], |r| r.get::<_, i64>(0))
        .map(|n| n.max(0) as u64)
        .map_err(|e| ParseError::new(&file, format!("cannot count rows: {e}")).into())
}

/// Streams the rows of an ASE database; see the module documentation.
pub struct AseDbReader {
    conn: Connection,
    file: String,
    opts: ReadOptions,
    /// Largest id already returned.
    after: i64,
    page: VecDeque<Result<Entry>>,
    done: bool,
}

/// One row's raw columns.
struct RawRow {
    id: i64,
    unique_id: Option<String>,
    numbers: Option<Vec<u8>>,
    positions: Option<Vec<u8>>,
    cell: Option<Vec<u8>>,
    pbc: Option<i64>,
    energy: Option<f64>,
    key_value_pairs: Option<String>,
}

impl AseDbReader {
    fn fetch(&mut self) -> Result<()> {
        let sql = format!("SELECT {COLUMNS} FROM systems WHERE id > ?1 ORDER BY id LIMIT {PAGE}");
        let query_error = |e: rusqlite::Error| Error::from(ParseError::new(&self.file, format!("query failed: {e}")));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(query_error)?;
        let rows = stmt
            .query_map([self.after], |r| {
                Ok(RawRow {
                    id: r.get(0)?,
                    unique_id: text(r.get_ref(1)?),
                    numbers: blob(r.get_ref(2)?),
                    positions: blob(r.get_ref(3)?),
                    cell: blob(r.get_ref(4)?),
                    pbc: r.get(5)?,
                    energy: real(r.get_ref(6)?),
                    key_value_pairs: text(r.get_ref(7)?),
                })
            })
            .map_err(query_error)?;
        let mut raw = Vec::new();
        for row in rows {
            raw.push(row.map_err(query_error)?);
        }
        drop(stmt);
        if raw.len() < PAGE as usize {
            self.done = true;
        }
        for row in raw {
            self.after = row.id;
            self.page.push_back(row.into_entry(&self.file, &self.opts));
        }
        Ok(())
    }
}

impl Iterator for AseDbReader {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if self.page.is_empty() && !self.done {
            if let Err(e) = self.fetch() {
                self.done = true;
                return Some(Err(e));
            }
        }
        self.page.pop_front()
    }
}

fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        _ => None,
    }
}

fn blob(v: ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        ValueRef::Blob(b) => Some(b.to_vec()),
        _ => None,
    }
}

fn real(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Real(x) => Some(x),
        ValueRef::Integer(i) => Some(i as f64),
        _ => None,
    }
}

impl RawRow {
    fn into_entry(self, file: &str, opts: &ReadOptions) -> Result<Entry> {
        let location = format!("row id {}", self.id);
        let err = |message: String| Error::from(ParseError::new(file, message).with_context(location.clone()));
        let numbers = self.numbers.ok_or_else(|| err("no atomic numbers (column 'numbers' is NULL)".into()))?;
        let numbers = int32s(&numbers).ok_or_else(|| err(format!("'numbers' blob of {} bytes is not int32", numbers.len())))?;
        if numbers.len() > MAX_ATOMS {
            return Err(err(format!("{} atoms, more than the {MAX_ATOMS} accepted", numbers.len())));
        }
        let positions = match &self.positions {
            Some(b) => float64s(b).ok_or_else(|| err(format!("'positions' blob of {} bytes is not float64", b.len())))?,
            None => Vec::new(),
        };
        if positions.len() != 3 * numbers.len() {
            return Err(err(format!("{} atomic numbers but {} position values", numbers.len(), positions.len())));
        }
        let cell = match &self.cell {
            // ASE stores an empty blob for an all-zero cell.
            Some(b) if !b.is_empty() => float64s(b).ok_or_else(|| err(format!("'cell' blob of {} bytes is not float64", b.len())))?,
            _ => vec![0.0; 9],
        };
        if cell.len() != 9 {
            return Err(err(format!("'cell' holds {} values, expected 9", cell.len())));
        }
        let mut elements = Vec::with_capacity(numbers.len());
        for (i, &z) in numbers.iter().enumerate() {
            let element = u32::try_from(z).ok().and_then(|z| Element::from_z(z).ok());
            elements.push(element.ok_or_else(|| err(format!("atom {i}: {z} is not an atomic number")))?);
        }
        let positions: Vec<[f64; 3]> = positions.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        if let Some((i, _)) = positions.iter().enumerate().find(|(_, p)| p.iter().any(|x| !x.is_finite())) {
            return Err(err(format!("atom {i}: position is not finite")));
        }
        let mask = self.pbc.unwrap_or(0);
        let pbc = [mask & 1 != 0, mask & 2 != 0, mask & 4 != 0];

        let mut properties = Properties::new();
        if let Some(kvp) = &self.key_value_pairs {
            match serde_json::from_str::<Value>(kvp) {
                Ok(Value::Object(map)) => properties.extend(map),
                Ok(_) | Err(_) => return Err(err("'key_value_pairs' is not a JSON object".into())),
            }
        }
        properties.insert("ase_id".into(), Value::from(self.id));
        if let Some(u) = self.unique_id {
            properties.insert("unique_id".into(), Value::from(u));
        }
        if let Some(e) = self.energy.filter(|e| e.is_finite()) {
            properties.insert("energy".into(), Value::from(e));
        }

        let structure = if pbc.iter().any(|&p| p) {
            let matrix = [[cell[0], cell[1], cell[2]], [cell[3], cell[4], cell[5]], [cell[6], cell[7], cell[8]]];
            let lattice = Lattice::new(matrix).map_err(|e| err(format!("cell: {e}")))?;
            let sites = elements.iter().zip(&positions).map(|(e, p)| Site::new(*e, lattice.to_fractional(*p))).collect();
            let mut crystal = Crystal::new(lattice, sites);
            crystal.pbc = pbc;
            crystal.properties = properties;
            crystal.validate(opts.min_distance).map_err(|e| err(e.to_string()))?;
            Structure::Crystal(crystal)
        } else {
            if numbers.is_empty() {
                return Err(err("no atoms".into()));
            }
            Structure::Molecule(Molecule {
                species: elements.into_iter().map(Species::new).collect(),
                positions,
                properties,
                site_properties: Default::default(),
            })
        };
        Ok(Entry { id: self.id.to_string(), location, structure })
    }
}

fn int32s(b: &[u8]) -> Option<Vec<i32>> {
    (b.len() % 4 == 0).then(|| b.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

fn float64s(b: &[u8]) -> Option<Vec<f64>> {
    (b.len() % 8 == 0).then(|| {
        b.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with ASE's table layout, written here with hand-made blobs.
    fn write_db(path: &Path, rows: &[(i64, Vec<i32>, Vec<f64>, Vec<f64>, i64, &str)]) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE systems (id INTEGER PRIMARY KEY AUTOINCREMENT, unique_id TEXT UNIQUE, numbers BLOB, \
             positions BLOB, cell BLOB, pbc INTEGER, energy REAL, key_value_pairs TEXT);
             CREATE TABLE information (name TEXT, value TEXT);
             INSERT INTO information VALUES ('version', '9');",
        )
        .unwrap();
        for (id, numbers, positions, cell, pbc, kvp) in rows {
            let n: Vec<u8> = numbers.iter().flat_map(|z| z.to_le_bytes()).collect();
            let p: Vec<u8> = positions.iter().flat_map(|x| x.to_le_bytes()).collect();
            let c: Vec<u8> = cell.iter().flat_map(|x| x.to_le_bytes()).collect();
            conn.execute(
                "INSERT INTO systems (id, unique_id, numbers, positions, cell, pbc, key_value_pairs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![id, format!("u{id}"), n, p, c, pbc, kvp],
            )
            .unwrap();
        }
    }

    #[test]
    fn reads_rows_in_id_order_and_reports_bad_rows() {
        let dir = std::env::temp_dir().join(format!("screen-asedb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let _ = std::fs::remove_file(&path);
        let cubic = vec![4.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0];
        write_db(
            &path,
            &[
                (3, vec![11, 17], vec![0.0, 0.0, 0.0, 2.0, 2.0, 2.0], cubic.clone(), 7, r#"{"tag": "ok"}"#),
                (9, vec![11, 500], vec![0.0, 0.0, 0.0, 2.0, 2.0, 2.0], cubic.clone(), 7, "{}"),
                (12, vec![11], vec![0.0, 0.0], cubic.clone(), 7, "{}"),
                (15, vec![1, 1], vec![0.0, 0.0, 0.0, 0.74, 0.0, 0.0], vec![], 0, "{}"),
            ],
        );
        let records: Vec<Result<Entry>> = open(&path, &ReadOptions::default()).unwrap().collect();
        assert_eq!(records.len(), 4);
        let first = records[0].as_ref().unwrap();
        assert_eq!((first.id.as_str(), first.location.as_str()), ("3", "row id 3"));
        let crystal = first.structure.as_crystal().unwrap();
        assert_eq!(crystal.sites[1].frac, [0.5, 0.5, 0.5]);
        assert_eq!(crystal.properties["tag"], "ok");
        let e = records[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("row id 9") && e.contains("500 is not an atomic number"), "{e}");
        let e = records[2].as_ref().unwrap_err().to_string();
        assert!(e.contains("1 atomic numbers but 2 position values"), "{e}");
        assert!(matches!(records[3].as_ref().unwrap().structure, Structure::Molecule(_)));
        assert_eq!(count(&path).unwrap(), 4);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_files_that_are_not_ase_databases() {
        let dir = std::env::temp_dir().join(format!("screen-asedb-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = dir.join("x.db");
        std::fs::write(&text, "not a database at all, just text").unwrap();
        assert!(open(&text, &ReadOptions::default()).is_err());
        let other = dir.join("other.db");
        let _ = std::fs::remove_file(&other);
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x INTEGER)").unwrap();
        let e = open(&other, &ReadOptions::default()).err().unwrap().to_string();
        assert!(e.contains("no table 'systems'"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
