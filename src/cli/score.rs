//! `screen score`: scores candidate databases with a model, crash-safe and shardable.
//!
//! Records stream from the inputs in a fixed order and are numbered (`record`, 0-based), and
//! cut by number into blocks of `--commit-every`; shard i/N owns the blocks `b % N == i`. A
//! reader thread parses the next block while the model predicts the current one (packed
//! forward passes, parallel with rayon), and each block is committed atomically to the output
//! (see `screen_engine::results`). `--resume` skips the blocks committed before a crash.
//! Blocks are fixed by record numbers alone, so every forward pass has the same batch-mates
//! however a run was stopped or sharded, and the final table is bit for bit the one an
//! uninterrupted, unsharded run writes.

use super::Status;
use super::input::{InputOptions, expand_inputs};
use super::model_args::ModelArgs;
use indicatif::{ProgressBar, ProgressStyle};
use screen_crystalframer::geometry::CrystalInput;
use screen_crystalframer::Predictor;
use screen_engine::crystal::{Entry, Structure};
use screen_engine::formats::{self, Format};
use screen_engine::results::{self, Failure, Row, RunInfo, Shard, Target};
use screen_engine::{Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

/// Score structures with a model: one row per structure (record, id, source, formula, each
/// target with its unit; an ensemble adds `<target>_std`, its members' spread) into CSV, JSON Lines or SQLite, committed in batches so that a killed
/// run continues with --resume. Structures that cannot be read or scored go to the errors
/// file (text outputs: OUT.errors.jsonl) or the `errors` table (.db) with the reason; the exit
/// code is then 1.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Candidate databases: ASE .db, JSONL(.gz), (multi-frame) extXYZ, CIF, POSCAR, pymatgen
    /// JSON files, or directories of them (read recursively, sorted).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Output table: .csv, .jsonl or .db (SQLite).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Errors file of text outputs (default: OUT with .errors.jsonl).
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
    /// Continue a run that was stopped (starts afresh when OUT does not exist yet).
    #[arg(long)]
    resume: bool,
    /// Score only shard i of N (0-based): the blocks of --commit-every records whose number
    /// b has b % N == i. Merge the shards' outputs with `screen merge`.
    #[arg(long, value_name = "i/N")]
    shard: Option<Shard>,
    /// Records per block: the unit of commits (a crash loses at most one block of work) and of
    /// shards (use blocks well below records/N).
    #[arg(long, default_value_t = 1024, value_name = "N")]
    commit_every: usize,
    /// Crystals per forward pass (packed, no padding).
    #[arg(long, default_value_t = 64, value_name = "N")]
    batch_size: usize,
    /// Structures with more sites are not scored (reported as errors).
    #[arg(long, default_value_t = 500, value_name = "N")]
    max_sites: usize,
    /// Worker threads (default: all cores available to the process).
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    input: InputOptions,
}


/// FNV-1a of a file: identifies the weights a table was scored with.
fn file_digest(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path.display(), e))?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path.display(), e))?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            hash = (hash ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}"))
}

/// Digest of each member's weights (`file` 0) or configuration (1): a string for one
/// network, a list for an ensemble.
fn member_digests(predictor: &Predictor, file: usize) -> Result<serde_json::Value> {
    let digests = predictor.members().iter().map(|m| file_digest(&m.files[file])).collect::<Result<Vec<_>>>()?;
    Ok(match digests.as_slice() {
        [one] => serde_json::Value::from(one.clone()),
        _ => serde_json::Value::from(digests),
    })
}

/// The settings that decide a table's contents; a resume must match them.
fn run_settings(args: &Args, predictor: &Predictor, inputs: &[PathBuf]) -> Result<serde_json::Value> {
    let sizes: Vec<serde_json::Value> = inputs
        .iter()
        .map(|p| serde_json::json!([p.display().to_string(), p.metadata().map(|m| m.len()).unwrap_or(0)]))
        .collect();
    Ok(serde_json::json!({
        "weights": member_digests(predictor, 0)?,
        "config": member_digests(predictor, 1)?,
        "inputs": sizes,
        "commit_every": args.commit_every,
        "batch_size": args.batch_size,
        "max_sites": args.max_sites,
        "device": args.model.device,
        "frame_noise": args.model.frame_noise,
        "seed": args.model.seed,
        "from": args.input.from,
        "species": args.input.species,
        "min_distance": args.input.min_distance,
    }))
}

/// One record read from the inputs.
struct Item {
    record: u64,
    source: Arc<str>,
    entry: Result<Entry>,
}

/// The shard's records of one block; `next` is the position after the block, `last` marks
/// the end of the inputs.
struct Batch {
    items: Vec<Item>,
    next: u64,
    last: bool,
}

