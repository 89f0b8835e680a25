//! Loading a model with its metadata and predicting for any number of crystals in packed
//! batches.
//!
//! A model directory holds one network (`model.safetensors`, `config.json`, `metadata.json`)
//! or an ensemble: a `metadata.json` whose `members` name model directories inside its own
//! (so the whole moves and ships as one directory), trained independently, e.g. from different seeds. An ensemble predicts the members' mean,
//! which is more accurate than any one member, and their spread (sample standard deviation),
//! an estimate of the model's uncertainty for that crystal (Lakshminarayanan et al., "Simple
//! and scalable predictive uncertainty estimation using deep ensembles", NeurIPS 2017).

use crate::checkpoint::{self, Metadata};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::frames::Frames;
use crate::geometry::{Batch, CrystalInput};
use crate::model::CrystalFramer;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Crystals per forward pass unless set otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 64;

/// How a loaded configuration gets its frames (the method's noise and seed are a run choice).
pub type FramesFor<'a> = &'a dyn Fn(&Config) -> Arc<dyn Frames>;

/// One network of a predictor and the files it was loaded from.
#[derive(Debug)]
pub struct Member {
    pub model: CrystalFramer,
    /// Where the member lives (its directory, or the weights file for loose files).
    pub source: PathBuf,
    /// Weights and configuration files: what decides its predictions.
    pub files: [PathBuf; 2],
}

/// One crystal's prediction: the members' mean and spread, per target.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Mean over the members (the prediction), one value per target.
    pub mean: Vec<f32>,
    /// Sample standard deviation over the members, per target; `None` for a single network.
    pub std: Option<Vec<f32>>,
    /// Each member's prediction, in member order.
    pub members: Vec<Vec<f32>>,
}

impl Estimate {
    /// Mean and (n − 1) standard deviation of the members' rows.
    pub fn of(members: Vec<Vec<f32>>) -> Estimate {
        let n = members.len();
        let t = members.first().map_or(0, Vec::len);
        let mean: Vec<f32> = (0..t).map(|k| (members.iter().map(|m| m[k] as f64).sum::<f64>() / n as f64) as f32).collect();
        let std = (n > 1).then(|| {
            (0..t)
                .map(|k| {
                    let ss: f64 = members.iter().map(|m| (m[k] as f64 - mean[k] as f64).powi(2)).sum();
                    (ss / (n - 1) as f64).sqrt() as f32
                })
                .collect()
        });
        Estimate { mean, std, members }
    }
}

/// A loaded model (one network or an ensemble) and what it predicts.
#[derive(Debug)]
pub struct Predictor {
    members: Vec<Member>,
    metadata: Metadata,
    batch_size: usize,
}

impl Predictor {
    /// Loads a model directory (one network or an ensemble, see the module docs) on the CPU
    /// with each configuration's frame method, noise off.
    pub fn from_dir(dir: &Path) -> Result<Predictor> {
        Predictor::from_dir_on(dir, &Device::Cpu, &|cfg: &Config| Arc::from(cfg.frame_method().build(0.0, 0)))
    }

    /// As [`Predictor::from_dir`], on `device`, with frames built by `frames`.
    pub fn from_dir_on(dir: &Path, device: &Device, frames: FramesFor) -> Result<Predictor> {
        let meta_path = dir.join(checkpoint::METADATA_FILE);
        let metadata = Metadata::from_file(&meta_path)?;
        if metadata.members.is_empty() {
            let (weights, config) = (dir.join(checkpoint::WEIGHTS_FILE), dir.join(checkpoint::CONFIG_FILE));
            return Predictor::from_files(&weights, &config, Some(&meta_path), device, frames).map(|p| p.with_source(dir));
        }
        let mut members = Vec::with_capacity(metadata.members.len());
        for name in &metadata.members {
            let member_dir = dir.join(name);
            let at = |e: Error| Error::config(meta_path.display(), format!("member '{name}': {e}"));
            let inside = Path::new(name).components().all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside || name.is_empty() {
                return Err(at(Error::Unsupported("members are directories inside the ensemble's (relative, no '..')".into())));
            }
            let member_meta = Metadata::from_file(&member_dir.join(checkpoint::METADATA_FILE)).map_err(at)?;
            if !member_meta.members.is_empty() {
                return Err(at(Error::Unsupported("a member is itself an ensemble".into())));
            }
            if member_meta.targets.iter().map(|t| (&t.name, &t.unit)).ne(metadata.targets.iter().map(|t| (&t.name, &t.unit))) {
                let show = |m: &Metadata| m.targets.iter().map(|t| format!("{} [{}]", t.name, t.unit)).collect::<Vec<_>>().join(", ");
                return Err(at(Error::Unsupported(format!("predicts {} where the ensemble predicts {}", show(&member_meta), show(&metadata)))));
            }
            let one = Predictor::from_dir_on(&member_dir, device, frames).map_err(at)?;
            members.extend(one.members);
        }
        Ok(Predictor { members, metadata, batch_size: DEFAULT_BATCH_SIZE })
    }

