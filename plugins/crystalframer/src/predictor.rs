//! Loading a model with its metadata and predicting for any number of crystals in packed
//! batches.

use crate::checkpoint::{self, Metadata};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::frames::Frames;
use crate::geometry::{Batch, CrystalInput};
use crate::model::CrystalFramer;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use std::path::Path;
use std::sync::Arc;

/// Crystals per forward pass unless set otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 64;

/// A loaded model and what it predicts.
#[derive(Debug)]
pub struct Predictor {
    model: CrystalFramer,
    metadata: Metadata,
    batch_size: usize,
}

impl Predictor {
    /// Loads a model directory (`model.safetensors`, `config.json`, `metadata.json`) on the CPU.
    pub fn from_dir(dir: &Path) -> Result<Predictor> {
        Predictor::from_files(
            &dir.join(checkpoint::WEIGHTS_FILE),
            &dir.join(checkpoint::CONFIG_FILE),
            Some(&dir.join(checkpoint::METADATA_FILE)),
            &Device::Cpu,
        )
    }

    /// Loads weights and configuration, with metadata if given (else targets from the
    /// configuration with unknown units).
    pub fn from_files(weights: &Path, config: &Path, metadata: Option<&Path>, device: &Device) -> Result<Predictor> {
        let cfg = Config::from_file(config)?;
        let frames: Arc<dyn Frames> = Arc::from(cfg.frame_method().build(0.0, 0));
        Predictor::from_files_with_frames(weights, &cfg, metadata, device, frames)
    }

    /// As [`Predictor::from_files`], with an explicit frame construction.
    pub fn from_files_with_frames(
        weights: &Path,
        cfg: &Config,
        metadata: Option<&Path>,
        device: &Device,
        frames: Arc<dyn Frames>,
    ) -> Result<Predictor> {
        let metadata = match metadata {
            Some(path) => {
                let m = Metadata::from_file(path)?;
                m.check(cfg, &path.display().to_string())?;
                m
            }
            None => Metadata::from_config(cfg),
        };
        let tensors = checkpoint::load_weights(weights, device)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, device);
        let model = CrystalFramer::load_with_frames(vb, cfg, frames)
            .map_err(|e| Error::config(weights.display(), format!("weights do not fit the configuration: {e}")))?;
        Ok(Predictor { model, metadata, batch_size: DEFAULT_BATCH_SIZE })
    }

    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    pub fn model(&self) -> &CrystalFramer {
        &self.model
    }

    /// Predictions (one vector of targets per crystal); the first unusable crystal fails all.
    pub fn predict(&self, inputs: &[CrystalInput]) -> Result<Vec<Vec<f32>>> {
        self.predict_each(inputs).into_iter().collect()
    }

    /// One result per crystal: crystals the model cannot take get their own error, the
    /// others are predicted in packed batches.
    pub fn predict_each(&self, inputs: &[CrystalInput]) -> Vec<Result<Vec<f32>>> {
        let mut results: Vec<Option<Result<Vec<f32>>>> = Vec::with_capacity(inputs.len());
        let mut good = Vec::new();
        for (index, input) in inputs.iter().enumerate() {
            let check = Batch::new(std::slice::from_ref(input)).and_then(|b| b.check_ranges(self.model.config()));
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

    fn predict_batch(&self, inputs: &[CrystalInput]) -> Result<Vec<Vec<f32>>> {
        let batch = Arc::new(Batch::new(inputs)?);
        let y = self.model.forward(&batch)?;
        Ok(y.to_dtype(DType::F32)?.to_device(&Device::Cpu)?.to_vec2::<f32>()?)
    }
}

/// Errors about "crystal 0" of a one-crystal check refer to input `index`.
fn renumber(e: Error, index: usize) -> Error {
    match e {
        Error::Crystal { message, .. } => Error::Crystal { index, message },
        other => other,
    }
}
