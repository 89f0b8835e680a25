//! Hyper-parameters, read from the reference's parameter JSON (`params/*.json` merged with the
//! command-line overrides, as saved in a checkpoint's `hyper_parameters` or as the `params`
//! object of the parity fixtures' `config.json`). Names are the reference's, so a saved
//! configuration loads unchanged. Keys the port does not use (optimiser, data set, ...) are
//! ignored; values it does not implement are rejected by [`Config::validate`].

use crate::error::{Error, Result};
use crate::frames::FrameMethod;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::Path;

/// Number of elements of the one-hot atom encoding (Z = 1..=98, doc §2).
pub const NUM_ELEMENTS: usize = 98;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub num_layers: usize,
    /// Width d of the atom states.
    pub model_dim: usize,
    pub head_num: usize,
    pub ff_dim: usize,
    /// Total query/key width (0 → `model_dim`).
    #[serde(default)]
    pub k_dim: usize,
    /// Total value width (0 → `model_dim`).
    #[serde(default)]
    pub v_dim: usize,
    /// Widths of the embedding stack; the shipped models use `[model_dim]` (one linear layer).
    pub embedding_dim: Vec<usize>,
    pub t_activation: String,
    /// T-Fixup initialisation, which also removes every LayerNorm (doc §2).
    pub t_fixup_init: bool,
    pub domain: String,
    pub gauss_state: String,
    pub normalize_gauss: bool,
    /// Lower bound lb of f(α) (doc §3.2).
    pub gauss_lb_real: f64,
    /// β of f(α) = (1−lb)·elu(αβ/(1−lb)) + 1.
    pub positive_func_beta: f64,
    /// Gaussian length r0 in Å, per layer (cycled when shorter than `num_layers`).
    #[serde(deserialize_with = "one_or_many")]
    pub scale_real: Vec<f64>,
    /// Fixed image range (and the minimum range when `minimum_range`).
    pub lattice_range: i32,
    /// < 0: adaptive box range from |value|·σ; > 0: fixed cutoff |value|·r0/√lb; 0: fixed range.
    pub adaptive_cutoff_sigma: f64,
    pub minimum_range: bool,
    /// Number K of distance Gaussians.
    pub value_pe_dist_real: usize,
    /// r_max in Å; negative → |value|·r0.
    pub value_pe_dist_max: f64,
    pub value_pe_dist_wscale: f64,
    pub value_pe_dist_coef: f64,
    #[serde(default)]
    pub value_pe_wave_real: usize,
    /// Number A of angle Gaussians per frame axis (0: no frames, the Crystalformer baseline).
    #[serde(default)]
    pub value_pe_angle_real: usize,
    #[serde(default = "one")]
    pub value_pe_angle_wscale: f64,
    #[serde(default = "one")]
    pub value_pe_angle_coef: f64,
    #[serde(default)]
    pub cos_abs: i32,
    #[serde(default = "default_frame_method")]
    pub frame_method: String,
    /// Symmetry-breaking noise of the reference's frame search; ignored by default in
    /// inference (see [`crate::frames::MaxFrames`]).
    #[serde(default)]
    pub symm_break_noise: f64,
    pub pooling: String,
    pub pre_pooling_op: String,
    pub norm_type: String,
    /// Names of the predicted quantities (the reference writes one name or a list).
    #[serde(deserialize_with = "one_or_many")]
    pub targets: Vec<String>,
    /// screen extension (absent from reference configs): apply the ±4σ truncation window of
    /// the distance Gaussians. CrystalFramer's kernels do (default `true`); the
    /// Crystalformer-2024 kernels do not, so set `false` to load those checkpoints (doc §3).
    #[serde(default = "yes")]
    pub value_pe_dist_window: bool,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

fn default_frame_method() -> String {
    "no".into()
}

/// Accepts `x` or `[x, ...]`.
fn one_or_many<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        One(T),
        Many(Vec<T>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(x) => vec![x],
        OneOrMany::Many(v) => v,
    })
}

