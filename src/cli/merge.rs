//! `screen merge`: combines the outputs of `screen score` shards.

use super::Status;
use screen_engine::Result;
use screen_engine::results::merge::{self, TopK};
use std::path::PathBuf;

/// Merge the outputs of `screen score` (shards of one run, all .csv, all .jsonl or all .db)
/// into one table in record order: the table an unsharded run writes. With --top K --by
/// TARGET, keep only the K best rows (smallest first; --descending for largest), best first.
/// Failures (OUT.errors.jsonl beside text tables, the `errors` table of .db) are merged too.
/// Incomplete shards, shards of other runs and records found twice are refused.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Result tables of `screen score`.
    #[arg(required = true, value_name = "TABLE")]
    inputs: Vec<PathBuf>,
    /// Merged table (same format as the inputs).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Keep only the K best rows by --by.
    #[arg(long, value_name = "K", requires = "by")]
    top: Option<usize>,
    /// Target that ranks rows for --top.
    #[arg(long, value_name = "TARGET", requires = "top")]
    by: Option<String>,
    /// Rank largest first (default: smallest first).
    #[arg(long, requires = "top")]
    descending: bool,
}

pub fn run(args: Args) -> Result<Status> {
    let top = match (args.top, &args.by) {
        (Some(k), Some(target)) => Some(TopK { target: target.clone(), k, descending: args.descending }),
        _ => None,
    };
    let summary = merge::merge(&args.inputs, &args.out, top.as_ref())?;
    for path in &summary.unchecked {
        eprintln!("warning: {} has no progress journal; merged as it is", path.display());
    }
    if !summary.missing_shards.is_empty() {
        let missing: Vec<String> = summary.missing_shards.iter().map(|s| s.to_string()).collect();
        eprintln!("warning: shard(s) {} of the run are not among the inputs", missing.join(", "));
    }
    eprintln!(
        "merged {} table(s) into {}: {} row(s), {} failure(s)",
        args.inputs.len(),
        args.out.display(),
        summary.rows,
        summary.failures
    );
    Ok(Status::Success)
}
