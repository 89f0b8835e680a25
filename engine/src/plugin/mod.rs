//! Plugins: the four kinds of stage a screen is built from, each one small trait, and the
//! [`Registry`] that names them.
//!
//! Like bevy's `Plugin`, a plugin crate exposes one type implementing [`Plugin`] whose `build`
//! adds its filters, properties and model loaders to the registry; the `screen` binary lists
//! every built-in plugin in one place. Plugins know nothing of each other or of Rhai: options
//! arrive as [`Options`] (parsed from the script's map literal by the script layer).
//!
//! - [`Generator`]: a source of candidates in a fixed order (prototype + substitution, files);
//! - [`Filter`]: accepts a candidate or rejects it with a [`Rejection`] naming the reason;
//! - [`Property`]: computes named [`Field`](crate::candidate::Field)s (formula, density, tolerance factor);
//! - [`Predictor`]: computes fields for a batch at once (neural-network models);
//! - [`Sink`]: writes accepted candidates (CSV, JSON Lines, a CIF directory).

mod model_dir;
mod options;
mod registry;

pub use model_dir::find_model_dir;
pub use options::{OptionValue, Options};
pub use registry::{FilterFactory, ModelLoader, PropertyFactory, Registry};

use crate::candidate::{Candidate, Rejection};

/// Something that adds stages to a [`Registry`] (built-in filters, a predictor family).
pub trait Plugin {
    fn build(&self, registry: &mut Registry);
}

/// A named column a stage adds: field name and unit (`None`: dimensionless or text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub unit: Option<String>,
}

impl Column {
    pub fn new(name: impl Into<String>, unit: Option<&str>) -> Self {
        Column { name: name.into(), unit: unit.map(str::to_string) }
    }
}

/// Accepts or rejects one candidate. Must be cheap and pure: it runs on many threads at once.
pub trait Filter: Send + Sync {
    /// Name shown in the summary ("charge_neutral", "tolerance 0.8–1.1").
    fn name(&self) -> String;
    fn check(&self, candidate: &Candidate) -> Result<(), Rejection>;
}

/// Computes fields of one candidate (and may reject it when the value cannot be computed).
pub trait Property: Send + Sync {
    fn name(&self) -> String;
    /// The fields `compute` sets, in order: the output columns.
    fn columns(&self) -> Vec<Column>;
    fn compute(&self, candidate: &mut Candidate) -> Result<(), Rejection>;
}

/// Computes fields for a batch of candidates at once (one forward pass of a model).
pub trait Predictor: Send + Sync {
    fn name(&self) -> String;
    fn columns(&self) -> Vec<Column>;
    /// One result per candidate, in order: `Ok` after setting its fields, or why it failed.
    fn predict(&self, batch: &mut [Candidate]) -> Vec<Result<(), Rejection>>;
}

/// A unit of generation work: run on a worker thread, it yields the candidates (or the
/// failures) of consecutive indices, in order.
pub type Chunk = Box<dyn FnOnce() -> Vec<Result<Candidate, Failure>> + Send>;

/// A candidate that could not be produced (unreadable record, impossible substitution).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub index: u64,
    pub id: String,
    pub rejection: Rejection,
    /// Bad input (an unreadable record: listed as an error) rather than a verdict on the
    /// candidate (a substitution whose cell cannot be sized: only counted).
    pub error: bool,
}

/// A source of candidates in a deterministic order (`Candidate::index` = 0, 1, 2 …).
pub trait Generator: Send {
    fn name(&self) -> String;
    /// Number of candidates, when known in advance (for the progress bar's ETA).
    fn len(&self) -> Option<u64>;
    /// The next at most `size` candidates, as work to run on a worker; `None` when done.
    /// Cheap generators return a closure that builds the crystals, so that building runs in
    /// parallel; file readers parse here, in order, and return the parsed records.
    fn next_chunk(&mut self, size: usize) -> Option<Chunk>;
}

/// Writes accepted candidates, in order. `columns` are the fields the stages declared.
pub trait Sink: Send {
    fn name(&self) -> String;
    fn begin(&mut self, columns: &[Column]) -> crate::Result<()>;
    fn write(&mut self, candidate: &Candidate) -> crate::Result<()>;
    /// Flushes buffered output so the file is complete and valid up to here.
    fn flush(&mut self) -> crate::Result<()>;
    fn finish(&mut self) -> crate::Result<()> {
        self.flush()
    }
}
