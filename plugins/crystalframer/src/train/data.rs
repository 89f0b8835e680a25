//! Training data: crystals with their target values and split, read from the JSON Lines
//! datasets of `../shared/data` through the engine's reader. Records that cannot be used
//! (unreadable, non-finite labels, too many atoms, elements beyond the model's one-hot range,
//! cells too thin for the image box) are listed with the reason and skipped. Records without
//! the target or split field are not part of the task (the MEGNet labels, say, cover only some
//! records of a file) and are only counted, as are repeated ids when several files overlap.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::geometry::{Batch, CrystalInput};
use screen_engine::formats::{self, Format, ReadOptions};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

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
    pub file: String,
    /// 1-based record number in the file.
    pub record: usize,
    pub id: String,
    pub reason: String,
}

/// The usable records of the files, in file order, and the skipped ones.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub samples: Vec<Sample>,
    pub skipped: Vec<Skipped>,
    /// Records without a split or without one of the targets (not labelled for this task).
    pub unlabelled: usize,
    /// Records whose id was already read (the first one is kept).
    pub duplicates: usize,
}

impl Dataset {
    /// Reads `files` in order, keeping records whose `split_field` is train/val/test and
    /// whose targets are finite numbers, with at most `max_atoms` sites that `model` can take.
    pub fn read(files: &[PathBuf], targets: &[String], split_field: &str, max_atoms: usize, model: &Config) -> Result<Dataset> {
        let mut data = Dataset::default();
        let mut seen = HashSet::new();
        for file in files {
            data.read_file(file, targets, split_field, max_atoms, model, &mut seen)?;
        }
        Ok(data)
    }

    fn read_file(
        &mut self,
        file: &Path,
        targets: &[String],
        split_field: &str,
        max_atoms: usize,
        model: &Config,
        seen: &mut HashSet<String>,
    ) -> Result<()> {
        let records = formats::open(file, Some(Format::Jsonl), &ReadOptions::default())
            .map_err(|e| Error::config(file.display(), e.to_string()))?;
        let file_name = file.display().to_string();
        for (n, record) in records.enumerate() {
            let record_no = n + 1;
            let skipped = &mut self.skipped;
            let mut skip = |id: &str, reason: String| {
                skipped.push(Skipped { file: file_name.clone(), record: record_no, id: id.to_string(), reason })
            };
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
            let Some(split) = crystal.properties.get(split_field).and_then(|v| v.as_str()) else {
                self.unlabelled += 1;
                continue;
            };
            let Some(split) = Split::from_name(split) else {
                skip(&entry.id, format!("{split_field} = '{split}' is not train/val/test"));
                continue;
            };
            let mut values = Vec::with_capacity(targets.len());
            let mut unlabelled = false;
            for t in targets {
                match crystal.properties.get(t).and_then(|v| v.as_f64()) {
                    Some(x) if x.is_finite() => values.push(x as f32),
                    Some(x) => {
                        skip(&entry.id, format!("{t} = {x} is not finite"));
                        break;
                    }
                    None if crystal.properties.get(t).is_none_or(|v| v.is_null()) => {
                        unlabelled = true;
                        break;
                    }
                    None => {
                        skip(&entry.id, format!("'{t}' is not a number"));
                        break;
                    }
                }
            }
            if unlabelled {
                self.unlabelled += 1;
                continue;
            }
            if values.len() != targets.len() {
                continue;
            }
            if !entry.id.is_empty() && !seen.insert(entry.id.clone()) {
                self.duplicates += 1;
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
            self.samples.push(Sample { id: entry.id, input, targets: values, split });
        }
        Ok(())
    }

    /// One line for logs: usable, skipped, unlabelled and duplicate record counts.
    pub fn summary(&self) -> String {
        format!(
            "{} usable records, {} skipped, {} without the split or targets, {} repeated ids",
            self.samples.len(),
            self.skipped.len(),
            self.unlabelled,
            self.duplicates
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, extra: &str) -> String {
        format!(
            r#"{{"id":"{id}","lattice":[[4,0,0],[0,4,0],[0,0,4]],"species":[55,17],"frac_coords":[[0,0,0],[0.5,0.5,0.5]]{extra}}}"#
        )
    }

    /// Overlapping files: a repeated id is read once (the first file's record); records without
    /// the split or target are counted as unlabelled; bad labels are skipped with file and record.
    #[test]
    fn several_files_are_combined_by_id() {
        let dir = std::env::temp_dir().join(format!("screen-data-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
        let lines = |v: &[String]| v.join("\n") + "\n";
        std::fs::write(
            &a,
            lines(&[
                record("mp-1", r#","e":1.0,"s":"train""#),
                record("mp-2", r#","s":"test""#),
                record("mp-3", r#","e":"x","s":"val""#),
            ]),
        )
        .unwrap();
        std::fs::write(
            &b,
            lines(&[record("mp-1", r#","e":9.0,"s":"train""#), record("mp-4", r#","e":2.0,"s":"val""#), record("mp-5", r#","e":3.0"#)]),
        )
        .unwrap();
        let toml = "name = \"t\"\nout_dir = \"r\"\n[data]\nfile = \"a\"\ntargets = [\"e\"]\nunits = [\"eV\"]\n";
        let model = crate::train::TrainConfig::from_toml_str(toml).unwrap().model_config().unwrap();
        let data = Dataset::read(&[a.clone(), b], &["e".into()], "s", 320, &model).unwrap();
        let ids: Vec<(&str, f32)> = data.samples.iter().map(|s| (s.id.as_str(), s.targets[0])).collect();
        assert_eq!(ids, vec![("mp-1", 1.0), ("mp-4", 2.0)]);
        assert_eq!((data.unlabelled, data.duplicates), (2, 1));
        assert_eq!(data.skipped.len(), 1);
        let s = &data.skipped[0];
        assert_eq!((s.file.as_str(), s.record, s.id.as_str()), (a.to_str().unwrap(), 3, "mp-3"));
        assert!(s.reason.contains("not a number"), "{}", s.reason);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
