//! `screen convert`: structure files from one format to another.

use super::Status;
use super::input::{InputOptions, expand_inputs, for_each_record};
use indicatif::{ProgressBar, ProgressStyle};
use screen_engine::crystal::Entry;
use screen_engine::formats::{self, Format};
use screen_engine::{Error, Result};
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Convert structure files. The last path is the output: a file (format from its extension or
/// --to) or, for many structures into a one-structure format, a directory (created) with one
/// file per structure. Unreadable records are reported and skipped; the exit code is then 1.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files or directories, then the output file or directory.
    #[arg(required = true, num_args = 2.., value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format (cif, poscar, xyz, jsonl, json); default: from the output name.
    #[arg(long, value_name = "FORMAT")]
    to: Option<String>,
    #[command(flatten)]
    input: InputOptions,
}

pub fn run(args: Args) -> Result<Status> {
    let (out, inputs) = args.paths.split_last().ok_or_else(|| Error::Usage("convert needs IN and OUT".into()))?;
    let inputs = expand_inputs(inputs);
    let to_dir = out.is_dir() || out.to_string_lossy().ends_with('/');
    let format = match &args.to {
        Some(name) => Format::from_name(name)?,
        None if to_dir => Format::Cif,
        None => Format::from_path(out).ok_or_else(|| {
            Error::Usage(format!("cannot tell the output format of '{}': use --to", out.display()))
        })?,
    };
    let mut sink = if to_dir {
        std::fs::create_dir_all(out).map_err(|e| Error::io(out.display(), e))?;
        Sink::Directory { dir: out.clone(), format, used: HashSet::new() }
    } else {
        Sink::File { path: out.clone(), format, entries: Vec::new() }
    };

    let progress = progress_bar(inputs.len());
    let (mut written, mut failed) = (0usize, 0usize);
    let mut last: Option<PathBuf> = None;
    let mut write_error = None;
    for_each_record(&inputs, &args.input, |path, record| {
        if last.as_deref() != Some(path) {
            progress.inc(1);
            last = Some(path.to_path_buf());
        }
        if write_error.is_some() {
            return;
        }
        match record.map(|entry| sink.accept(entry)) {
            Ok(Ok(())) => written += 1,
            // The output cannot be written: stop, nothing later would succeed either.
            Ok(Err(e @ Error::Io { .. })) => write_error = Some(e),
            Ok(Err(e)) | Err(e) => {
                failed += 1;
                progress.suspend(|| eprintln!("error: {e}"));
            }
        }
    })?;
    progress.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e);
    }
    sink.finish()?;
    eprintln!("converted {written} structure(s) to {} ({}), {failed} failed", out.display(), format.name());
    Ok(if failed > 0 { Status::InputErrors } else { Status::Success })
}

fn progress_bar(n: usize) -> ProgressBar {
    if n < 50 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

enum Sink {
    /// One output file; single-structure formats take exactly one structure.
    File { path: PathBuf, format: Format, entries: Vec<Entry> },
    /// One file per structure, named after its id.
    Directory { dir: PathBuf, format: Format, used: HashSet<String> },
}

impl Sink {
    fn accept(&mut self, entry: Entry) -> Result<()> {
        match self {
            Sink::File { entries, format, .. } => {
                formats::check_writable(&entry, *format)?;
                entries.push(entry);
                Ok(())
            }
            Sink::Directory { dir, format, used } => {
                let stem = unique_stem(&entry.id, used);
                let path = dir.join(format!("{stem}.{}", format.extension()));
                write_file(&path, &[&entry], *format)
            }
        }
    }

    /// Writes the buffered structures of a single output file.
    fn finish(self) -> Result<()> {
        match self {
            Sink::File { path, format, entries } => {
                let refs: Vec<&Entry> = entries.iter().collect();
                write_file(&path, &refs, format)
            }
            Sink::Directory { .. } => Ok(()),
        }
    }
}

fn write_file(path: &Path, entries: &[&Entry], format: Format) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path.display(), e))?;
    let mut out = BufWriter::new(file);
    formats::write(entries, format, &mut out)?;
    out.flush().map_err(|e| Error::io(path.display(), e))
}

/// A file-name-safe stem from a structure id, made unique within the output directory.
fn unique_stem(id: &str, used: &mut HashSet<String>) -> String {
    let base: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .collect();
    let base = if base.is_empty() { "structure".to_string() } else { base };
    let mut stem = base.clone();
    let mut n = 2;
    while !used.insert(stem.clone()) {
        stem = format!("{base}_{n}");
        n += 1;
    }
    stem
}