/// Reads the inputs in order, numbering every record, and sends the shard's blocks of `size`
/// records from position `start` (a block boundary) on.
fn read_batches(
    inputs: Vec<PathBuf>,
    format: Option<Format>,
    opts: formats::ReadOptions,
    shard: Shard,
    start: u64,
    size: usize,
    tx: SyncSender<Batch>,
) {
    let size = size as u64;
    let mut record = 0u64;
    let mut items = Vec::new();
    for path in &inputs {
        let source: Arc<str> = Arc::from(path.display().to_string());
        let mut take = |entry: Result<Entry>, record: u64| -> bool {
            if record < start || !shard.contains(record, size) {
                return true;
            }
            items.push(Item { record, source: source.clone(), entry });
            if record % size == size - 1 {
                let batch = Batch { items: std::mem::take(&mut items), next: record + 1, last: false };
                return tx.send(batch).is_ok();
            }
            true
        };
        match formats::open(path, format, &opts) {
            Ok(records) => {
                for entry in records {
                    let keep_going = take(entry, record);
                    record += 1;
                    if !keep_going {
                        return;
                    }
                }
            }
            Err(e) => {
                let keep_going = take(Err(e), record);
                record += 1;
                if !keep_going {
                    return;
                }
            }
        }
    }
    let _ = tx.send(Batch { items, next: record.max(start), last: true });
}

/// Counts the records of the inputs cheaply (JSONL lines, ASE rows, XYZ frames by their
/// counts, CIF data blocks, one per other file), for the progress bar's length and ETA.
fn count_records(inputs: &[PathBuf], format: Option<Format>) -> Option<u64> {
    let mut total = 0u64;
    for path in inputs {
        if format.is_none() && Format::from_path(path).is_none() && formats::ase_db::is_ase_db(path) {
            total += formats::ase_db::count(path).ok()?;
            continue;
        }
        let format = format.or_else(|| Format::from_path(path))?;
        if format.single_structure() {
            total += 1;
            continue;
        }
        let file = std::fs::File::open(path).ok()?;
        let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        let mut lines = reader.split(b'\n');
        match format {
            Format::Jsonl => total += lines.filter(|l| l.as_ref().is_ok_and(|l| !l.trim_ascii().is_empty())).count() as u64,
            Format::Cif => total += lines.filter(|l| l.as_ref().is_ok_and(|l| l.trim_ascii_start().starts_with(b"data_"))).count() as u64,
            Format::Xyz => {
                while let Some(Ok(line)) = lines.next() {
                    let Ok(n) = std::str::from_utf8(&line).unwrap_or("").trim().parse::<u64>() else { break };
                    total += 1;
                    for _ in 0..=n {
                        if lines.next().is_none() {
                            break;
                        }
                    }
                }
            }
            _ => total += 1,
        }
    }
    Some(total)
}

/// Scores one batch: rows of the structures the model took, failures of the others, both
/// in record order.
fn score_batch(batch: Vec<Item>, predictor: &Predictor, max_sites: usize) -> (Vec<Row>, Vec<Failure>) {
    let mut failures = Vec::new();
    let mut good: Vec<(u64, Arc<str>, Entry)> = Vec::new();
    let mut inputs = Vec::new();
    for item in batch {
        let fail = |id: String, reason: String| Failure { record: item.record, source: item.source.to_string(), id, reason };
        let entry = match item.entry {
            Ok(e) => e,
            Err(e) => {
                failures.push(fail(String::new(), e.to_string()));
                continue;
            }
        };
        let problem = match &entry.structure {
            Structure::Molecule(_) => Some("a molecule (no lattice): the model scores crystals".to_string()),
            Structure::Crystal(c) if c.pbc != [true; 3] => {
                Some(format!("periodic along {:?} only: the model scores bulk crystals", c.pbc))
            }
            Structure::Crystal(c) if c.num_sites() > max_sites => {
                Some(format!("{} sites, more than --max-sites {max_sites}", c.num_sites()))
            }
            Structure::Crystal(_) => None,
        };
        if let Some(reason) = problem {
            failures.push(fail(entry.id.clone(), format!("{}: {reason}", entry.location)));
            continue;
        }
        if let Structure::Crystal(c) = &entry.structure {
            inputs.push(CrystalInput::from_crystal(c));
            good.push((item.record, item.source, entry));
        }
    }
    let predictions = predictor.predict_each(&inputs);
    let mut rows = Vec::with_capacity(good.len());
    for ((record, source, entry), result) in good.into_iter().zip(predictions) {
        match result {
            Ok(estimate) => rows.push(Row {
                record,
                formula: entry.structure.composition().reduced_formula(),
                id: entry.id,
                source: source.to_string(),
                values: estimate.mean.into_iter().chain(estimate.std.into_iter().flatten()).collect(),
            }),
            Err(e) => {
                let message = match e {
                    screen_crystalframer::Error::Crystal { message, .. } => message,
                    other => other.to_string(),
                };
                failures.push(Failure { record, source: source.to_string(), id: entry.id, reason: message });
            }
        }
    }
    failures.sort_by_key(|f| f.record);
    (rows, failures)
}

