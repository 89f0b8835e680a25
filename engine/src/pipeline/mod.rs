//! The screening pipeline: a lazy stream of candidates from a [`Generator`] through
//! [`Stage`]s (filters, properties, predictors) into [`Sink`]s, in parallel with bounded memory
//! and an output order that does not depend on the number of threads.
//!
//! Execution ([`Pipeline::run`]): the source is cut into fixed-size chunks of consecutive
//! indices; a bounded channel hands chunks to worker threads that run every stage over the
//! chunk on a rayon pool (predictors see the chunk's survivors as one batch); results come back
//! through a second bounded channel and are put back in chunk order before deduplication,
//! ranking and writing. At most a few chunks per thread are in flight, so memory does not grow
//! with the number of candidates, and since chunk boundaries depend only on the chunk size,
//! outputs are byte-identical whatever the thread count. A candidate whose stage fails or panics
//! is counted with its reason and dropped; the run goes on. Setting the stop flag (Ctrl-C) ends
//! generation; chunks already in flight are finished and written, and sinks are flushed.

mod rank;
mod run;
pub mod sinks;
pub mod sources;
mod summary;

pub use rank::Ranking;
pub use summary::{StageSummary, Summary};

use crate::candidate::Candidate;
use crate::plugin::{Column, Filter, Generator, Predictor, Property, Sink};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// One step applied to every candidate, in script order.
#[derive(Clone)]
pub enum Stage {
    Filter(Arc<dyn Filter>),
    Property(Arc<dyn Property>),
    Predictor(Arc<dyn Predictor>),
}

impl Stage {
    pub fn name(&self) -> String {
        match self {
            Stage::Filter(f) => f.name(),
            Stage::Property(p) => p.name(),
            Stage::Predictor(p) => p.name(),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Stage::Filter(_) => "filter",
            Stage::Property(_) => "property",
            Stage::Predictor(_) => "predictor",
        }
    }

    pub fn columns(&self) -> Vec<Column> {
        match self {
            Stage::Filter(_) => Vec::new(),
            Stage::Property(p) => p.columns(),
            Stage::Predictor(p) => p.columns(),
        }
    }
}

/// How candidates are considered duplicates; the first in enumeration order is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dedup {
    /// Same reduced formula and same prototype (or same source, for records).
    FormulaAndPrototype,
}

impl Dedup {
    pub fn key(self, c: &Candidate) -> String {
        let origin = match &c.origin {
            crate::candidate::Origin::Substitution { prototype, .. } => prototype.as_str(),
            crate::candidate::Origin::Record { .. } => "",
        };
        format!("{}|{origin}", c.crystal.composition().reduced_formula())
    }
}

/// A source, its stages and its outputs.
pub struct Pipeline {
    pub source: Box<dyn Generator>,
    pub stages: Vec<Stage>,
    pub dedup: Option<Dedup>,
    pub ranking: Option<Ranking>,
    pub sinks: Vec<Box<dyn Sink>>,
}

impl Pipeline {
    pub fn new(source: Box<dyn Generator>) -> Self {
        Pipeline { source, stages: Vec::new(), dedup: None, ranking: None, sinks: Vec::new() }
    }

    /// The fields the stages add, in order (later stages replace earlier ones of the same name).
    pub fn columns(&self) -> Vec<Column> {
        let mut out: Vec<Column> = Vec::new();
        for c in self.stages.iter().flat_map(Stage::columns) {
            match out.iter_mut().find(|x| x.name == c.name) {
                Some(x) => *x = c,
                None => out.push(c),
            }
        }
        out
    }
}

/// Settings of one run.
#[derive(Clone)]
pub struct RunOptions {
    /// Worker threads (≥ 1).
    pub threads: usize,
    /// Candidates per chunk: the unit of parallel work and the predictors' largest batch.
    /// Outputs depend on it only through floating-point batching effects of predictors, never
    /// on `threads`.
    pub chunk_size: usize,
    /// Set to stop generation (Ctrl-C); what is in flight is finished and written.
    pub stop: Arc<AtomicBool>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { threads: 1, chunk_size: 256, stop: Arc::new(AtomicBool::new(false)) }
    }
}

/// Receives progress from the thread that writes results (for progress bars).
pub trait Observer: Sync {
    /// Called once before the first candidate, with the source size when known.
    fn start(&self, _total: Option<u64>) {}
    /// Called after each chunk is written, with the counts so far.
    fn progress(&self, _summary: &Summary) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl Observer for Quiet {}

#[cfg(test)]
mod tests;
