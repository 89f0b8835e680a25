//! What each stage of a run removed and why: the table `screen run` prints at the end.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Counts of one stage: how many candidates entered it and how many it removed, per reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageSummary {
    pub name: String,
    /// "source", "filter", "property", "predictor", "deduplicate", "rank".
    pub kind: &'static str,
    pub input: u64,
    pub removed: BTreeMap<String, u64>,
}

impl StageSummary {
    pub fn new(name: impl Into<String>, kind: &'static str) -> Self {
        StageSummary { name: name.into(), kind, ..Default::default() }
    }

    pub fn removed_total(&self) -> u64 {
        self.removed.values().sum()
    }

    pub fn output(&self) -> u64 {
        self.input.saturating_sub(self.removed_total())
    }

    pub(crate) fn remove(&mut self, reason: &str, n: u64) {
        if n > 0 {
            *self.removed.entry(reason.to_string()).or_insert(0) += n;
        }
    }
}

/// The outcome of one pipeline run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// The source first, then every stage in order, then deduplication and ranking if any.
    pub stages: Vec<StageSummary>,
    /// Candidates written to the outputs.
    pub written: u64,
    /// The run was stopped (Ctrl-C) before the source was exhausted; outputs hold the
    /// candidates finished until then.
    pub interrupted: bool,
    pub elapsed: Duration,
    /// Output files or directories.
    pub outputs: Vec<String>,
    /// The first few errors (unreadable records, failed predictions), with the candidate id.
    pub errors: Vec<String>,
    /// Number of errors (failed candidates, not filter rejections) in all.
    pub error_count: u64,
}

impl Summary {
    /// Candidates the source produced (including those that failed to build).
    pub fn generated(&self) -> u64 {
        self.stages.first().map_or(0, |s| s.input)
    }

    /// Candidates that passed every stage (before ranking's top-k cut).
    pub fn accepted(&self) -> u64 {
        self.stages.iter().rev().find(|s| s.kind != "rank").map_or(0, |s| s.output())
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.stages.iter().map(|s| s.name.chars().count()).max().unwrap_or(5).max(5);
        writeln!(f, "{:<width$}  {:>12}  {:>12}  {:>12}  reasons", "stage", "in", "removed", "out")?;
        for s in &self.stages {
            let reasons = s.removed.iter().map(|(r, n)| format!("{r}: {n}")).collect::<Vec<_>>().join("; ");
            writeln!(f, "{:<width$}  {:>12}  {:>12}  {:>12}  {reasons}", s.name, s.input, s.removed_total(), s.output())?;
        }
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 { self.generated() as f64 / secs } else { 0.0 };
        write!(f, "{} candidates in {:.2} s ({:.0}/s), {} written", self.generated(), secs, rate, self.written)?;
        if !self.outputs.is_empty() {
            write!(f, " to {}", self.outputs.join(", "))?;
        }
        if self.error_count > 0 {
            write!(f, "\n{} candidate(s) failed with an error", self.error_count)?;
            for e in &self.errors {
                write!(f, "\n  {e}")?;
            }
            if self.error_count > self.errors.len() as u64 {
                write!(f, "\n  … ({} more)", self.error_count - self.errors.len() as u64)?;
            }
        }
        if self.interrupted {
            write!(f, "\ninterrupted: outputs hold the candidates finished before the stop")?;
        }
        Ok(())
    }
}
