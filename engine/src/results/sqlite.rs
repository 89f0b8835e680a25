//! SQLite outputs (`.db`): one transaction per batch.
//!
//! Tables: `results(record INTEGER PRIMARY KEY, id, source, formula, "<target>" REAL…)`
//! (NULL where the model gave no value), `errors(record INTEGER PRIMARY KEY, source, id,
//! reason)`, `targets(position, name, unit)` and `screen_run(key, value)` holding the run
//! settings and the progress (`next`, `complete`). Rows are stored in record order, so
//! `SELECT * FROM results` lists them as an uninterrupted run would; `pandas.read_sql` reads
//! them directly.

use super::store::{Progress, RunInfo, Store, mismatch};
use super::table::{Failure, Row};
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

/// A quoted SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    insert_row: String,
    progress: Progress,
}

fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Usage(format!("{}: {e}", path.display()))
}

/// Removes a database and its write-ahead log.
fn remove_db(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        match std::fs::remove_file(PathBuf::from(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path.display(), e)),
        }
    }
    Ok(())
}

/// Reads the run settings and progress of a result database.
pub fn read_run(conn: &Connection, path: &Path) -> Result<(RunInfo, Progress)> {
    let err = sql_error(path);
    let get = |key: &str| -> Result<Option<String>> {
        conn.query_row("SELECT value FROM screen_run WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(&err)
    };
    let not_ours = || Error::Usage(format!("'{}' is not a result database of screen score", path.display()));
    let info: RunInfo = serde_json::from_str(&get("run")?.ok_or_else(not_ours)?).map_err(|_| not_ours())?;
    let number = |key: &str| -> Result<u64> { Ok(get(key)?.and_then(|v| v.parse().ok()).unwrap_or(0)) };
    let progress = Progress {
        next: number("next")?,
        rows: conn.query_row("SELECT COUNT(*) FROM results", [], |r| r.get::<_, i64>(0)).map_err(&err)? as u64,
        failures: conn.query_row("SELECT COUNT(*) FROM errors", [], |r| r.get::<_, i64>(0)).map_err(&err)? as u64,
        complete: get("complete")?.as_deref() == Some("true"),
    };
    Ok((info, progress))
}

/// Creates the tables of a result database for `info`.
pub fn create_tables(conn: &Connection, path: &Path, info: &RunInfo) -> Result<()> {
    let err = sql_error(path);
    let columns: String = info.targets.iter().map(|t| format!(", {} REAL", ident(&t.name))).collect();
    // One transaction: a kill leaves either no tables or all of them.
    conn.execute_batch("BEGIN").map_err(&err)?;
    conn.execute_batch(&format!(
        "CREATE TABLE results (record INTEGER PRIMARY KEY, id TEXT, source TEXT, formula TEXT{columns});
         CREATE TABLE errors (record INTEGER PRIMARY KEY, source TEXT, id TEXT, reason TEXT);
         CREATE TABLE targets (position INTEGER PRIMARY KEY, name TEXT, unit TEXT);
         CREATE TABLE screen_run (key TEXT PRIMARY KEY, value TEXT);"
    ))
    .map_err(&err)?;
    for (i, t) in info.targets.iter().enumerate() {
        conn.execute("INSERT INTO targets VALUES (?1, ?2, ?3)", params![i as i64, t.name, t.unit]).map_err(&err)?;
    }
    let run = serde_json::to_string(info).map_err(|e| Error::Usage(e.to_string()))?;
    conn.execute("INSERT INTO screen_run VALUES ('run', ?1), ('next', '0'), ('complete', 'false')", [run]).map_err(&err)?;
    conn.execute_batch("COMMIT").map_err(&err)?;
    Ok(())
}

/// Opens a database with the durability a result table needs.
pub fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(sql_error(path))?;
    // WAL with full sync: a commit is on disk when it returns, and a kill never leaves a
    // half-written transaction visible.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;")
        .map_err(sql_error(path))?;
    Ok(conn)
}