    /// Loads one network from weights and configuration, with metadata if given (else
    /// targets from the configuration with unknown units), on `device` with frames built by
    /// `frames`.
    pub fn from_files(weights: &Path, config: &Path, metadata: Option<&Path>, device: &Device, frames: FramesFor) -> Result<Predictor> {
        let cfg = Config::from_file(config)?;
        let metadata = match metadata {
            Some(path) => {
                let m = Metadata::from_file(path)?;
                if !m.members.is_empty() {
                    return Err(Error::config(path.display(), "an ensemble's metadata: load its directory instead"));
                }
                m.check(&cfg, &path.display().to_string())?;
                m
            }
            None => Metadata::from_config(&cfg),
        };
        let tensors = checkpoint::load_weights(weights, device)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let model = CrystalFramer::load_with_frames(vb, &cfg, frames(&cfg))
            .map_err(|e| Error::config(weights.display(), format!("weights do not fit the configuration: {e}")))?;
        let member = Member { model, source: weights.to_path_buf(), files: [weights.to_path_buf(), config.to_path_buf()] };
        Ok(Predictor { members: vec![member], metadata, batch_size: DEFAULT_BATCH_SIZE })
    }

    /// A single network loaded from a directory is known by the directory.
    fn with_source(mut self, dir: &Path) -> Self {
        if let [m] = self.members.as_mut_slice() {
            m.source = dir.to_path_buf();
        }
        self
    }

    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The networks whose predictions are averaged (one unless an ensemble).
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The first (for a single network, the only) member's network.
    pub fn model(&self) -> &CrystalFramer {
        &self.members[0].model
    }

    /// Mean predictions (one vector of targets per crystal); the first unusable crystal fails
    /// all.
    pub fn predict(&self, inputs: &[CrystalInput]) -> Result<Vec<Vec<f32>>> {
        self.predict_each(inputs).into_iter().map(|r| r.map(|e| e.mean)).collect()
    }

    /// One result per crystal: crystals a member cannot take get their own error, the
    /// others are predicted in packed batches by every member.
    pub fn predict_each(&self, inputs: &[CrystalInput]) -> Vec<Result<Estimate>> {
        let mut results: Vec<Option<Result<Estimate>>> = Vec::with_capacity(inputs.len());
        let mut good = Vec::new();
        for (index, input) in inputs.iter().enumerate() {
            let check = Batch::new(std::slice::from_ref(input))
                .and_then(|b| self.members.iter().try_for_each(|m| b.check_ranges(m.model.config())));
            match check {
                Ok(()) => {
                    good.push(index);
                    results.push(None);
                }
                Err(e) => results.push(Some(Err(renumber(e, index)))),
            }
        }
        for chunk in good.chunks(self.batch_size) {
            let batch: Vec<CrystalInput> = chunk.iter().map(|&i| inputs[i].clone()).collect();
            match self.predict_batch(&batch) {
                Ok(rows) => {
                    for (&i, row) in chunk.iter().zip(rows) {
                        results[i] = Some(Ok(row));
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    for &i in chunk {
                        results[i] = Some(Err(Error::Crystal { index: i, message: message.clone() }));
                    }
                }
            }
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| Err(Error::Crystal { index: i, message: "not predicted".into() })))
            .collect()
    }

    fn predict_batch(&self, inputs: &[CrystalInput]) -> Result<Vec<Estimate>> {
        let batch = Arc::new(Batch::new(inputs)?);
        let mut rows: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(self.members.len()); inputs.len()];
        for member in &self.members {
            let y = member.model.forward(&batch)?;
            for (crystal, row) in rows.iter_mut().zip(y.to_dtype(DType::F32)?.to_device(&Device::Cpu)?.to_vec2::<f32>()?) {
                crystal.push(row);
            }
        }
        Ok(rows.into_iter().map(Estimate::of).collect())
    }
}

