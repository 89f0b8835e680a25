//! CSV / JSON Lines outputs: append-only files plus a progress journal.
//!
//! `results.csv` gets rows, `results.errors.jsonl` failures, and `results.csv.journal` one
//! JSON line per committed batch with the byte lengths of both files at that point. A batch
//! is written and fsync'd to the files before its journal line is written and fsync'd, so the
//! last complete journal line always describes data that is on disk. Resuming cuts both files
//! (and a torn journal line) back to the last complete journal line and appends from there.

use super::store::{OutputFormat, Progress, RunInfo, Store, mismatch};
use super::table::{Failure, Row, Target, csv_header};
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the journal layout.
const JOURNAL_VERSION: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    screen_score_journal: u32,
    info: RunInfo,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Commit {
    next: u64,
    rows: u64,
    failures: u64,
    out_bytes: u64,
    errors_bytes: u64,
    complete: bool,
}

/// The journal beside an output: `results.csv` → `results.csv.journal`.
pub fn journal_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".journal");
    out.with_file_name(name)
}

/// Reads a journal: the run it belongs to, its last complete commit and the byte length of
/// its complete lines (a torn last line is not counted).
pub fn read_journal(path: &Path) -> Result<(RunInfo, Progress, u64, u64, u64)> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
    let good = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let text = String::from_utf8_lossy(&bytes[..good]);
    let corrupt = |line: usize, what: String| Error::Usage(format!("{name}:{line}: corrupt progress journal: {what}"));
    let mut lines = text.lines();
    let header: Header = serde_json::from_str(lines.next().unwrap_or("")).map_err(|e| corrupt(1, e.to_string()))?;
    if header.screen_score_journal != JOURNAL_VERSION {
        return Err(corrupt(1, format!("journal version {} (this screen writes {JOURNAL_VERSION})", header.screen_score_journal)));
    }
    let mut last = None;
    for (i, line) in lines.enumerate() {
        let c: Commit = serde_json::from_str(line).map_err(|e| corrupt(i + 2, e.to_string()))?;
        last = Some(c);
    }
    let c = last.ok_or_else(|| corrupt(2, "no commit line".into()))?;
    let progress = Progress { next: c.next, rows: c.rows, failures: c.failures, complete: c.complete };
    Ok((header.info, progress, c.out_bytes, c.errors_bytes, good as u64))
}

/// A CSV or JSON Lines output with its errors file and journal.
pub struct TextStore {
    format: OutputFormat,
    targets: Vec<Target>,
    out_path: PathBuf,
    errors_path: PathBuf,
    journal_path: PathBuf,
    out: File,
    errors: File,
    journal: File,
    out_bytes: u64,
    errors_bytes: u64,
    progress: Progress,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::io(path.display(), e)
}

/// Cuts a file to `len` bytes and opens it for appending.
fn cut_and_append(path: &Path, len: u64) -> Result<File> {
    let f = OpenOptions::new().write(true).open(path).map_err(io(path))?;
    let have = f.metadata().map_err(io(path))?.len();
    if have < len {
        return Err(Error::Usage(format!(
            "cannot resume: '{}' has {have} bytes but its journal records {len}; it was changed outside screen",
            path.display()
        )));
    }
    f.set_len(len).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    OpenOptions::new().append(true).open(path).map_err(io(path))
}

