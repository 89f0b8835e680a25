//! Result tables of a screen: one scored row per structure, written so that a run killed at
//! any moment loses nothing it committed and resumes where it stopped.
//!
//! - [`table`]: a scored [`Row`] (record, source id, formula, one value per [`Target`]), a
//!   [`Failure`] (a structure that could not be scored, and why), and how both look in CSV and
//!   JSON Lines;
//! - [`store`]: where rows go, committed in batches: SQLite (`.db`, one transaction per batch)
//!   or append-only CSV / JSON Lines files with a progress journal (fsync'd at every batch,
//!   torn tails truncated on resume);
//! - [`shard`]: `i/N` subsets of the records, deterministic and balanced;
//! - [`merge`]: combining shard outputs into one table, optionally a global top-k.
//!
//! Every row carries `record`, the 0-based position of its structure among all records of
//! the inputs (in the order given, directories sorted): stable under re-runs, the same for
//! every shard, and the key that makes resumed and merged outputs equal an uninterrupted run.

pub mod journal;
pub mod merge;
pub mod shard;
pub mod sqlite;
pub mod store;
pub mod table;

pub use shard::Shard;
pub use store::{OutputFormat, RunInfo, Store};
pub use table::{Failure, Row, Target};
