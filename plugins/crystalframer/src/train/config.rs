//! The training configuration (`screen train config.toml`): data, model hyper-parameters
//! (the reference's names, as overrides of its default CrystalFramer), optimiser, output.

use crate::config::Config;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The reference's default CrystalFramer (params/crystalframer/default_*.json, max frames,
/// doc §2, §7); `[model]` keys of a training configuration override it.
const DEFAULT_MODEL: &str = r#"{
  "num_layers": 4, "model_dim": 128, "k_dim": 0, "v_dim": 0, "head_num": 8, "ff_dim": 512,
  "embedding_dim": [128], "t_activation": "relu", "t_fixup_init": true, "domain": "real",
  "gauss_state": "q", "normalize_gauss": true, "gauss_lb_real": 0.5, "positive_func_beta": 0.1,
  "scale_real": [1.4], "lattice_range": 2, "adaptive_cutoff_sigma": -3.5, "minimum_range": true,
  "value_pe_dist_real": 64, "value_pe_dist_max": -10.0, "value_pe_dist_wscale": 1.0,
  "value_pe_dist_coef": 1.0, "value_pe_wave_real": 0, "value_pe_angle_real": 64,
  "value_pe_angle_wscale": 4.0, "value_pe_angle_coef": 1.0, "cos_abs": 0, "frame_method": "max",
  "symm_break_noise": 0.0, "pooling": "avr", "pre_pooling_op": "no", "norm_type": "no",
  "targets": ["target"]
}"#;

/// Everything a training run depends on. Two runs with equal configurations (and equal
/// data files) produce identical weights.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Model name, written to the metadata card.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Seed of the initialisation and of the batch order.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Run directory: checkpoints, log, exported model (relative to the working directory).
    pub out_dir: PathBuf,
    pub data: DataConfig,
    /// Overrides of the reference hyper-parameters (`num_layers`, `model_dim`, `head_num`,
    /// `frame_method`, `value_pe_angle_real`, ...). `targets` is taken from `[data]`.
    #[serde(default)]
    pub model: toml::Table,
    #[serde(default)]
    pub optim: OptimConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// JSON Lines structure files (`../shared/data` layout, plain or gzipped): `file = "a"` or
    /// `files = ["a", "b"]`. Records are identified by `id`; an id already read from an earlier
    /// file (or record) is a duplicate and left out, so overlapping datasets can be combined.
    #[serde(alias = "file", deserialize_with = "one_or_many")]
    pub files: Vec<PathBuf>,
    /// Property fields to learn, one model output each.
    pub targets: Vec<String>,
    /// Units of the targets, same order (written to the metadata).
    pub units: Vec<String>,
    /// Record field holding `train` / `val` / `test`.
    #[serde(default = "default_split_field")]
    pub split_field: String,
    /// Larger crystals are skipped (the reference's fused kernel stops at 320).
    #[serde(default = "default_max_atoms")]
    pub max_atoms: usize,
    /// Use only the first N training crystals (0 = all): for smoke tests.
    #[serde(default)]
    pub limit_train: usize,
    /// Use only the first N validation crystals (0 = all).
    #[serde(default)]
    pub limit_val: usize,
}

/// Optimiser and schedule (doc §7): AdamW, `lr·sqrt(warmup/(warmup + t))`, gradient-norm
/// clipping, SWA over the last epochs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub betas: [f64; 2],
    /// Decoupled weight decay (AdamW), not applied to biases.
    pub weight_decay: f64,
    /// Largest global gradient norm (0 = no clipping).
    pub clip_norm: f64,
    /// t₀ of the inverse-square-root schedule lr·sqrt(t₀/(t₀ + t)), t = optimiser step.
    pub lr_decay_steps: f64,
    /// Stochastic weight averaging over the last N epochs (equal weights, one snapshot per
    /// epoch; the learning rate is frozen meanwhile, as the reference does). 0 = off.
    pub swa_epochs: usize,
    /// Stop after this many optimiser steps in total (0 = run all epochs): smoke tests.
    #[serde(default)]
    pub max_steps: usize,
    /// Loss on the normalised targets: `l1` (the reference) or `mse`.
    #[serde(default)]
    pub loss: Loss,
}

/// Training loss on mean/std-normalised targets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Mean absolute error (the reference's `L1`).
    #[default]
    L1,
    /// Mean squared error: on zero-inflated targets (band gaps, mostly exactly 0) L1's
    /// optimum is the median, which short trainings settle into; squared error is not.
    Mse,
}

impl OptimConfig {
    /// The first epoch (0-based) of the weight-averaging window: the last `swa_epochs`.
    pub fn swa_start(&self) -> usize {
        self.epochs - self.swa_epochs.min(self.epochs)
    }
}

impl Default for OptimConfig {
    fn default() -> Self {
        OptimConfig {
            epochs: 100,
            batch_size: 128,
            lr: 5e-4,
            betas: [0.9, 0.98],
            weight_decay: 1e-5,
            clip_norm: 1.0,
            lr_decay_steps: 4000.0,
            swa_epochs: 10,
            max_steps: 0,
            loss: Loss::L1,
        }
    }
}

fn default_seed() -> u64 {
    123
}

fn default_split_field() -> String {
    "split".into()
}

/// `"a"` or `["a", "b"]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Vec<PathBuf>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(PathBuf),
        Many(Vec<PathBuf>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(p) => vec![p],
        OneOrMany::Many(v) => v,
    })
}