impl Config {
    /// Reads a configuration JSON: either the flat hyper-parameter object or a wrapper with
    /// it under `params` (the parity fixtures' layout).
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
        Config::from_json_str(&text).map_err(|e| match e {
            Error::Config { message, .. } => Error::config(path.display(), message),
            other => other,
        })
    }

    pub fn from_json_str(text: &str) -> Result<Config> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| Error::config("<config>", format!("not JSON: {e}")))?;
        let params = match value.get("params") {
            Some(p) if p.is_object() => p.clone(),
            _ => value,
        };
        let config: Config = serde_json::from_value(params)
            .map_err(|e| Error::config("<config>", format!("bad hyper-parameters: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects what the port does not implement, with the offending key.
    pub fn validate(&self) -> Result<()> {
        let unsupported = |what: String| Err(Error::Unsupported(what));
        let expect = |key: &str, found: &str, allowed: &[&str]| -> Result<()> {
            if allowed.contains(&found) {
                Ok(())
            } else {
                Err(Error::Unsupported(format!("{key} = '{found}' (supported: {})", allowed.join(", "))))
            }
        };
        expect("domain", &self.domain, &["real"])?;
        expect("gauss_state", &self.gauss_state, &["q"])?;
        expect("t_activation", &self.t_activation, &["relu"])?;
        expect("pooling", &self.pooling, &["avr"])?;
        expect("pre_pooling_op", &self.pre_pooling_op, &["no"])?;
        expect("norm_type", &self.norm_type, &["no"])?;
        FrameMethod::from_name(&self.frame_method)?;
        if !self.t_fixup_init {
            return unsupported("t_fixup_init = false (the LayerNorm variant)".into());
        }
        if self.num_layers == 0 || self.head_num == 0 || self.model_dim == 0 || self.ff_dim == 0 {
            return unsupported("zero num_layers, head_num, model_dim or ff_dim".into());
        }
        if self.embedding_dim != [self.model_dim] {
            return unsupported(format!("embedding_dim = {:?} (only [model_dim])", self.embedding_dim));
        }
        for (key, width) in [("model_dim", self.model_dim), ("k_dim", self.qk_dim()), ("v_dim", self.value_dim())] {
            if width % self.head_num != 0 {
                return unsupported(format!("{key} = {width} not divisible by head_num = {}", self.head_num));
            }
        }
        if self.qk_dim() != self.value_dim() {
            return unsupported("k_dim different from v_dim".into());
        }
        if self.value_pe_wave_real != 0 {
            return unsupported("value_pe_wave_real > 0".into());
        }
        if self.value_pe_dist_real == 0 {
            return unsupported("value_pe_dist_real = 0".into());
        }
        if self.cos_abs != 0 {
            return unsupported("cos_abs = 1".into());
        }
        if self.value_pe_angle_real == 1 {
            return unsupported("value_pe_angle_real = 1 (needs at least 2 angle Gaussians)".into());
        }
        if self.scale_real.is_empty() || self.scale_real.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
            return unsupported(format!("scale_real = {:?}", self.scale_real));
        }
        let finite = [
            ("gauss_lb_real", self.gauss_lb_real),
            ("positive_func_beta", self.positive_func_beta),
            ("adaptive_cutoff_sigma", self.adaptive_cutoff_sigma),
            ("value_pe_dist_max", self.value_pe_dist_max),
            ("value_pe_dist_wscale", self.value_pe_dist_wscale),
            ("value_pe_dist_coef", self.value_pe_dist_coef),
            ("value_pe_angle_wscale", self.value_pe_angle_wscale),
            ("value_pe_angle_coef", self.value_pe_angle_coef),
            ("symm_break_noise", self.symm_break_noise),
        ];
        for (key, v) in finite {
            if !v.is_finite() {
                return unsupported(format!("{key} = {v}"));
            }
        }
        if !(self.gauss_lb_real > 0.0 && self.gauss_lb_real < 1.0) {
            return unsupported(format!("gauss_lb_real = {} (must be in (0, 1))", self.gauss_lb_real));
        }
        if self.value_pe_dist_max == 0.0 || self.value_pe_dist_wscale <= 0.0 || self.value_pe_angle_wscale <= 0.0 {
            return unsupported("zero Gaussian range or width".into());
        }
        if !(0..=16).contains(&self.lattice_range) {
            return unsupported(format!("lattice_range = {}", self.lattice_range));
        }
        if self.targets.is_empty() {
            return unsupported("no targets".into());
        }
        Ok(())
    }

    pub fn head_dim(&self) -> usize {
        self.qk_dim() / self.head_num
    }

    pub fn qk_dim(&self) -> usize {
        if self.k_dim > 0 { self.k_dim } else { self.model_dim }
    }

    pub fn value_dim(&self) -> usize {
        if self.v_dim > 0 { self.v_dim } else { self.model_dim }
    }

    pub fn num_targets(&self) -> usize {
        self.targets.len()
    }

    pub fn frame_method(&self) -> FrameMethod {
        // validate() has checked the name.
        FrameMethod::from_name(&self.frame_method).unwrap_or(FrameMethod::None)
    }

    /// r0 of layer `l` (Å): the per-layer list is cycled (doc §3.2).
    pub fn r0(&self, layer: usize) -> f64 {
        self.scale_real[layer % self.scale_real.len()]
    }

    /// Whether the angle part of ψ exists: angle Gaussians and a frame method.
    pub fn uses_angles(&self) -> bool {
        self.value_pe_angle_real > 0 && self.frame_method() != FrameMethod::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity")
            .join(format!("{name}.config.json"))
    }

    #[test]
    fn reads_the_fixture_configs() {
        let c = Config::from_file(&fixture("crystalframer_max_default")).unwrap();
        assert_eq!((c.num_layers, c.model_dim, c.head_num, c.head_dim()), (4, 128, 8, 16));
        assert_eq!(c.frame_method(), FrameMethod::Max);
        assert_eq!(c.targets, ["formation_energy"]);
        assert!(c.uses_angles() && c.value_pe_dist_window);
        let b = Config::from_file(&fixture("crystalformer_baseline_default")).unwrap();
        assert_eq!(b.value_pe_angle_real, 0);
        assert!(!b.uses_angles());
    }

    #[test]
    fn rejects_what_is_not_implemented() {
        let text = std::fs::read_to_string(fixture("crystalframer_max_default")).unwrap();
        let bad = text.replace("\"gauss_state\": \"q\"", "\"gauss_state\": \"x\"");
        let err = Config::from_json_str(&bad).unwrap_err().to_string();
        assert!(err.contains("gauss_state = 'x'"), "{err}");
        let bad = text.replace("\"frame_method\": \"max\"", "\"frame_method\": \"max_wo_orthogonal\"");
        assert!(Config::from_json_str(&bad).is_err());
        assert!(Config::from_json_str("{\"params\": {\"num_layers\": 4}}").unwrap_err().to_string().contains("missing field"));
    }
}
