//! The model options `screen predict` and `screen score` share: which model (a name, a
//! directory, or loose weight/config/metadata files), on which device, with which frame noise.

use candle_core::Device;
use screen_crystalframer::{Config, FramesFor, Predictor};
use screen_engine::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// Model: a name (models/NAME in the current directory, then in the screen repository) or a
    /// directory holding model.safetensors, config.json and metadata.json, or an ensemble's
    /// metadata.json naming member directories.
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

impl ModelArgs {
    /// Loads the predictor on the chosen device; usage errors for a missing model, bad frame
    /// noise or files that do not make a model.
    pub fn load(&self) -> Result<Predictor> {
        if !(self.frame_noise.is_finite() && self.frame_noise >= 0.0) {
            return Err(Error::Usage("--frame-noise must be a non-negative number".into()));
        }
        let device = match self.device.as_str() {
            "cpu" => Device::Cpu,
            "cuda" => Device::new_cuda(0).map_err(|e| Error::Usage(format!("--device cuda: {e}")))?,
            other => return Err(Error::Usage(format!("--device '{other}': expected cpu or cuda"))),
        };
        let (noise, seed) = (self.frame_noise, self.seed);
        let frames: FramesFor = &|cfg: &Config| Arc::from(cfg.frame_method().build(noise, seed));
        let usage = |e: screen_crystalframer::Error| Error::Usage(format!("cannot load the model: {e}"));
        match (&self.model, &self.weights, &self.config) {
            (Some(name), _, _) => Predictor::from_dir_on(&super::input::resolve_model(name)?, &device, frames).map_err(usage),
            (None, Some(w), Some(c)) => Predictor::from_files(w, c, self.metadata.as_deref(), &device, frames).map_err(usage),
            _ => Err(Error::Usage("give --model NAME|DIR, or --weights W --config C".into())),
        }
    }
}
