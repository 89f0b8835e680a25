//! Combining the outputs of shards (or any result tables of one run) into one table.
//!
//! Inputs must share the output's format. Rows are merged by `record` (each input is in
//! record order, so this is a streaming k-way merge with flat memory), giving exactly the
//! table an unsharded run writes; a record found in two inputs is an error. With a top-k only
//! the `k` best rows by one target are kept (a bounded heap), written best first. Failures
//! (`*.errors.jsonl` beside text inputs, the `errors` table of `.db` inputs) are merged too.

use super::journal::{journal_path, read_journal};
use super::sqlite::{self, ident};
use super::store::{OutputFormat, RunInfo, default_errors_path};
use super::table::{Target, csv_header, split_csv};
use super::Shard;
use crate::error::{Error, Result};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Keep only the `k` best rows by `target`.
#[derive(Clone, Debug)]
pub struct TopK {
    pub target: String,
    pub k: usize,
    /// Largest first (default: smallest first, as for formation energies).
    pub descending: bool,
}

/// What a merge did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub rows: u64,
    pub failures: u64,
    /// Shards `i/N` of the run that were not among the inputs (empty when all were).
    pub missing_shards: Vec<Shard>,
    /// Inputs without a progress journal (whose completeness could not be checked).
    pub unchecked: Vec<PathBuf>,
}

/// Merges `inputs` into `out`; see the module documentation.
pub fn merge(inputs: &[PathBuf], out: &Path, top: Option<&TopK>) -> Result<Summary> {
    let format = OutputFormat::from_path(out)?;
    for input in inputs {
        if OutputFormat::from_path(input)? != format {
            return Err(Error::Usage(format!(
                "'{}' and '{}' differ in format: merge tables of one format (convert with pandas if needed)",
                input.display(),
                out.display()
            )));
        }
        if same_file(input, out) {
            return Err(Error::Usage(format!("'{}' is both an input and the output", out.display())));
        }
    }
    let mut summary = Summary::default();
    let infos = run_infos(inputs, format, &mut summary)?;
    summary.missing_shards = check_shards(inputs, &infos)?;
    let targets = match infos.iter().flatten().next() {
        Some(info) => Some(info.targets.clone()),
        None => None,
    };
    match format {
        OutputFormat::Sqlite => merge_sqlite(inputs, out, top, &infos, &mut summary)?,
        _ => merge_text(inputs, out, format, targets, top, &mut summary)?,
    }
    Ok(summary)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The run of each input (None for text tables without a journal); refuses incomplete
/// inputs and inputs of different runs.
fn run_infos(inputs: &[PathBuf], format: OutputFormat, summary: &mut Summary) -> Result<Vec<Option<RunInfo>>> {
    let mut infos = Vec::new();
    for input in inputs {
        let (info, progress) = if format == OutputFormat::Sqlite {
            let conn = rusqlite::Connection::open_with_flags(input, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| Error::Usage(format!("{}: {e}", input.display())))?;
            let (info, progress) = sqlite::read_run(&conn, input)?;
            (Some(info), Some(progress))
        } else {
            let journal = journal_path(input);
            if journal.exists() {
                let (info, progress, ..) = read_journal(&journal)?;
                (Some(info), Some(progress))
            } else {
                summary.unchecked.push(input.clone());
                (None, None)
            }
        };
        if let Some(p) = progress
            && !p.complete
        {
            return Err(Error::Usage(format!(
                "'{}' is incomplete (its run stopped at record {}): finish it with `screen score ... --resume` first",
                input.display(),
                p.next
            )));
        }
        infos.push(info);
    }
    let known: Vec<(&PathBuf, &RunInfo)> = inputs.iter().zip(&infos).filter_map(|(p, i)| Some((p, i.as_ref()?))).collect();
    if let Some((first_path, first)) = known.first() {
        for (path, info) in &known[1..] {
            if info.run != first.run || info.targets != first.targets {
                return Err(Error::Usage(format!(
                    "'{}' and '{}' come from different runs (model, inputs or settings differ)",
                    first_path.display(),
                    path.display()
                )));
            }
        }
    }
    Ok(infos)
}

/// Refuses a shard given twice; returns the shards of the run that are missing.
fn check_shards(inputs: &[PathBuf], infos: &[Option<RunInfo>]) -> Result<Vec<Shard>> {
    let mut seen: Vec<(Shard, &PathBuf)> = Vec::new();
    for (path, info) in inputs.iter().zip(infos) {
        let Some(info) = info else { continue };
        let shard = info.shard()?;
        if let Some((_, other)) = seen.iter().find(|(s, _)| *s == shard) {
            return Err(Error::Usage(format!(
                "'{}' and '{}' are both shard {shard}",
                other.display(),
                path.display()
            )));
        }
        seen.push((shard, path));
    }
    let Some((first, _)) = seen.first() else { return Ok(Vec::new()) };
    let n = first.count;
    if seen.iter().any(|(s, _)| s.count != n) {
        return Err(Error::Usage("the inputs are shards of different splits (i/N with different N)".into()));
    }
    Ok((0..n).filter(|i| !seen.iter().any(|(s, _)| s.index == *i)).map(|i| Shard { index: i, count: n }).collect())
}

/// A line of a text table with its record.
type Keyed = (u64, String);

/// The lines of a text table after its header, with their records.
fn keyed_lines(path: &Path, csv: bool) -> Result<(Option<String>, impl Iterator<Item = Result<Keyed>> + use<>)> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let header = if csv {
        match lines.next() {
            Some((_, Ok(h))) => Some(h),
            Some((_, Err(e))) => return Err(Error::io(&name, e)),
            None => return Err(Error::Usage(format!("{name}: empty file, expected a CSV header"))),
        }
    } else {
        None
    };
    let iter = lines.filter_map(move |(i, line)| {
        let line = match line {
            Ok(l) if l.trim().is_empty() => return None,
            Ok(l) => l,
            Err(e) => return Some(Err(Error::io(format!("{name}:{}", i + 1), e))),
        };
        let record = if csv {
            line.split(',').next().and_then(|f| f.parse::<u64>().ok())
        } else {
            serde_json::from_str::<serde_json::Value>(&line).ok().and_then(|v| v["record"].as_u64())
        };
        Some(match record {
            Some(r) => Ok((r, line)),
            None => Err(Error::Usage(format!("{name}:{}: no record number at the start of the row", i + 1))),
        })
    });
    Ok((header, iter))
}

