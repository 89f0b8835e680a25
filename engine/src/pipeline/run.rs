//! The executor: producer → workers (rayon) → in-order writer, joined by bounded channels.

use super::{Observer, Pipeline, RunOptions, Stage, StageSummary, Summary};
use crate::candidate::{Candidate, Rejection};
use crate::plugin::{Chunk, Failure};
use crossbeam_channel::bounded;
use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Errors kept verbatim in the summary (the rest are only counted).
const KEPT_ERRORS: usize = 20;

/// What a worker returns for one chunk.
struct ChunkOut {
    generated: u64,
    /// Per stage of the pipeline (source first): input count and removals per reason.
    counts: Vec<(u64, BTreeMap<String, u64>)>,
    errors: Vec<String>,
    error_count: u64,
    survivors: Vec<Candidate>,
}

impl Pipeline {
    /// Runs the pipeline to the end of the source (or until `options.stop` is set) and returns
    /// the per-stage counts. Errors only for outputs that cannot be written or a bad setup;
    /// bad candidates are counted, never fatal.
    pub fn run(&mut self, options: &RunOptions, observer: &dyn Observer) -> crate::Result<Summary> {
        let started = Instant::now();
        let threads = options.threads.max(1);
        let chunk_size = options.chunk_size.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| crate::Error::Usage(format!("cannot start {threads} threads: {e}")))?;

        let mut summary = Summary::default();
        summary.stages.push(StageSummary::new(self.source.name(), "source"));
        for s in &self.stages {
            summary.stages.push(StageSummary::new(s.name(), s.kind()));
        }
        let dedup_at = self.dedup.map(|_| {
            summary.stages.push(StageSummary::new("deduplicate", "deduplicate"));
            summary.stages.len() - 1
        });
        let rank_at = self.ranking.as_ref().map(|r| {
            summary.stages.push(StageSummary::new(r.to_string(), "rank"));
            summary.stages.len() - 1
        });
        summary.outputs = self.sinks.iter().map(|s| s.name()).collect();

        let columns = self.columns();
        for sink in &mut self.sinks {
            sink.begin(&columns)?;
        }
        observer.start(self.source.len());

        let Pipeline { source, stages, dedup, ranking, sinks } = self;
        let stages: &[Stage] = stages;
        let abort = AtomicBool::new(false);
        let mut seen: HashSet<String> = HashSet::new();
        let mut failure: Option<crate::Error> = None;

