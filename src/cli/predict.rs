//! `screen predict`: CrystalFramer / Crystalformer property predictions for structure files.

use super::Status;
use super::input::{InputOptions, expand_inputs, for_each_record};
use super::model_args::ModelArgs;
use indicatif::{ProgressBar, ProgressStyle};
use screen_crystalframer::geometry::CrystalInput;
use screen_crystalframer::{Estimate, Metadata};
use screen_engine::crystal::{Entry, Structure};
use screen_engine::{Error, Result};
use serde_json::{Map, Value};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Predict properties with a CrystalFramer model. Writes one row per crystal (id, reduced
/// formula, each target with its unit; for an ensemble also `<target>_std`, the spread of its
/// members) to a CSV or JSON Lines file, chosen by extension.
/// Structures that cannot be read or predicted are reported and skipped (exit code 1).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Structure files or directories (read recursively).
    #[arg(required = true, value_name = "FILE")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Output file: .csv or .jsonl.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Crystals per forward pass (packed, no padding).
    #[arg(long, default_value_t = 64, value_name = "N")]
    batch_size: usize,
    #[command(flatten)]
    input: InputOptions,
}

#[derive(Clone, Copy, PartialEq)]
enum OutFormat {
    Csv,
    Jsonl,
}

pub fn run(args: Args) -> Result<Status> {
    let out_format = match args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => OutFormat::Csv,
        Some("jsonl") | Some("ndjson") => OutFormat::Jsonl,
        _ => return Err(Error::Usage(format!("--out '{}': expected a .csv or .jsonl file", args.out.display()))),
    };
    let predictor = args.model.load()?.with_batch_size(args.batch_size);
    let metadata = predictor.metadata().clone();
    let ensemble = predictor.members().len() > 1;

    let file = std::fs::File::create(&args.out).map_err(|e| Error::io(args.out.display(), e))?;
    let mut sink = Sink { out: BufWriter::new(file), path: args.out.clone(), format: out_format, metadata, ensemble };
    sink.header()?;

    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} structures predicted ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let inputs = expand_inputs(&args.inputs);
    let mut pending: Vec<(Entry, CrystalInput)> = Vec::new();
    let (mut written, mut failed) = (0usize, 0usize);
    let mut write_error = None;
    let mut flush = |pending: &mut Vec<(Entry, CrystalInput)>, written: &mut usize, failed: &mut usize| -> Result<()> {
        let crystals: Vec<CrystalInput> = pending.iter().map(|(_, c)| c.clone()).collect();
        for ((entry, _), result) in pending.drain(..).zip(predictor.predict_each(&crystals)) {
            match result {
                Ok(estimate) => {
                    sink.row(&entry, &estimate)?;
                    *written += 1;
                }
                Err(e) => {
                    *failed += 1;
                    let message = match e {
                        screen_crystalframer::Error::Crystal { message, .. } => message,
                        other => other.to_string(),
                    };
                    progress.suspend(|| eprintln!("error: {} [{}]: {message}", entry.id, entry.location));
                }
            }
        }
        progress.set_position(*written as u64);
        Ok(())
    };
    for_each_record(&inputs, &args.input, |path, record| {
        if write_error.is_some() {
            return;
        }
        let entry = match record {
            Ok(entry) => entry,
            Err(e) => {
                failed += 1;
                progress.suspend(|| eprintln!("error: {e}"));
                return;
            }
        };
        let crystal = match &entry.structure {
            Structure::Crystal(c) => CrystalInput::from_crystal(c),
            Structure::Molecule(_) => {
                failed += 1;
                progress.suspend(|| eprintln!("error: {}: {}: a molecule has no lattice to predict for", path.display(), entry.id));
                return;
            }
        };
        pending.push((entry, crystal));
        if pending.len() >= args.batch_size.max(1)
            && let Err(e) = flush(&mut pending, &mut written, &mut failed)
        {
            write_error = Some(e);
        }
    })?;
    if let Some(e) = write_error {
        return Err(e);
    }
    flush(&mut pending, &mut written, &mut failed)?;
    progress.finish_and_clear();
    sink.out.flush().map_err(|e| Error::io(args.out.display(), e))?;
    eprintln!("predicted {written} structure(s) into {}, {failed} failed", args.out.display());
    Ok(if failed > 0 { Status::InputErrors } else { Status::Success })
}


struct Sink {
    out: BufWriter<std::fs::File>,
    path: PathBuf,
    format: OutFormat,
    metadata: Metadata,
    /// Spread columns after the targets.
    ensemble: bool,
}

impl Sink {
    fn header(&mut self) -> Result<()> {
        if self.format == OutFormat::Jsonl {
            return Ok(());
        }
        let mut cols = vec!["id".to_string(), "formula".to_string()];
        let suffixes: &[&str] = if self.ensemble { &["", "_std"] } else { &[""] };
        for suffix in suffixes {
            for t in &self.metadata.targets {
                let name = format!("{}{suffix}", t.name);
                cols.push(if t.unit.is_empty() { name } else { format!("{name}[{}]", t.unit) });
            }
        }
        let line = cols.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
        writeln!(self.out, "{line}").map_err(|e| Error::io(self.path.display(), e))
    }

    fn row(&mut self, entry: &Entry, estimate: &Estimate) -> Result<()> {
        let formula = entry.structure.composition().reduced_formula();
        let values: Vec<f32> = estimate.mean.iter().chain(estimate.std.iter().flatten()).copied().collect();
        let line = match self.format {
            OutFormat::Csv => {
                let mut fields = vec![csv_field(&entry.id), csv_field(&formula)];
                fields.extend(values.iter().map(|v| if v.is_finite() { v.to_string() } else { "NaN".into() }));
                fields.join(",")
            }
            OutFormat::Jsonl => {
                let mut obj = Map::new();
                obj.insert("id".into(), Value::from(entry.id.clone()));
                obj.insert("formula".into(), Value::from(formula));
                let mut units = Map::new();
                for (t, v) in self.metadata.targets.iter().zip(&estimate.mean) {
                    obj.insert(t.name.clone(), serde_json::json!(v));
                    units.insert(t.name.clone(), Value::from(t.unit.clone()));
                }
                for (t, v) in self.metadata.targets.iter().zip(estimate.std.iter().flatten()) {
                    obj.insert(format!("{}_std", t.name), serde_json::json!(v));
                }
                obj.insert("units".into(), Value::Object(units));
                Value::Object(obj).to_string()
            }
        };
        writeln!(self.out, "{line}").map_err(|e| Error::io(self.path.display(), e))
    }
}

/// RFC 4180 quoting when needed.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