/// Errors about "crystal 0" of a one-crystal check refer to input `index`.
fn renumber(e: Error, index: usize) -> Error {
    match e {
        Error::Crystal { message, .. } => Error::Crystal { index, message },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;
    use std::collections::HashMap;

    /// The smallest reference parity model (../shared fixtures), as a model directory in `dir`
    /// whose predictions are shifted by `shift` eV/atom: the head's bias is the output's last term.
    fn fixture_member(dir: &Path, shift: f32) {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/crystalframer_parity");
        let name = "crystalframer_max_small_lightweight";
        std::fs::create_dir_all(dir).unwrap();
        std::fs::copy(fixtures.join(format!("{name}.config.json")), dir.join(checkpoint::CONFIG_FILE)).unwrap();
        let card = serde_json::json!({"targets": [{"name": "formation_energy", "unit": "eV/atom"}]});
        std::fs::write(dir.join(checkpoint::METADATA_FILE), card.to_string()).unwrap();
        let mut w: HashMap<String, Tensor> =
            candle_core::safetensors::load(fixtures.join(format!("{name}.weights.safetensors")), &Device::Cpu).unwrap();
        let b = (w["mlp.3.bias"].clone() + shift as f64).unwrap();
        w.insert("mlp.3.bias".into(), b);
        candle_core::safetensors::save(&w, dir.join(checkpoint::WEIGHTS_FILE)).unwrap();
    }

    fn ensemble_card(dir: &Path, members: &[&str], unit: &str) {
        let card = serde_json::json!({"targets": [{"name": "formation_energy", "unit": unit}], "members": members});
        std::fs::write(dir.join(checkpoint::METADATA_FILE), card.to_string()).unwrap();
    }

    /// SrTiO3 and KNbO3, cubic, a = 3.9 / 4.0 Å.
    fn perovskites() -> Vec<CrystalInput> {
        [(38u8, 22u8, 3.9), (19, 41, 4.0)]
            .into_iter()
            .map(|(a, b, l)| {
                let h = l / 2.0;
                let lattice = [[l, 0.0, 0.0], [0.0, l, 0.0], [0.0, 0.0, l]];
                CrystalInput::new(lattice, vec![a, b, 8, 8, 8], vec![[0.0; 3], [h, h, h], [h, h, 0.0], [h, 0.0, h], [0.0, h, h]])
            })
            .collect()
    }

    #[test]
    fn estimate_is_the_members_mean_and_sample_spread() {
        let e = Estimate::of(vec![vec![1.0, 10.0], vec![2.0, 10.0], vec![3.0, 10.0]]);
        assert_eq!(e.mean, [2.0, 10.0]);
        assert_eq!(e.std, Some(vec![1.0, 0.0]));
        let one = Estimate::of(vec![vec![4.0]]);
        assert_eq!((one.mean, one.std), (vec![4.0], None));
    }

    #[test]
    fn an_ensemble_averages_its_members() {
        let dir = std::env::temp_dir().join(format!("screen-ensemble-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        fixture_member(&dir.join("a"), 0.0);
        fixture_member(&dir.join("b"), 0.5);
        ensemble_card(&dir, &["a", "b"], "eV/atom");
        let single = Predictor::from_dir(&dir.join("a")).unwrap().predict(&perovskites()).unwrap();
        let ensemble = Predictor::from_dir(&dir).unwrap();
        assert_eq!(ensemble.members().len(), 2);
        assert_eq!(ensemble.members()[1].source, dir.join("b"));
        for (e, s) in ensemble.predict_each(&perovskites()).into_iter().zip(&single) {
            let e = e.unwrap();
            assert_eq!(e.members[0], *s, "member a alone predicts the same");
            assert!((e.members[1][0] - s[0] - 0.5).abs() < 1e-5, "{:?} vs {s:?}", e.members[1]);
            assert!((e.mean[0] - s[0] - 0.25).abs() < 1e-5, "{:?} vs {s:?}", e.mean);
            let std = e.std.unwrap()[0];
            assert!((std - 0.5 / 2f32.sqrt()).abs() < 1e-5, "{std}");
        }

        // Members must predict what the ensemble says it predicts, in its units.
        ensemble_card(&dir, &["a", "b"], "eV/cell");
        let e = Predictor::from_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("metadata.json") && e.contains("member 'a'") && e.contains("eV/cell"), "{e}");
        ensemble_card(&dir, &["a", "missing"], "eV/atom");
        let e = Predictor::from_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("member 'missing'") && e.contains("missing/metadata.json"), "{e}");
        // Members live inside the ensemble's directory.
        for outside in ["../a", "/tmp", ""] {
            ensemble_card(&dir, &["a", outside], "eV/atom");
            let e = Predictor::from_dir(&dir).unwrap_err().to_string();
            assert!(e.contains("inside the ensemble's"), "{outside}: {e}");
        }
        // No ensembles of ensembles, and an ensemble card is not a single network's metadata.
        std::fs::create_dir_all(dir.join("b/a")).unwrap();
        for f in [checkpoint::CONFIG_FILE, checkpoint::METADATA_FILE, checkpoint::WEIGHTS_FILE] {
            std::fs::copy(dir.join("a").join(f), dir.join("b/a").join(f)).unwrap();
        }
        ensemble_card(&dir.join("b"), &["a"], "eV/atom");
        ensemble_card(&dir, &["a", "b"], "eV/atom");
        let e = Predictor::from_dir(&dir).unwrap_err().to_string();
        assert!(e.contains("member 'b'") && e.contains("itself an ensemble"), "{e}");
        let cpu_frames: FramesFor = &|cfg: &Config| Arc::from(cfg.frame_method().build(0.0, 0));
        let a = dir.join("a");
        let loose = Predictor::from_files(
            &a.join(checkpoint::WEIGHTS_FILE),
            &a.join(checkpoint::CONFIG_FILE),
            Some(&dir.join(checkpoint::METADATA_FILE)),
            &Device::Cpu,
            cpu_frames,
        );
        assert!(loose.unwrap_err().to_string().contains("load its directory instead"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
