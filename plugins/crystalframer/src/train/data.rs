//! Training data: crystals with their target values and split, read from the JSON Lines
//! datasets of `../shared/data` through the engine's reader. Records that cannot be used
//! (unreadable, missing or non-finite labels, too many atoms, elements beyond the model's
//! one-hot range, cells too thin for the image box) are listed with the reason and skipped.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::geometry::{Batch, CrystalInput};
use screen_engine::formats::{self, Format, ReadOptions};
use std::path::Path;

/// Which part of the data a record belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub fn from_name(name: &str) -> Option<Split> {
        match name {
            "train" => Some(Split::Train),
            "val" | "valid" | "validation" => Some(Split::Val),
            "test" => Some(Split::Test),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }
}

/// One usable record.
#[derive(Clone, Debug)]
pub struct Sample {
    pub id: String,
    pub input: CrystalInput,
    /// One value per target (the dataset's units).
    pub targets: Vec<f32>,
    pub split: Split,
}

/// A record left out, with where it is and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    /// 1-based record number in the file.
    pub record: usize,
    pub id: String,
    pub reason: String,
}

/// The usable records of a file, in file order, and the skipped ones.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub samples: Vec<Sample>,
    pub skipped: Vec<Skipped>,
}

impl Dataset {
    /// Reads `file`, keeping records whose `split_field` is train/val/test and whose targets
    /// are finite numbers, with at most `max_atoms` sites that `model` can take.
    pub fn read(file: &Path, targets: &[String], split_field: &str, max_atoms: usize, model: &Config) -> Result<Dataset> {
        let records = formats::open(file, Some(Format::Jsonl), &ReadOptions::default())
            .map_err(|e| Error::config(file.display(), e.to_string()))?;
        let mut data = Dataset::default();
        for (n, record) in records.enumerate() {
            let record_no = n + 1;
            let mut skip = |id: &str, reason: String| data.skipped.push(Skipped { record: record_no, id: id.to_string(), reason });
            let entry = match record {
                Ok(e) => e,
                Err(e) => {
                    skip("", e.to_string());
                    continue;
                }
            };
            let Some(crystal) = entry.structure.as_crystal() else {
                skip(&entry.id, "not a periodic crystal".into());
                continue;
            };
            let split = match crystal.properties.get(split_field).and_then(|v| v.as_str()) {
                Some(s) => match Split::from_name(s) {
                    Some(s) => s,
                    None => {
                        skip(&entry.id, format!("{split_field} = '{s}' is not train/val/test"));
                        continue;
                    }
                },
                None => {
                    skip(&entry.id, format!("no '{split_field}' field"));
                    continue;
                }
            };
            let mut values = Vec::with_capacity(targets.len());
            for t in targets {
                match crystal.properties.get(t).and_then(|v| v.as_f64()) {
                    Some(x) if x.is_finite() => values.push(x as f32),
                    Some(x) => {
                        skip(&entry.id, format!("{t} = {x} is not finite"));
                        break;
                    }
                    None => {
                        skip(&entry.id, format!("no numeric '{t}'"));
                        break;
                    }
                }
            }
            if values.len() != targets.len() {
                continue;
            }
            let sites = crystal.sites.len();
            if sites > max_atoms {
                skip(&entry.id, format!("{sites} atoms (more than max_atoms = {max_atoms})"));
                continue;
            }
            let input = CrystalInput::from_crystal(crystal);
            if let Err(e) = Batch::new(std::slice::from_ref(&input)).and_then(|b| b.check_ranges(model)) {
                let message = match e {
                    Error::Crystal { message, .. } => message,
                    other => other.to_string(),
                };
                skip(&entry.id, message);
                continue;
            }
            data.samples.push(Sample { id: entry.id, input, targets: values, split });
        }
        Ok(data)
    }

    /// Indices of the samples of one split, in file order.
    pub fn indices(&self, split: Split) -> Vec<usize> {
        (0..self.samples.len()).filter(|&i| self.samples[i].split == split).collect()
    }
}

/// Per-target mean and population standard deviation (the reference's `scale_bias`
/// normalisation, doc §6) of the given samples.
pub fn target_stats(samples: &[&Sample], num_targets: usize) -> (Vec<f64>, Vec<f64>) {
    let n = samples.len().max(1) as f64;
    let mean: Vec<f64> = (0..num_targets).map(|t| samples.iter().map(|s| s.targets[t] as f64).sum::<f64>() / n).collect();
    let std: Vec<f64> = (0..num_targets)
        .map(|t| {
            let var = samples.iter().map(|s| (s.targets[t] as f64 - mean[t]).powi(2)).sum::<f64>() / n;
            // A constant target would divide by zero; leave it unscaled.
            if var > 0.0 { var.sqrt() } else { 1.0 }
        })
        .collect();
    (mean, std)
}