impl SqliteStore {
    pub fn open(path: &Path, info: &RunInfo, resume: bool) -> Result<SqliteStore> {
        let mut exists = path.metadata().is_ok_and(|m| m.len() > 0);
        if resume && exists {
            // A run killed while creating the tables left none: nothing to resume.
            let conn = connect(path)?;
            let tables: i64 = conn
                .query_row("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))
                .map_err(sql_error(path))?;
            exists = tables > 0;
        }
        if !resume || !exists {
            remove_db(path)?;
        }
        let conn = connect(path)?;
        let progress = if resume && exists {
            let (stored, progress) = read_run(&conn, path)?;
            if &stored != info {
                return Err(mismatch(path, &stored, info));
            }
            progress
        } else {
            create_tables(&conn, path, info)?;
            Progress::default()
        };
        let placeholders: String = (0..info.targets.len()).map(|i| format!(", ?{}", i + 5)).collect();
        let insert_row = format!("INSERT INTO results VALUES (?1, ?2, ?3, ?4{placeholders})");
        Ok(SqliteStore { conn, path: path.to_path_buf(), insert_row, progress })
    }
}

impl Store for SqliteStore {
    fn progress(&self) -> Progress {
        self.progress
    }

    fn commit(&mut self, rows: &[Row], failures: &[Failure], next: u64, complete: bool) -> Result<()> {
        let err = sql_error(&self.path);
        let tx = self.conn.transaction().map_err(&err)?;
        {
            let mut insert = tx.prepare_cached(&self.insert_row).map_err(&err)?;
            for row in rows {
                let mut values: Vec<rusqlite::types::Value> = vec![
                    (row.record as i64).into(),
                    row.id.clone().into(),
                    row.source.clone().into(),
                    row.formula.clone().into(),
                ];
                values.extend(row.values.iter().map(|&v| {
                    if v.is_nan() { rusqlite::types::Value::Null } else { rusqlite::types::Value::Real(v as f64) }
                }));
                insert.execute(rusqlite::params_from_iter(values)).map_err(&err)?;
            }
            let mut insert = tx.prepare_cached("INSERT INTO errors VALUES (?1, ?2, ?3, ?4)").map_err(&err)?;
            for f in failures {
                insert.execute(params![f.record as i64, f.source, f.id, f.reason]).map_err(&err)?;
            }
            tx.execute("UPDATE screen_run SET value = ?1 WHERE key = 'next'", [next.to_string()]).map_err(&err)?;
            tx.execute("UPDATE screen_run SET value = ?1 WHERE key = 'complete'", [complete.to_string()]).map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        self.progress = Progress {
            next,
            rows: self.progress.rows + rows.len() as u64,
            failures: self.progress.failures + failures.len() as u64,
            complete,
        };
        Ok(())
    }

    fn errors_location(&self) -> String {
        format!("table 'errors' of {}", self.path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Shard, Target, store};

    #[test]
    fn batches_commit_and_resume_in_place() {
        let dir = std::env::temp_dir().join(format!("screen-sqlite-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.db");
        let info = RunInfo::new(serde_json::json!({"x": 1}), Shard::ALL, vec![Target { name: "e \"q\"".into(), unit: "eV".into() }]);
        let row = |r: u64, v: f32| Row { record: r, id: format!("i{r}"), source: "s".into(), formula: "Si".into(), values: vec![v] };
        let mut s = store::open(&path, None, &info, false).unwrap();
        s.commit(&[row(0, 0.1), row(1, f32::NAN)], &[], 2, false).unwrap();
        drop(s);
        let mut s = store::open(&path, None, &info, true).unwrap();
        assert_eq!(s.progress(), Progress { next: 2, rows: 2, failures: 0, complete: false });
        s.commit(&[row(2, -3.5)], &[Failure { record: 3, source: "s".into(), id: "i3".into(), reason: "why".into() }], 4, true)
            .unwrap();
        drop(s);
        let conn = Connection::open(&path).unwrap();
        let values: Vec<Option<f64>> = conn
            .prepare("SELECT \"e \"\"q\"\"\" FROM results ORDER BY record")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|v| v.unwrap())
            .collect();
        assert_eq!(values, vec![Some(0.1f32 as f64), None, Some(-3.5)]);
        let (_, progress) = read_run(&conn, &path).unwrap();
        assert_eq!(progress, Progress { next: 4, rows: 3, failures: 1, complete: true });
        // A fresh run replaces the table.
        drop(conn);
        let s = store::open(&path, None, &info, false).unwrap();
        assert_eq!(s.progress(), Progress::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