/// Streams the union of record-ordered sources in record order.
fn kway<I: Iterator<Item = Result<Keyed>>>(
    mut sources: Vec<(String, I)>,
    mut emit: impl FnMut(u64, String) -> Result<()>,
) -> Result<()> {
    let mut heap = BinaryHeap::new();
    let mut current: Vec<Option<Keyed>> = Vec::with_capacity(sources.len());
    for (i, (_, it)) in sources.iter_mut().enumerate() {
        let next = it.next().transpose()?;
        if let Some((r, _)) = &next {
            heap.push(Reverse((*r, i)));
        }
        current.push(next);
    }
    let mut last: Option<(u64, usize)> = None;
    while let Some(Reverse((record, i))) = heap.pop() {
        let Some((_, line)) = current[i].take() else { continue };
        if let Some((prev, j)) = last
            && prev == record
        {
            return Err(Error::Usage(format!(
                "record {record} appears in both '{}' and '{}'",
                sources[j].0, sources[i].0
            )));
        }
        last = Some((record, i));
        emit(record, line)?;
        let next = sources[i].1.next().transpose()?;
        if let Some((r, _)) = &next {
            if *r <= record {
                return Err(Error::Usage(format!("'{}' is not in record order (record {r} after {record})", sources[i].0)));
            }
            heap.push(Reverse((*r, i)));
        }
        current[i] = next;
    }
    Ok(())
}

/// A row ranked for a top-k: its value (NaN never ranks) and record.
struct Ranked {
    key: f64,
    record: u64,
    line: String,
}

impl PartialEq for Ranked {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ranked {
    /// Better rows are smaller: the heap's maximum is the worst kept row.
    fn cmp(&self, o: &Self) -> Ordering {
        self.key.total_cmp(&o.key).then(self.record.cmp(&o.record))
    }
}

/// Bounded selection of the best `k` rows.
struct Best {
    k: usize,
    sign: f64,
    heap: BinaryHeap<Ranked>,
}

impl Best {
    fn offer(&mut self, value: Option<f64>, record: u64, line: String) {
        let Some(v) = value.filter(|v| v.is_finite()) else { return };
        let r = Ranked { key: self.sign * v, record, line };
        if self.heap.len() < self.k {
            self.heap.push(r);
        } else if self.heap.peek().is_some_and(|worst| r < *worst) {
            self.heap.pop();
            self.heap.push(r);
        }
    }

