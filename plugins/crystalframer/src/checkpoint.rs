//! Model files: safetensors weights with the reference parameter names, the hyper-parameter
//! JSON, and a metadata file describing what the model predicts.
//!
//! A model directory holds `model.safetensors`, `config.json` and `metadata.json`, or, for
//! an ensemble, a `metadata.json` whose `members` name such directories.
//!
//! Reference checkpoints are PyTorch-Lightning `.ckpt` pickles; convert their `state_dict` to
//! safetensors on the Python side (`safetensors.torch.save_file(ckpt["state_dict"], path)`)
//! and save `ckpt["hyper_parameters"]` as JSON. Loading then maps the names as `demo.py` does
//! (doc §2, §10): `swa_model.module.<name>` (the SWA weights the releases use), else
//! `model.<name>`, else the names as they are; `target_std`/`target_mean`, when present, are
//! folded into the last layer (W ← W·std, b ← b·std + mean).

use crate::config::Config;
use crate::error::{Error, Result};
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const CONFIG_FILE: &str = "config.json";
pub const METADATA_FILE: &str = "metadata.json";

/// A predicted quantity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    /// Unit of the predictions ("eV/atom", "eV", "log10(GPa)"); empty when unknown.
    #[serde(default)]
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `metadata.json`: what the model predicts and how it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// One per model output, in output order.
    pub targets: Vec<Target>,
    /// Data set, split and provenance (free-form JSON).
    #[serde(default)]
    pub training_data: serde_json::Value,
    /// Test metrics, e.g. `{"test_mae": 0.0263}` (free-form JSON).
    #[serde(default)]
    pub metrics: serde_json::Value,
    /// How the model was trained (`screen train`): configuration, epochs, steps, wall time,
    /// hardware, throughput (free-form JSON; absent for converted reference checkpoints).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub training: serde_json::Value,
    /// For an ensemble: its member model directories, relative to this file's directory; the
    /// prediction is their mean (see [`crate::Predictor`]). Empty for a single network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

impl Metadata {
    /// Metadata for weights that come without any: targets named by the configuration,
    /// units unknown.
    pub fn from_config(config: &Config) -> Metadata {
        Metadata {
            name: None,
            description: None,
            targets: config.targets.iter().map(|t| Target { name: t.clone(), unit: String::new(), description: None }).collect(),
            training_data: serde_json::Value::Null,
            metrics: serde_json::Value::Null,
            training: serde_json::Value::Null,
            members: Vec::new(),
        }
    }

    pub fn from_file(path: &Path) -> Result<Metadata> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
        serde_json::from_str(&text).map_err(|e| Error::config(path.display(), format!("bad metadata: {e}")))
    }

    /// The metadata must describe exactly the model's outputs.
    pub fn check(&self, config: &Config, path: &str) -> Result<()> {
        let names: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
        if names != config.targets.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(Error::config(path, format!("targets {names:?} differ from the configuration's {:?}", config.targets)));
        }
        Ok(())
    }
}

/// Reads a safetensors file and maps reference checkpoint names (see the module docs).
pub fn load_weights(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    let raw = candle_core::safetensors::load(path, device)
        .map_err(|e| Error::config(path.display(), format!("cannot read safetensors weights: {e}")))?;
    map_reference_names(raw)
}

/// `swa_model.module.*` / `model.*` → parameter names, target normalisation folded in.
pub fn map_reference_names(raw: HashMap<String, Tensor>) -> Result<HashMap<String, Tensor>> {
    let prefix = ["swa_model.module.", "model."].into_iter().find(|p| raw.keys().any(|k| k.starts_with(p)));
    let mut out: HashMap<String, Tensor> = match prefix {
        Some(p) => raw.iter().filter_map(|(k, v)| k.strip_prefix(p).map(|s| (s.to_string(), v.clone()))).collect(),
        None => raw.clone(),
    };
    if let (Some(std), Some(mean)) = (raw.get("target_std"), raw.get("target_mean")) {
        let (std, mean) = (std.to_dtype(DType::F32)?.flatten_all()?, mean.to_dtype(DType::F32)?.flatten_all()?);
        let w = out.get("mlp.3.weight").ok_or_else(|| Error::Unsupported("target_std without mlp.3.weight".into()))?;
        let b = out.get("mlp.3.bias").ok_or_else(|| Error::Unsupported("target_std without mlp.3.bias".into()))?;
        let w = w.to_dtype(DType::F32)?.broadcast_mul(&std.unsqueeze(1)?)?;
        let b = (b.to_dtype(DType::F32)? * &std)?.add(&mean)?;
        out.insert("mlp.3.weight".into(), w);
        out.insert("mlp.3.bias".into(), b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swa_names_and_target_folding() {
        let dev = Device::Cpu;
        let t = |v: &[f32], shape: &[usize]| Tensor::from_slice(v, shape, &dev).unwrap();
        let raw: HashMap<String, Tensor> = [
            ("model.mlp.3.weight", t(&[9.0, 9.0], &[1, 2])),
            ("swa_model.module.mlp.3.weight", t(&[1.0, 2.0], &[1, 2])),
            ("swa_model.module.mlp.3.bias", t(&[0.5], &[1])),
            ("target_std", t(&[2.0], &[1])),
            ("target_mean", t(&[-1.0], &[1])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let m = map_reference_names(raw).unwrap();
        assert_eq!(m["mlp.3.weight"].to_vec2::<f32>().unwrap(), [[2.0, 4.0]]);
        assert_eq!(m["mlp.3.bias"].to_vec1::<f32>().unwrap(), [0.0]);
        assert!(!m.contains_key("target_std"));
    }
}
