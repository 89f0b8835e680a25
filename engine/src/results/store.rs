//! Where scored rows go, committed in batches so that a killed run resumes exactly.
//!
//! A store records with each batch the position just past its last record (`next`); a
//! resumed run skips every record before it. Batches are all-or-nothing: SQLite commits one
//! transaction per batch; text outputs append the batch, fsync it, then append a line to the
//! progress journal and fsync that, and on resume cut the files back to the last journal line.

use super::table::{Failure, Row, Target};
use super::{Shard, journal, sqlite};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The output formats, chosen by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Jsonl,
    Sqlite,
}

impl OutputFormat {
    /// `.csv`, `.jsonl` / `.ndjson`, `.db` / `.sqlite`.
    pub fn from_path(path: &Path) -> Result<OutputFormat> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("jsonl") | Some("ndjson") => Ok(OutputFormat::Jsonl),
            Some("db") | Some("sqlite") | Some("sqlite3") => Ok(OutputFormat::Sqlite),
            _ => Err(Error::Usage(format!("'{}': expected a .csv, .jsonl or .db output", path.display()))),
        }
    }
}

/// What produced a table: the run settings (model, inputs, batch sizes, reader options)
/// apart from the shard, the shard, and the targets. A resume must match it exactly, and
/// merged shards must agree on everything but the shard.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunInfo {
    pub run: serde_json::Value,
    pub shard: String,
    pub targets: Vec<Target>,
}

impl RunInfo {
    pub fn new(run: serde_json::Value, shard: Shard, targets: Vec<Target>) -> RunInfo {
        RunInfo { run, shard: shard.to_string(), targets }
    }

    pub fn shard(&self) -> Result<Shard> {
        self.shard.parse()
    }
}

/// How far a table is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Every record before this position is in the table (scored or failed).
    pub next: u64,
    pub rows: u64,
    pub failures: u64,
    /// The run finished.
    pub complete: bool,
}

/// A result table being written.
pub trait Store: Send {
    fn progress(&self) -> Progress;

    /// Adds a batch atomically: its rows and failures, the position after its last record,
    /// and whether it is the last batch. On return the batch survives a crash.
    fn commit(&mut self, rows: &[Row], failures: &[Failure], next: u64, complete: bool) -> Result<()>;

    /// Where failures go (a file, or a table of the output).
    fn errors_location(&self) -> String;
}

/// The errors file beside a text output: `results.csv` → `results.errors.jsonl`.
pub fn default_errors_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "results".into());
    out.with_file_name(format!("{stem}.errors.jsonl"))
}

/// Opens `out` for writing a run: fresh (replacing what is there), or with `resume` where
/// the last commit left it (fresh when nothing is there yet). `errors` overrides the errors
/// file of text outputs; `.db` outputs keep failures in their `errors` table.
pub fn open(out: &Path, errors: Option<&Path>, info: &RunInfo, resume: bool) -> Result<Box<dyn Store>> {
    match OutputFormat::from_path(out)? {
        OutputFormat::Sqlite => Ok(Box::new(sqlite::SqliteStore::open(out, info, resume)?)),
        format => {
            let errors = errors.map(Path::to_path_buf).unwrap_or_else(|| default_errors_path(out));
            Ok(Box::new(journal::TextStore::open(out, &errors, format, info, resume)?))
        }
    }
}

/// The refusal to resume over a different run.
pub(crate) fn mismatch(path: &Path, stored: &RunInfo, wanted: &RunInfo) -> Error {
    let what = if stored.targets != wanted.targets {
        "the model's targets differ".to_string()
    } else if stored.shard != wanted.shard {
        format!("it holds shard {}, not {}", stored.shard, wanted.shard)
    } else {
        format!("its settings differ:\n  stored: {}\n  now:    {}", stored.run, wanted.run)
    };
    Error::Usage(format!(
        "cannot resume '{}': it was written by another run ({what}); remove it or run without --resume",
        path.display()
    ))
}