pub fn run(args: Args) -> Result<Status> {
    if args.commit_every == 0 || args.batch_size == 0 {
        return Err(Error::Usage("--commit-every and --batch-size must be at least 1".into()));
    }
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .map_err(|e| Error::Usage(format!("--threads: {e}")))?;
    }
    results::OutputFormat::from_path(&args.out)?;
    let format = args.input.format()?;
    let read_options = args.input.read_options()?;
    let shard = args.shard.unwrap_or(Shard::ALL);
    let inputs = expand_inputs(&args.inputs);
    if let Some(missing) = inputs.iter().find(|p| !p.exists()) {
        return Err(Error::Usage(format!("{}: no such file or directory", missing.display())));
    }
    let predictor = args.model.load()?.with_batch_size(args.batch_size);
    let model_targets = &predictor.metadata().targets;
    let mut targets: Vec<Target> = model_targets.iter().map(|t| Target { name: t.name.clone(), unit: t.unit.clone() }).collect();
    if predictor.members().len() > 1 {
        targets.extend(model_targets.iter().map(|t| Target { name: format!("{}_std", t.name), unit: t.unit.clone() }));
    }
    let info = RunInfo::new(run_settings(&args, &predictor, &inputs)?, shard, targets);
    let mut store = results::store::open(&args.out, args.errors.as_deref(), &info, args.resume)?;
    let resumed = store.progress();
    if resumed.complete {
        eprintln!(
            "{} is complete: {} row(s), {} failure(s); nothing to do",
            args.out.display(),
            resumed.rows,
            resumed.failures
        );
        return Ok(if resumed.failures > 0 { Status::InputErrors } else { Status::Success });
    }

    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} structures scored ({per_sec}) {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let done_before = resumed.rows + resumed.failures;
    progress.set_position(done_before);
    progress.reset_eta();
    {
        let (progress, inputs, block) = (progress.clone(), inputs.clone(), args.commit_every);
        std::thread::spawn(move || {
            if let Some(total) = count_records(&inputs, format) {
                progress.set_length(shard.size_of(total, block as u64));
                if let Ok(style) = ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} structures ({per_sec}, ETA {eta}) {msg}",
                ) {
                    progress.set_style(style);
                }
            }
        });
    }

    let (tx, rx): (SyncSender<Batch>, Receiver<Batch>) = sync_channel(2);
    let reader = {
        let inputs = inputs.clone();
        let (size, start) = (args.commit_every, resumed.next);
        std::thread::spawn(move || read_batches(inputs, format, read_options, shard, start, size, tx))
    };
    let started = Instant::now();
    let mut scored = 0u64;
    let mut finished = false;
    for batch in rx.iter() {
        let n = batch.items.len() as u64;
        let (rows, failures) = score_batch(batch.items, &predictor, args.max_sites);
        for f in &failures {
            // Reader errors name their file and line already.
            let line = if f.id.is_empty() { f.reason.clone() } else { format!("{} [{}]: {}", f.source, f.id, f.reason) };
            progress.suspend(|| eprintln!("error: {line}"));
        }
        finished = batch.last;
        store.commit(&rows, &failures, batch.next, finished)?;
        scored += n;
        progress.inc(n);
        if finished {
            break;
        }
    }
    drop(rx);
    let _ = reader.join();
    if !finished {
        return Err(Error::Usage("the input reader stopped before the end of the inputs (rerun with --resume)".into()));
    }
    progress.finish_and_clear();
    let end = store.progress();
    let seconds = started.elapsed().as_secs_f64();
    let rate = if seconds > 0.0 { scored as f64 / seconds } else { 0.0 };
    let shard_note = if shard == Shard::ALL { String::new() } else { format!(" (shard {shard})") };
    eprintln!(
        "scored {} structure(s){shard_note} into {}: {} row(s), {} failure(s){}; this run: {scored} in {seconds:.1} s ({rate:.1} structures/s){}",
        end.rows + end.failures,
        args.out.display(),
        end.rows,
        end.failures,
        if end.failures > 0 { format!(" (reasons in {})", store.errors_location()) } else { String::new() },
        if done_before > 0 { format!(", resumed after {done_before}") } else { String::new() },
    );
    Ok(if end.failures > 0 { Status::InputErrors } else { Status::Success })
}
