//! `screen dedup`: one structure per group of matching structures.

use super::Status;
use super::input::{InputOptions, expand_inputs, for_each_record};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use screen_engine::crystal::Entry;
use screen_engine::formats::{self, Format};
use screen_engine::symmetry::matcher::{Comparison, MatcherOptions, StructureMatcher, group_reduced};
use screen_engine::symmetry::{Backend, SymmetryOptions};
use screen_engine::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Remove duplicate structures: group the inputs with a structure matcher (pymatgen
/// StructureMatcher semantics, but symmetric and independent of the input order) and write the
/// first structure of every group, in input order.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Structure files or directories (read recursively).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Output file for the unique structures (format from the name or --to; JSON Lines keeps
    /// every record field).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Output format (cif, xyz, jsonl, ...); default: from the output name.
    #[arg(long, value_name = "FORMAT")]
    to: Option<String>,
    /// Also write every input's group as CSV: index,file,id,group,kept_id.
    #[arg(long, value_name = "CSV")]
    groups: Option<PathBuf>,
    /// Fractional length tolerance of the lattice match.
    #[arg(long, default_value_t = 0.2)]
    ltol: f64,
    /// Site tolerance, in units of (volume per site)^(1/3).
    #[arg(long, default_value_t = 0.3)]
    stol: f64,
    /// Angle tolerance of the lattice match, degrees.
    #[arg(long, default_value_t = 5.0)]
    angle_tol: f64,
    /// Compare the cells as given instead of their primitive cells.
    #[arg(long)]
    no_primitive: bool,
    /// Do not scale the cells to a common volume (then volumes must match too).
    #[arg(long)]
    no_scale: bool,
    /// What must be equal for two sites to pair: species (with oxidation states), element, or
    /// anonymous (any relabelling: same structure type).
    #[arg(long, default_value = "species", value_name = "KIND")]
    compare: String,
    /// Symmetry code for primitive cells and space groups: moyo (fast, parallel) or spglib.
    #[arg(long, default_value = "moyo", value_name = "BACKEND")]
    symmetry: String,
    /// Distance tolerance (Å) of the primitive-cell / space-group search.
    #[arg(long, default_value_t = 0.1, value_name = "Å")]
    symprec: f64,
    #[command(flatten)]
    input: InputOptions,
}

pub fn run(args: Args) -> Result<Status> {
    let usage = |m: String| Error::Usage(m);
    let options = MatcherOptions {
        ltol: args.ltol,
        stol: args.stol,
        angle_tol: args.angle_tol,
        primitive_cell: !args.no_primitive,
        scale: !args.no_scale,
        comparison: args.compare.parse::<Comparison>().map_err(usage)?,
        symmetry: SymmetryOptions {
            backend: args.symmetry.parse::<Backend>().map_err(usage)?,
            symprec: args.symprec,
            angle_tolerance: None,
        },
    };
    options.validate().map_err(|e| usage(format!("{e}")))?;
    if !(args.symprec.is_finite() && args.symprec > 0.0) {
        return Err(usage("--symprec must be a positive length in Å".into()));
    }
    let format = match &args.to {
        Some(name) => Format::from_name(name)?,
        None => Format::from_path(&args.out)
            .ok_or_else(|| usage(format!("cannot tell the output format of '{}': use --to", args.out.display())))?,
    };

    // Read everything (records that fail are reported and skipped).
    let inputs = expand_inputs(&args.inputs);
    let mut entries: Vec<(String, Entry)> = Vec::new();
    let mut failed = 0usize;
    for_each_record(&inputs, &args.input, |path, record| match record {
        Ok(entry) if entry.structure.as_crystal().is_some() => entries.push((path.display().to_string(), entry)),
        Ok(entry) => {
            failed += 1;
            eprintln!("error: {}: '{}' is a molecule (no lattice): cannot compare it as a crystal", path.display(), entry.id);
        }
        Err(e) => {
            failed += 1;
            eprintln!("error: {e}");
        }
    })?;

    let start = Instant::now();
    let matcher = StructureMatcher::new(options);
    let bar = progress(entries.len(), "reducing");
    let reduced: Vec<_> = entries
        .par_iter()
        .map(|(_, e)| {
            let r = e.structure.as_crystal().map(|c| matcher.reduce(c));
            bar.inc(1);
            r.unwrap_or_else(|| Err(screen_engine::symmetry::SymmetryError::Invalid("not a crystal".into())))
        })
        .collect();
    bar.finish_and_clear();
    let grouping = group_reduced(reduced, &options);
    let elapsed = start.elapsed().as_secs_f64();
    for (i, e) in &grouping.failures {
        failed += 1;
        let (file, entry) = &entries[*i];
        eprintln!("error: {file}: {} ({}): {e}; left out", entry.id, entry.location);
    }

    let kept: Vec<&Entry> = grouping.groups.iter().map(|g| &entries[g[0]].1).collect();
    write_file(&args.out, &kept, format)?;
    if let Some(path) = &args.groups {
        write_groups(path, &entries, &grouping.groups)?;
    }
    eprintln!(
        "{} structures → {} unique ({} failed); {} invariant buckets, {} pairs compared, {:.2} s ({:.0} pairs/s)",
        entries.len(),
        grouping.groups.len(),
        failed,
        grouping.buckets,
        grouping.pairs_compared,
        elapsed,
        grouping.pairs_compared as f64 / elapsed.max(1e-9)
    );
    Ok(if failed > 0 { Status::InputErrors } else { Status::Success })
}

fn progress(n: usize, what: &'static str) -> ProgressBar {
    if n < 1000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!("{what} {{bar:40}} {{pos}}/{{len}} {{per_sec}} ETA {{eta}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn write_file(path: &PathBuf, entries: &[&Entry], format: Format) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path.display(), e))?;
    let mut out = BufWriter::new(file);
    formats::write(entries, format, &mut out)?;
    out.flush().map_err(|e| Error::io(path.display(), e))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn write_groups(path: &PathBuf, entries: &[(String, Entry)], groups: &[Vec<usize>]) -> Result<()> {
    let io = |e| Error::io(path.display(), e);
    let mut out = BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let mut group_of = vec![None; entries.len()];
    for (g, members) in groups.iter().enumerate() {
        for &i in members {
            group_of[i] = Some((g, members[0]));
        }
    }
    writeln!(out, "index,file,id,group,kept_id").map_err(io)?;
    for (i, (file, entry)) in entries.iter().enumerate() {
        let (group, kept) = match group_of[i] {
            Some((g, k)) => (g.to_string(), csv_field(&entries[k].1.id)),
            None => (String::new(), String::new()),
        };
        writeln!(out, "{i},{},{},{group},{kept}", csv_field(file), csv_field(&entry.id)).map_err(io)?;
    }
    out.flush().map_err(io)
}
