//! Command-line commands. Each subcommand lives in its own module.

mod compositions;
mod convert;
mod dedup;
mod info;
mod input;
mod merge;
mod model_args;
mod predict;
mod score;
mod train;
mod eval;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// High-throughput screening of crystalline materials.
#[derive(Parser, Debug)]
#[command(name = "screen", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Convert structure files between formats (CIF, POSCAR, XYZ/extXYZ, JSONL, pymatgen JSON).
    Convert(convert::Args),
    /// Show formula, lattice, volume, density and symmetry of structure files.
    Info(info::Args),
    /// Predict properties with a CrystalFramer model (CSV or JSON Lines output).
    Predict(predict::Args),
    /// Run a Rhai screening script (generate, filter, predict, rank, write).
    Run(run::Args),
    /// Charge-neutral, electronegativity-ordered compositions of an element pool (SMACT's smact_filter).
    Compositions(compositions::Args),
    /// Score candidate databases with a model: batched, crash-safe (--resume), shardable.
    Score(score::Args),
    /// Merge the outputs of `screen score` shards into one table, optionally a global top-k.
    Merge(merge::Args),
    /// Remove duplicate structures (symmetric, order-independent structure matching).
    Dedup(dedup::Args),
    /// Train a CrystalFramer model from a TOML configuration (checkpoints, SWA, export).
    Train(train::Args),
    /// Evaluate a model on a labelled data set: MAE/RMSE/R² per target, parity plots.
    Eval(eval::Args),
}

/// Outcome of a command, mapped to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was read and processed.
    Success,
    /// Some inputs or records failed (reported on stderr); the rest was processed.
    InputErrors,
    /// Bad arguments or an output that could not be written.
    Usage,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        match s {
            Status::Success => ExitCode::SUCCESS,
            Status::InputErrors => ExitCode::from(1),
            Status::Usage => ExitCode::from(2),
        }
    }
}

pub fn run(cli: Cli) -> screen_engine::Result<Status> {
    match cli.command {
        Command::Convert(args) => convert::run(args),
        Command::Info(args) => info::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Run(args) => run::run(args),
        Command::Compositions(args) => compositions::run(args),
        Command::Score(args) => score::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Dedup(args) => dedup::run(args),
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
    }
}
