//! Options shared by commands that read structure files.

use clap::Args;
use screen_engine::chem::Element;
use screen_engine::crystal::Entry;
use screen_engine::formats::{self, Format, ReadOptions};
use screen_engine::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Args, Debug, Clone)]
pub struct InputOptions {
    /// Input format (cif, poscar, xyz, jsonl, json); default: from the file name, else content.
    #[arg(long, value_name = "FORMAT")]
    pub from: Option<String>,
    /// Species of VASP 4 POSCARs (no element line), one per atom type: --species Sr,Ti,O.
    #[arg(long, value_delimiter = ',', value_name = "EL,EL,...")]
    pub species: Vec<String>,
    /// Reject sites closer than this (Å) whose occupancies sum above 1 (0 disables).
    #[arg(long, default_value_t = screen_engine::crystal::DEFAULT_MIN_DISTANCE, value_name = "Å")]
    pub min_distance: f64,
}

impl InputOptions {
    pub fn format(&self) -> Result<Option<Format>> {
        self.from.as_deref().map(Format::from_name).transpose()
    }

    pub fn read_options(&self) -> Result<ReadOptions> {
        let species = if self.species.is_empty() {
            None
        } else {
            let parsed: std::result::Result<Vec<Element>, _> =
                self.species.iter().map(|s| Element::from_symbol_ignore_case(s.trim())).collect();
            Some(parsed.map_err(|e| Error::Usage(format!("--species: {e}")))?)
        };
        if !self.min_distance.is_finite() || self.min_distance < 0.0 {
            return Err(Error::Usage("--min-distance must be a non-negative number of Å".into()));
        }
        Ok(ReadOptions { poscar_species: species, min_distance: self.min_distance })
    }
}

/// Expands directories into the structure files they contain (recursively, sorted, files
/// whose format is recognised from the name); plain paths are kept as given.
pub fn expand_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    screen_engine::pipeline::sources::expand(paths)
}

/// Streams the records of every input in order, calling `f` with each structure or error
/// (small files are parsed in parallel: [`formats::many`]).
pub fn for_each_record(
    inputs: &[PathBuf],
    opts: &InputOptions,
    mut f: impl FnMut(&Path, Result<Entry>),
) -> Result<()> {
    let records = formats::many::ManyFiles::new(inputs.to_vec(), opts.format()?, opts.read_options()?);
    records.for_each(|r| f(&r.path, r.record));
    Ok(())
}

/// Where `screen` looks for models by name after `./models`: the repository's `models/`.
const REPOSITORY_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/models");

/// Resolves `--model NAME|DIR`: an existing directory, else `models/NAME` in the current
/// directory, else in the repository.
pub fn resolve_model(name: &str) -> Result<PathBuf> {
    let direct = PathBuf::from(name);
    if direct.is_dir() {
        return Ok(direct);
    }
    let places = [PathBuf::from("models"), PathBuf::from(REPOSITORY_MODELS)];
    screen_engine::plugin::find_model_dir(name, &places).map_err(|e| Error::Usage(format!("--model '{name}': not a directory, and {e}")))
}