fn default_max_atoms() -> usize {
    320
}

impl TrainConfig {
    pub fn from_file(path: &Path) -> Result<TrainConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
        TrainConfig::from_toml_str(&text).map_err(|e| match e {
            Error::Config { message, .. } => Error::config(path.display(), message),
            other => other,
        })
    }

    pub fn from_toml_str(text: &str) -> Result<TrainConfig> {
        let c: TrainConfig = toml::from_str(text).map_err(|e| Error::config("training configuration", e.to_string()))?;
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(Error::config("training configuration", m));
        if self.data.files.is_empty() {
            return bad("[data] files is empty".into());
        }
        if self.data.targets.is_empty() {
            return bad("[data] targets is empty".into());
        }
        if self.data.units.len() != self.data.targets.len() {
            return bad(format!("[data] has {} targets but {} units", self.data.targets.len(), self.data.units.len()));
        }
        let o = &self.optim;
        if o.epochs == 0 || o.batch_size == 0 {
            return bad("[optim] epochs and batch_size must be positive".into());
        }
        if !(o.lr > 0.0 && o.lr.is_finite()) || !(o.lr_decay_steps > 0.0) {
            return bad("[optim] lr and lr_decay_steps must be positive".into());
        }
        if o.betas.iter().any(|b| !(0.0..1.0).contains(b)) || o.weight_decay < 0.0 || o.clip_norm < 0.0 {
            return bad("[optim] betas must lie in [0, 1), weight_decay and clip_norm must be ≥ 0".into());
        }
        if o.swa_epochs > o.epochs {
            return bad(format!("[optim] swa_epochs = {} exceeds epochs = {}", o.swa_epochs, o.epochs));
        }
        if self.model.contains_key("targets") {
            return bad("[model] targets: set the targets in [data]".into());
        }
        self.model_config().map(|_| ())
    }

    /// The model hyper-parameters: the reference default, the `[model]` overrides, the
    /// targets of `[data]`; `embedding_dim` follows `model_dim` unless given.
    pub fn model_config(&self) -> Result<Config> {
        let mut base: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(DEFAULT_MODEL).map_err(|e| Error::Unsupported(format!("built-in default model: {e}")))?;
        let overrides = serde_json::to_value(&self.model).map_err(|e| Error::config("[model]", e.to_string()))?;
        if let serde_json::Value::Object(m) = overrides {
            if let (Some(d), false) = (m.get("model_dim"), m.contains_key("embedding_dim")) {
                base.insert("embedding_dim".into(), serde_json::Value::Array(vec![d.clone()]));
            }
            base.extend(m);
        }
        base.insert("targets".into(), serde_json::json!(self.data.targets));
        let cfg = Config::from_json_str(&serde_json::Value::Object(base).to_string())
            .map_err(|e| Error::config("[model]", e.to_string()))?;
        cfg.validate().map_err(|e| Error::config("[model]", e.to_string()))?;
        // The reference configuration format ignores unknown keys; a training file must not.
        let known = serde_json::to_value(&cfg).map_err(|e| Error::config("[model]", e.to_string()))?;
        if let Some(unknown) = self.model.keys().find(|k| known.get(k.as_str()).is_none()) {
            return Err(Error::config("[model]", format!("unknown hyper-parameter '{unknown}'")));
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
out_dir = "runs/t"
[data]
file = "x.jsonl.gz"
targets = ["e_form"]
units = ["eV/cell"]
[model]
num_layers = 2
model_dim = 32
head_num = 2
ff_dim = 64
frame_method = "no"
[optim]
epochs = 3
batch_size = 8
lr = 5e-4
betas = [0.9, 0.98]
weight_decay = 1e-5
clip_norm = 1.0
lr_decay_steps = 4000.0
swa_epochs = 1
"#;

    #[test]
    fn reads_overrides_onto_the_reference_default() {
        let c = TrainConfig::from_toml_str(MINIMAL).unwrap();
        let m = c.model_config().unwrap();
        assert_eq!((m.num_layers, m.model_dim, m.head_num, m.embedding_dim.clone()), (2, 32, 2, vec![32]));
        assert_eq!(m.targets, ["e_form"]);
        assert_eq!(m.frame_method, "no");
        assert_eq!(m.value_pe_dist_real, 64);
        assert_eq!(c.seed, 123);
    }

    #[test]
    fn rejects_bad_settings_by_name() {
        let e = TrainConfig::from_toml_str(&MINIMAL.replace("frame_method = \"no\"", "frame_method = \"magic\"")).unwrap_err();
        assert!(e.to_string().contains("magic"), "{e}");
        let e = TrainConfig::from_toml_str(&MINIMAL.replace("units = [\"eV/cell\"]", "units = []")).unwrap_err();
        assert!(e.to_string().contains("units"), "{e}");
        let e = TrainConfig::from_toml_str(&MINIMAL.replace("lr = 5e-4", "lr = 5e-4\nlearning_rate = 1")).unwrap_err();
        assert!(e.to_string().contains("learning_rate"), "{e}");
        let e = TrainConfig::from_toml_str(&MINIMAL.replace("num_layers = 2", "num_layer = 2")).unwrap_err();
        assert!(e.to_string().contains("num_layer"), "{e}");
    }
}