/// Makes a new file's directory entry durable.
fn sync_dir(path: &Path) {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

impl TextStore {
    pub fn open(out: &Path, errors: &Path, format: OutputFormat, info: &RunInfo, resume: bool) -> Result<TextStore> {
        let journal_path = journal_path(out);
        if resume && journal_path.exists() {
            let (stored, progress, out_bytes, errors_bytes, journal_bytes) = read_journal(&journal_path)?;
            if &stored != info {
                return Err(mismatch(out, &stored, info));
            }
            if !errors.exists() {
                File::create(errors).map_err(io(errors))?;
            }
            return Ok(TextStore {
                format,
                targets: info.targets.clone(),
                out: cut_and_append(out, out_bytes)?,
                errors: cut_and_append(errors, errors_bytes)?,
                journal: cut_and_append(&journal_path, journal_bytes)?,
                out_path: out.to_path_buf(),
                errors_path: errors.to_path_buf(),
                journal_path,
                out_bytes,
                errors_bytes,
                progress,
            });
        }
        let fresh_header = if format == OutputFormat::Csv { format!("{}\n", csv_header(&info.targets)) } else { String::new() };
        // A run killed before its journal existed left at most the header: nothing to lose.
        let holds_rows = out.metadata().is_ok_and(|m| m.len() > fresh_header.len() as u64)
            || std::fs::read(out).is_ok_and(|b| !fresh_header.as_bytes().starts_with(&b));
        if resume && holds_rows {
            return Err(Error::Usage(format!(
                "cannot resume '{}': it has no progress journal ({}), so what it holds is unknown; remove it or run without --resume",
                out.display(),
                journal_path.display()
            )));
        }
        let mut out_file = File::create(out).map_err(io(out))?;
        out_file.write_all(fresh_header.as_bytes()).map_err(io(out))?;
        let out_bytes = fresh_header.len() as u64;
        out_file.sync_all().map_err(io(out))?;
        let errors_file = File::create(errors).map_err(io(errors))?;
        errors_file.sync_all().map_err(io(errors))?;
        // Written aside and renamed: a journal, once there, is whole.
        let mut temporary = journal_path.as_os_str().to_os_string();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let mut journal = File::create(&temporary).map_err(io(&temporary))?;
        let header = Header { screen_score_journal: JOURNAL_VERSION, info: info.clone() };
        let first = Commit { next: 0, rows: 0, failures: 0, out_bytes, errors_bytes: 0, complete: false };
        let text = format!("{}\n{}\n", json(&header), json(&first));
        journal.write_all(text.as_bytes()).map_err(io(&temporary))?;
        journal.sync_all().map_err(io(&temporary))?;
        std::fs::rename(&temporary, &journal_path).map_err(io(&journal_path))?;
        sync_dir(out);
        let journal = OpenOptions::new().append(true).open(&journal_path).map_err(io(&journal_path))?;
        Ok(TextStore {
            format,
            targets: info.targets.clone(),
            out_path: out.to_path_buf(),
            errors_path: errors.to_path_buf(),
            journal_path,
            out: out_file,
            errors: errors_file,
            journal,
            out_bytes,
            errors_bytes: 0,
            progress: Progress::default(),
        })
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    // Plain structs of strings and numbers always serialise.
    serde_json::to_string(v).unwrap_or_default()
}

impl Store for TextStore {
    fn progress(&self) -> Progress {
        self.progress
    }

    fn commit(&mut self, rows: &[Row], failures: &[Failure], next: u64, complete: bool) -> Result<()> {
        let mut text = String::new();
        for row in rows {
            text.push_str(&match self.format {
                OutputFormat::Csv => row.csv(),
                _ => row.json(&self.targets),
            });
            text.push('\n');
        }
        let mut failed = String::new();
        for f in failures {
            failed.push_str(&f.json());
            failed.push('\n');
        }
        self.out.write_all(text.as_bytes()).map_err(io(&self.out_path))?;
        self.errors.write_all(failed.as_bytes()).map_err(io(&self.errors_path))?;
        self.out.sync_data().map_err(io(&self.out_path))?;
        self.errors.sync_data().map_err(io(&self.errors_path))?;
        let progress = Progress {
            next,
            rows: self.progress.rows + rows.len() as u64,
            failures: self.progress.failures + failures.len() as u64,
            complete,
        };
        let commit = Commit {
            next,
            rows: progress.rows,
            failures: progress.failures,
            out_bytes: self.out_bytes + text.len() as u64,
            errors_bytes: self.errors_bytes + failed.len() as u64,
            complete,
        };
        let line = format!("{}\n", json(&commit));
        self.journal.write_all(line.as_bytes()).map_err(io(&self.journal_path))?;
        self.journal.sync_data().map_err(io(&self.journal_path))?;
        self.out_bytes = commit.out_bytes;
        self.errors_bytes = commit.errors_bytes;
        self.progress = progress;
        Ok(())
    }

    fn errors_location(&self) -> String {
        self.errors_path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Shard, store};

    fn info(batch: u64) -> RunInfo {
        RunInfo::new(
            serde_json::json!({"commit_every": batch}),
            Shard::ALL,
            vec![Target { name: "e".into(), unit: "eV".into() }],
        )
    }

    fn row(record: u64) -> Row {
        Row { record, id: format!("r{record}"), source: "in.jsonl".into(), formula: "NaCl".into(), values: vec![record as f32 * 0.5] }
    }

    #[test]
    fn resume_cuts_torn_tails_and_continues_where_the_journal_ends() {
        let dir = std::env::temp_dir().join(format!("screen-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["a.csv", "b.jsonl"] {
            let (fresh, resumed) = (dir.join(format!("fresh-{name}")), dir.join(format!("resumed-{name}")));
            let mut s = store::open(&fresh, None, &info(2), false).unwrap();
            s.commit(&[row(0), row(1)], &[], 2, false).unwrap();
            s.commit(&[row(2)], &[Failure { record: 3, source: "in".into(), id: String::new(), reason: "bad".into() }], 4, false).unwrap();
            s.commit(&[row(4)], &[], 5, true).unwrap();
            drop(s);

            let mut s = store::open(&resumed, None, &info(2), true).unwrap();
            s.commit(&[row(0), row(1)], &[], 2, false).unwrap();
            drop(s);
            // What a kill in the middle of the next batch leaves behind.
            let mut out = OpenOptions::new().append(true).open(&resumed).unwrap();
            out.write_all(b"2,r2,in.jso").unwrap();
            let mut j = OpenOptions::new().append(true).open(journal_path(&resumed)).unwrap();
            j.write_all(b"{\"next\":4,\"ro").unwrap();
            drop((out, j));

            let mut s = store::open(&resumed, None, &info(2), true).unwrap();
            assert_eq!(s.progress(), Progress { next: 2, rows: 2, failures: 0, complete: false });
            s.commit(&[row(2)], &[Failure { record: 3, source: "in".into(), id: String::new(), reason: "bad".into() }], 4, false).unwrap();
            s.commit(&[row(4)], &[], 5, true).unwrap();
            drop(s);
            assert_eq!(std::fs::read(&fresh).unwrap(), std::fs::read(&resumed).unwrap(), "{name}");
            assert_eq!(
                std::fs::read(store::default_errors_path(&fresh)).unwrap(),
                std::fs::read(store::default_errors_path(&resumed)).unwrap()
            );
            let (_, progress, ..) = read_journal(&journal_path(&resumed)).unwrap();
            assert_eq!(progress, Progress { next: 5, rows: 4, failures: 1, complete: true });

            // Another run's settings are refused; so is a table without a journal.
            let e = store::open(&resumed, None, &info(3), true).err().unwrap().to_string();
            assert!(e.contains("cannot resume"), "{e}");
            std::fs::remove_file(journal_path(&resumed)).unwrap();
            assert!(store::open(&resumed, None, &info(2), true).is_err());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