        std::thread::scope(|scope| {
            let (job_tx, job_rx) = bounded::<(u64, Chunk)>(threads * 2);
            let (out_tx, out_rx) = bounded::<(u64, ChunkOut)>(threads * 2);
            let stop = &options.stop;
            let abort = &abort;
            let producer_pool = &pool;
            scope.spawn(move || {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) && !abort.load(Ordering::Relaxed) {
                    // In the run's pool: a source that parses files in parallel stays within
                    // `threads`.
                    let Some(chunk) = producer_pool.install(|| source.next_chunk(chunk_size)) else { break };
                    if job_tx.send((seq, chunk)).is_err() {
                        break;
                    }
                    seq += 1;
                }
            });
            for _ in 0..threads {
                let (job_rx, out_tx, pool) = (job_rx.clone(), out_tx.clone(), &pool);
                scope.spawn(move || {
                    for (seq, chunk) in job_rx.iter() {
                        let out = pool.install(|| process(stages, chunk));
                        if out_tx.send((seq, out)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop((job_rx, out_tx));

            // In-order writer: chunks are put back in sequence before anything is written.
            let mut pending: BTreeMap<u64, ChunkOut> = BTreeMap::new();
            let mut next = 0u64;
            'receive: for (seq, out) in out_rx.iter() {
                pending.insert(seq, out);
                while let Some(out) = pending.remove(&next) {
                    next += 1;
                    if let Err(e) = write_chunk(out, &mut summary, dedup_at, *dedup, &mut seen, rank_at, ranking, sinks) {
                        failure = Some(e);
                        abort.store(true, Ordering::Relaxed);
                        break 'receive;
                    }
                    summary.elapsed = started.elapsed();
                    observer.progress(&summary);
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        if let (Some(at), Some(ranking)) = (rank_at, ranking.as_mut()) {
            let (kept, dropped) = ranking.finish();
            summary.stages[at].remove(&format!("beyond the top {}", kept.len()), dropped);
            for c in &kept {
                for sink in sinks.iter_mut() {
                    sink.write(c)?;
                }
            }
            summary.written = kept.len() as u64;
        }
        for sink in sinks.iter_mut() {
            sink.finish()?;
        }
        summary.interrupted = options.stop.load(Ordering::Relaxed);
        summary.elapsed = started.elapsed();
        observer.progress(&summary);
        Ok(summary)
    }
}

#[allow(clippy::too_many_arguments)]
fn write_chunk(
    out: ChunkOut,
    summary: &mut Summary,
    dedup_at: Option<usize>,
    dedup: Option<super::Dedup>,
    seen: &mut HashSet<String>,
    rank_at: Option<usize>,
    ranking: &mut Option<super::Ranking>,
    sinks: &mut [Box<dyn crate::plugin::Sink>],
) -> crate::Result<()> {
    for (stage, (input, removed)) in summary.stages.iter_mut().zip(out.counts) {
        stage.input += input;
        for (reason, n) in removed {
            stage.remove(&reason, n);
        }
    }
    summary.error_count += out.error_count;
    let room = KEPT_ERRORS.saturating_sub(summary.errors.len());
    summary.errors.extend(out.errors.into_iter().take(room));
    let mut survivors = out.survivors;
    if let (Some(at), Some(dedup)) = (dedup_at, dedup) {
        summary.stages[at].input += survivors.len() as u64;
        let before = survivors.len();
        survivors.retain(|c| seen.insert(dedup.key(c)));
        summary.stages[at].remove("duplicate", (before - survivors.len()) as u64);
    }
    match (rank_at, ranking.as_mut()) {
        (Some(at), Some(ranking)) => {
            summary.stages[at].input += survivors.len() as u64;
            ranking.push(survivors);
        }
        _ => {
            for c in &survivors {
                for sink in sinks.iter_mut() {
                    sink.write(c)?;
                }
            }
            summary.written += survivors.len() as u64;
            for sink in sinks.iter_mut() {
                sink.flush()?;
            }
        }
    }
    Ok(())
}

/// Runs a panicking closure as a rejection instead of killing the run.
fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, Rejection>) -> Result<T, Rejection> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Rejection::new(format!("{what} crashed")).with_detail(msg))
        }
    }
}

/// Whether a rejection is an error (a bug in a script or plugin) rather than a verdict on the
/// candidate: script errors and crashes. Errors are listed in the summary and make
/// `screen run` exit with 1; verdicts ("not charge neutral", "no ionic radius") are only counted.
pub fn is_error(r: &Rejection) -> bool {
    r.reason.starts_with("script error") || r.reason.ends_with(" crashed")
}

/// Runs every stage over one chunk (on a pool thread).
fn process(stages: &[Stage], chunk: Chunk) -> ChunkOut {
    let mut out = ChunkOut {
        generated: 0,
        counts: vec![(0, BTreeMap::new()); stages.len() + 1],
        errors: Vec::new(),
        error_count: 0,
        survivors: Vec::new(),
    };
    let error = |out_errors: &mut Vec<String>, count: &mut u64, id: &str, stage: &str, r: &Rejection| {
        *count += 1;
        if out_errors.len() < KEPT_ERRORS {
            out_errors.push(format!("{id}: {stage}: {r}"));
        }
    };
    let items = match guarded("generator", || Ok(chunk())) {
        Ok(items) => items,
        Err(r) => vec![Err(Failure { index: 0, id: "?".into(), rejection: r, error: true })],
    };
    out.generated = items.len() as u64;
    out.counts[0].0 = items.len() as u64;
    let mut alive = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Ok(c) => alive.push(c),
            Err(f) => {
                *out.counts[0].1.entry(f.rejection.reason.to_string()).or_insert(0) += 1;
                if f.error {
                    error(&mut out.errors, &mut out.error_count, &f.id, "source", &f.rejection);
                }
            }
        }
    }
    for (i, stage) in stages.iter().enumerate() {
        let (input, removed) = &mut out.counts[i + 1];
        *input = alive.len() as u64;
        if alive.is_empty() {
            continue;
        }
        let mut reject = |r: Rejection| *removed.entry(r.reason.into_owned()).or_insert(0) += 1;
        match stage {
            Stage::Filter(f) => alive.retain(|c| match guarded("filter", || f.check(c)) {
                Ok(()) => true,
                Err(r) => {
                    if is_error(&r) {
                        error(&mut out.errors, &mut out.error_count, &c.id, &f.name(), &r);
                    }
                    reject(r);
                    false
                }
            }),
            Stage::Property(p) => alive.retain_mut(|c| match guarded("property", || p.compute(c)) {
                Ok(()) => true,
                Err(r) => {
                    if is_error(&r) {
                        error(&mut out.errors, &mut out.error_count, &c.id, &p.name(), &r);
                    }
                    reject(r);
                    false
                }
            }),
            Stage::Predictor(p) => {
                let n = alive.len();
                let results = match guarded("predictor", || Ok(p.predict(&mut alive))) {
                    Ok(r) if r.len() == n => r,
                    Ok(r) => vec![
                        Err(Rejection::new("predictor failed")
                            .with_detail(format!("{} results for {n} candidates", r.len())));
                        n
                    ],
                    Err(r) => vec![Err(r); n],
                };
                let mut results = results.into_iter();
                alive.retain(|c| match results.next() {
                    Some(Ok(())) => true,
                    Some(Err(r)) => {
                        error(&mut out.errors, &mut out.error_count, &c.id, &p.name(), &r);
                        reject(r);
                        false
                    }
                    None => false,
                });
            }
        }
    }
    out.survivors = alive;
    out
}