    fn into_sorted(self) -> Vec<Ranked> {
        self.heap.into_sorted_vec()
    }
}

fn merge_text(
    inputs: &[PathBuf],
    out: &Path,
    format: OutputFormat,
    targets: Option<Vec<Target>>,
    top: Option<&TopK>,
    summary: &mut Summary,
) -> Result<()> {
    let csv = format == OutputFormat::Csv;
    let mut sources = Vec::new();
    let mut header: Option<String> = None;
    for input in inputs {
        let (h, lines) = keyed_lines(input, csv)?;
        if let (Some(first), Some(h)) = (&header, &h)
            && first != h
        {
            return Err(Error::Usage(format!("'{}' has other columns than '{}'", input.display(), inputs[0].display())));
        }
        header = header.or(h);
        sources.push((input.display().to_string(), lines));
    }
    let targets = match (targets, &header) {
        (Some(t), _) => t,
        (None, Some(h)) => split_csv(h).iter().skip(4).map(|c| Target::from_column(c)).collect(),
        (None, None) => Vec::new(),
    };
    let name = out.display().to_string();
    let file = std::fs::File::create(out).map_err(|e| Error::io(&name, e))?;
    let mut w = BufWriter::new(file);
    let io = |e: std::io::Error| Error::io(&name, e);
    if csv {
        writeln!(w, "{}", header.unwrap_or_else(|| csv_header(&targets))).map_err(io)?;
    }
    let mut best = match top {
        Some(t) => {
            let position = targets.iter().position(|x| x.name == t.target).ok_or_else(|| {
                let names: Vec<&str> = targets.iter().map(|x| x.name.as_str()).collect();
                Error::Usage(format!("--by '{}': no such target (the tables have: {})", t.target, names.join(", ")))
            })?;
            Some((position, Best { k: t.k, sign: if t.descending { -1.0 } else { 1.0 }, heap: BinaryHeap::new() }))
        }
        None => None,
    };
    let mut rows = 0u64;
    kway(sources, |record, line| {
        rows += 1;
        match &mut best {
            Some((position, best)) => {
                let value = if csv {
                    split_csv(&line).get(4 + *position).and_then(|v| v.parse::<f64>().ok())
                } else {
                    serde_json::from_str::<serde_json::Value>(&line).ok().and_then(|v| v[&targets[*position].name].as_f64())
                };
                best.offer(value, record, line);
                Ok(())
            }
            None => writeln!(w, "{line}").map_err(io),
        }
    })?;
    if let Some((_, best)) = best {
        let kept = best.into_sorted();
        rows = kept.len() as u64;
        for r in kept {
            writeln!(w, "{}", r.line).map_err(io)?;
        }
    }
    w.flush().map_err(io)?;
    summary.rows = rows;

    // Failures, from the errors files beside the inputs.
    let mut sources = Vec::new();
    for input in inputs {
        let errors = default_errors_path(input);
        if errors.exists() {
            let (_, lines) = keyed_lines(&errors, false)?;
            sources.push((errors.display().to_string(), lines));
        }
    }
    let errors_out = default_errors_path(out);
    let ename = errors_out.display().to_string();
    let mut w = BufWriter::new(std::fs::File::create(&errors_out).map_err(|e| Error::io(&ename, e))?);
    let mut failures = 0u64;
    kway(sources, |_, line| {
        failures += 1;
        writeln!(w, "{line}").map_err(|e| Error::io(&ename, e))
    })?;
    w.flush().map_err(|e| Error::io(&ename, e))?;
    summary.failures = failures;
    Ok(())
}

fn merge_sqlite(
    inputs: &[PathBuf],
    out: &Path,
    top: Option<&TopK>,
    infos: &[Option<RunInfo>],
    summary: &mut Summary,
) -> Result<()> {
    let Some(Some(first)) = infos.first() else {
        return Err(Error::Usage("nothing to merge".into()));
    };
    let err = |e: rusqlite::Error| Error::Usage(format!("{}: {e}", out.display()));
    for suffix in ["", "-wal", "-shm"] {
        let mut name = out.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    let mut conn = sqlite::connect(out)?;
    let complete = summary.missing_shards.is_empty() && top.is_none();
    let info = RunInfo { shard: if complete { Shard::ALL.to_string() } else { "merged".into() }, ..first.clone() };
    sqlite::create_tables(&conn, out, &info)?;
    for (i, input) in inputs.iter().enumerate() {
        let path = input.to_str().ok_or_else(|| Error::Usage(format!("'{}': path is not UTF-8", input.display())))?;
        conn.execute("ATTACH DATABASE ?1 AS shard", [path]).map_err(err)?;
        let tx = conn.transaction().map_err(err)?;
        let copied = tx
            .execute("INSERT INTO main.results SELECT * FROM shard.results ORDER BY record", [])
            .and_then(|_| tx.execute("INSERT INTO main.errors SELECT * FROM shard.errors ORDER BY record", []));
        if let Err(e) = copied {
            return Err(Error::Usage(format!(
                "'{}': {e} (a record already came from {})",
                input.display(),
                inputs[..i].iter().map(|p| format!("'{}'", p.display())).collect::<Vec<_>>().join(", ")
            )));
        }
        tx.commit().map_err(err)?;
        conn.execute("DETACH DATABASE shard", []).map_err(err)?;
    }
    if let Some(t) = top {
        if !first.targets.iter().any(|x| x.name == t.target) {
            let names: Vec<&str> = first.targets.iter().map(|x| x.name.as_str()).collect();
            return Err(Error::Usage(format!("--by '{}': no such target (the tables have: {})", t.target, names.join(", "))));
        }
        let order = if t.descending { "DESC" } else { "ASC" };
        let column = ident(&t.target);
        conn.execute(
            &format!(
                "DELETE FROM results WHERE record NOT IN (SELECT record FROM results WHERE {column} IS NOT NULL \
                 ORDER BY {column} {order}, record LIMIT ?1)"
            ),
            [t.k as i64],
        )
        .map_err(err)?;
    }
    conn.execute("UPDATE screen_run SET value = 'true' WHERE key = 'complete'", []).map_err(err)?;
    let (_, progress) = sqlite::read_run(&conn, out)?;
    summary.rows = progress.rows;
    summary.failures = progress.failures;
    Ok(())
}
