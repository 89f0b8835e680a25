//! The model options `screen predict` and `screen score` share: which model (a name, a
//! directory, or loose weight/config/metadata files), on which device, with which frame noise.

use candle_core::Device;
use screen_crystalframer::checkpoint::{CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE};
use screen_crystalframer::{Config, Predictor};
use screen_engine::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// Model: a name (models/NAME in the current directory, then in the screen repository) or a
    /// directory holding model.safetensors, config.json and metadata.json.
    #[arg(long, value_name = "NAME|DIR", required_unless_present = "weights", conflicts_with_all = ["weights", "config", "metadata"])]
    pub model: Option<String>,
    /// Weights (safetensors, reference parameter names) instead of --model; needs --config.
    #[arg(long, value_name = "W.safetensors", requires = "config")]
    pub weights: Option<PathBuf>,
    /// Hyper-parameter JSON of --weights.
    #[arg(long, value_name = "C.json", requires = "weights")]
    pub config: Option<PathBuf>,
    /// Metadata JSON of --weights (targets and units); without it units are unknown.
    #[arg(long, value_name = "M.json", requires = "weights")]
    pub metadata: Option<PathBuf>,
    /// cpu, or cuda (needs a build with --features cuda).
    #[arg(long, default_value = "cpu", value_name = "DEVICE")]
    pub device: String,
    /// Symmetry-breaking noise of max frames (the reference uses 1e-5 with a random seed;
    /// 0 = its deterministic tie order).
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    pub frame_noise: f32,
    /// Seed of the frame noise.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,
}

/// The files a model is loaded from.
pub struct ModelFiles {
    pub weights: PathBuf,
    pub config: PathBuf,
    pub metadata: Option<PathBuf>,
}

impl ModelArgs {
    /// Where the model's files are; usage errors for a missing model or bad frame noise.
    pub fn files(&self) -> Result<ModelFiles> {
        if !(self.frame_noise.is_finite() && self.frame_noise >= 0.0) {
            return Err(Error::Usage("--frame-noise must be a non-negative number".into()));
        }
        match (&self.model, &self.weights, &self.config) {
            (Some(name), _, _) => {
                let dir = super::input::resolve_model(name)?;
                Ok(ModelFiles { weights: dir.join(WEIGHTS_FILE), config: dir.join(CONFIG_FILE), metadata: Some(dir.join(METADATA_FILE)) })
            }
            (None, Some(w), Some(c)) => Ok(ModelFiles { weights: w.clone(), config: c.clone(), metadata: self.metadata.clone() }),
            _ => Err(Error::Usage("give --model NAME|DIR, or --weights W --config C".into())),
        }
    }

    /// Loads the predictor from `files` on the chosen device.
    pub fn load(&self, files: &ModelFiles) -> Result<Predictor> {
        let device = match self.device.as_str() {
            "cpu" => Device::Cpu,
            "cuda" => Device::new_cuda(0).map_err(|e| Error::Usage(format!("--device cuda: {e}")))?,
            other => return Err(Error::Usage(format!("--device '{other}': expected cpu or cuda"))),
        };
        let usage = |e: screen_crystalframer::Error| Error::Usage(format!("cannot load the model: {e}"));
        let cfg = Config::from_file(&files.config).map_err(usage)?;
        let frames = Arc::from(cfg.frame_method().build(self.frame_noise, self.seed));
        Predictor::from_files_with_frames(&files.weights, &cfg, files.metadata.as_deref(), &device, frames).map_err(usage)
    }
}
