//! The CrystalFramer / Crystalformer network (doc §2): one-hot embedding, normalisation-free
//! transformer blocks with periodic attention, mean pooling per crystal, a two-layer head.
//! Parameter names are the reference's `Latticeformer.state_dict()` names.

use crate::attention::{AttentionTrace, PeriodicAttention};
use crate::config::{Config, NUM_ELEMENTS};
use crate::error::Result;
use crate::frames::{FrameMethod, Frames};
use crate::geometry::Batch;
use candle_core::{DType, Device, Tensor};
use candle_nn::{Init, Linear, Module, VarBuilder};
use std::sync::Arc;

/// `encoder.layers.L`: x ← x + SA(x); x ← x + W2·relu(W1·x + b1) + b2 (no LayerNorm under
/// T-Fixup, doc §2).
#[derive(Debug)]
pub struct EncoderLayer {
    self_attn: PeriodicAttention,
    linear1: Linear,
    linear2: Linear,
}

impl EncoderLayer {
    pub fn load(vb: VarBuilder, cfg: &Config, layer: usize, frames: &dyn Frames) -> Result<Self> {
        let (d, ff) = (cfg.model_dim, cfg.ff_dim);
        let fixup = 0.67 * (cfg.num_layers as f64).powf(-0.25);
        let xavier = |o: usize, i: usize| {
            let bound = fixup * (6.0 / (i + o) as f64).sqrt();
            Init::Uniform { lo: -bound, up: bound }
        };
        let linear = |name: &str, o: usize, i: usize| -> Result<Linear> {
            let w = vb.pp(name).get_with_hints((o, i), "weight", xavier(o, i))?;
            let b = vb.pp(name).get_with_hints(o, "bias", Init::Const(0.0))?;
            Ok(Linear::new(w, Some(b)))
        };
        Ok(EncoderLayer {
            self_attn: PeriodicAttention::load(vb.pp("self_attn"), cfg, layer, frames)?,
            linear1: linear("linear1", ff, d)?,
            linear2: linear("linear2", d, ff)?,
        })
    }

    pub fn self_attn(&self) -> &PeriodicAttention {
        &self.self_attn
    }

    pub fn forward(
        &self,
        x: &Tensor,
        batch: &Arc<Batch>,
        frames: &Arc<dyn Frames>,
        mut trace: Option<&mut LayerTrace>,
    ) -> Result<Tensor> {
        let x = (x + self.self_attn.forward(x, batch, frames, trace.as_deref_mut())?)?;
        if let Some(t) = trace.as_deref_mut() {
            t.after_attn_residual = x.clone();
        }
        let ff = self.linear2.forward(&self.linear1.forward(&x)?.relu()?)?;
        let out = (x + ff)?;
        if let Some(t) = trace {
            t.block_out = out.clone();
        }
        Ok(out)
    }
}

/// Intermediates of one block (names as in the fixtures' `debug.safetensors`).
#[derive(Clone, Debug)]
pub struct LayerTrace {
    /// (atoms, H, d_h), bias included, before the 1/√d_h scaling.
    pub q: Tensor,
    pub k: Tensor,
    pub v: Tensor,
    /// a = −f(α)/(2 r0²) per (atom, head) [`alpha`].
    pub alpha: Tensor,
    pub periodic: AttentionTrace,
    /// After `out_proj`.
    pub attn_out: Tensor,
    pub after_attn_residual: Tensor,
    pub block_out: Tensor,
}

impl LayerTrace {
    fn empty(device: &Device) -> Result<Self> {
        let e = Tensor::zeros(0, DType::F32, device)?;
        Ok(LayerTrace {
            q: e.clone(),
            k: e.clone(),
            v: e.clone(),
            alpha: e.clone(),
            periodic: AttentionTrace::default(),
            attn_out: e.clone(),
            after_attn_residual: e.clone(),
            block_out: e,
        })
    }
}

/// Everything a forward pass computed.
#[derive(Clone, Debug)]
pub struct ModelTrace {
    pub embedding: Tensor,
    pub layers: Vec<LayerTrace>,
    /// (crystals, d): mean of the last block's atom states.
    pub pooled: Tensor,
    /// (crystals, targets).
    pub predictions: Tensor,
}

/// The full model.
#[derive(Debug)]
pub struct CrystalFramer {
    /// `input_embeddings` (d, 98), no bias.
    input_embeddings: Linear,
    layers: Vec<EncoderLayer>,
    /// `mlp.0` and `mlp.3` (Linear → Identity → ReLU → Linear).
    mlp0: Linear,
    mlp3: Linear,
    frames: Arc<dyn Frames>,
    config: Config,
    device: Device,
}

impl CrystalFramer {
    /// Builds the model with the configuration's frame method (noise off).
    pub fn load(vb: VarBuilder, cfg: &Config) -> Result<Self> {
        Self::load_with_frames(vb, cfg, Arc::from(cfg.frame_method().build(0.0, 0)))
    }

    /// Builds the model with an explicit frame construction (for symmetry-breaking noise or
    /// to study another method with the same weights).
    pub fn load_with_frames(vb: VarBuilder, cfg: &Config, frames: Arc<dyn Frames>) -> Result<Self> {
        cfg.validate()?;
        let d = cfg.model_dim;
        // T-Fixup embedding init: N(0, d^-1/2 (9L)^-1/4).
        let sigma = (d as f64).powf(-0.5) * (9.0 * cfg.num_layers as f64).powf(-0.25);
        let emb = vb.pp("input_embeddings").get_with_hints((d, NUM_ELEMENTS), "weight", Init::Randn { mean: 0.0, stdev: sigma })?;
        let encoder = vb.pp("encoder").pp("layers");
        let layers = (0..cfg.num_layers)
            .map(|l| EncoderLayer::load(encoder.pp(l), cfg, l, frames.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        // PyTorch's default Linear init for the head.
        let torch_linear = |name: &str, o: usize, i: usize| -> Result<Linear> {
            let bound = (i as f64).powf(-0.5);
            let init = Init::Uniform { lo: -bound, up: bound };
            let w = vb.pp("mlp").pp(name).get_with_hints((o, i), "weight", init)?;
            let b = vb.pp("mlp").pp(name).get_with_hints(o, "bias", init)?;
            Ok(Linear::new(w, Some(b)))
        };
        Ok(CrystalFramer {
            input_embeddings: Linear::new(emb, None),
            layers,
            mlp0: torch_linear("0", d, d)?,
            mlp3: torch_linear("3", cfg.num_targets(), d)?,
            frames,
            config: cfg.clone(),
            device: vb.device().clone(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn frames(&self) -> &dyn Frames {
        self.frames.as_ref()
    }

    pub fn frame_method(&self) -> FrameMethod {
        self.frames.method()
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn layers(&self) -> &[EncoderLayer] {
        &self.layers
    }

    /// Sets every layer's unset `gauss_scale` from a batch, layer after layer, as the
    /// reference's first training forward does (a freshly initialised model cannot predict
    /// before this; loaded checkpoints have them set).
    pub fn calibrate_gauss_scales(&mut self, batch: &Arc<Batch>) -> Result<()> {
        let onehot = Tensor::from_slice(&batch.onehot, (batch.num_atoms, NUM_ELEMENTS), &self.device)?;
        let mut x = self.input_embeddings.forward(&onehot)?;
        for layer in self.layers.iter_mut() {
            let [scale, _] = layer.self_attn.gauss_scale();
            if scale.is_nan() || scale <= 0.0 {
                layer.self_attn.calibrate(&x)?;
            }
            x = layer.forward(&x, batch, &self.frames, None)?;
        }
        Ok(())
    }

    /// Predictions (crystals × targets) for a packed batch.
    pub fn forward(&self, batch: &Arc<Batch>) -> Result<Tensor> {
        self.run(batch, None)
    }

    /// Predictions plus every intermediate (slower: records per-edge ψ).
    pub fn forward_traced(&self, batch: &Arc<Batch>) -> Result<ModelTrace> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for _ in 0..self.layers.len() {
            layers.push(LayerTrace::empty(&self.device)?);
        }
        let e = Tensor::zeros(0, DType::F32, &self.device)?;
        let mut trace = ModelTrace { embedding: e.clone(), layers, pooled: e.clone(), predictions: e };
        let y = self.run(batch, Some(&mut trace))?;
        trace.predictions = y;
        Ok(trace)
    }

    fn run(&self, batch: &Arc<Batch>, mut trace: Option<&mut ModelTrace>) -> Result<Tensor> {
        batch.check_ranges(&self.config)?;
        let atoms = batch.num_atoms;
        let onehot = Tensor::from_slice(&batch.onehot, (atoms, NUM_ELEMENTS), &self.device)?;
        let mut x = self.input_embeddings.forward(&onehot)?;
        if let Some(t) = trace.as_deref_mut() {
            t.embedding = x.clone();
        }
        for (l, layer) in self.layers.iter().enumerate() {
            let lt = trace.as_deref_mut().map(|t| &mut t.layers[l]);
            x = layer.forward(&x, batch, &self.frames, lt)?;
        }
        let pooled = mean_pool(&x, batch)?;
        if let Some(t) = trace {
            t.pooled = pooled.clone();
        }
        Ok(self.mlp3.forward(&self.mlp0.forward(&pooled)?.relu()?)?)
    }
}

/// Mean of the atom states of each crystal: a segment sum (`index_add`, which keeps the
/// graph differentiable) divided by the atom counts.
fn mean_pool(x: &Tensor, batch: &Batch) -> Result<Tensor> {
    let owner: Vec<u32> = batch.atom_crystal().into_iter().map(|c| c as u32).collect();
    let owner = Tensor::from_vec(owner, batch.num_atoms, x.device())?;
    let (b, d) = (batch.num_crystals(), x.dim(1)?);
    let sums = Tensor::zeros((b, d), x.dtype(), x.device())?.index_add(&owner, x, 0)?;
    let counts: Vec<f32> = batch.crystals.iter().map(|g| g.num_atoms() as f32).collect();
    let counts = Tensor::from_vec(counts, (b, 1), x.device())?.to_dtype(x.dtype())?;
    Ok(sums.broadcast_div(&counts)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::CrystalInput;
    use candle_nn::VarMap;

    fn config() -> Config {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity/crystalframer_max_default.config.json");
        Config::from_file(&path).unwrap()
    }

    fn std_of(t: &Tensor) -> f64 {
        let v = t.flatten_all().unwrap().to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    }

    #[test]
    fn fresh_model_has_t_fixup_init_and_predicts_after_calibration() {
        let cfg = config();
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let mut net = CrystalFramer::load(vb, &cfg).unwrap();
        let vars = varmap.data().lock().unwrap().clone();
        let (d, l) = (cfg.model_dim as f64, cfg.num_layers as f64);
        let emb_sigma = d.powf(-0.5) * (9.0 * l).powf(-0.25);
        let got = std_of(vars["input_embeddings.weight"].as_tensor());
        assert!((got / emb_sigma - 1.0).abs() < 0.05, "embedding std {got} vs {emb_sigma}");
        // Xavier-uniform (d, d) has std sqrt(2/(2d)); v_proj is scaled by 0.67·L^-1/4, q_proj not.
        let xavier = (1.0 / d).sqrt();
        let q = std_of(vars["encoder.layers.0.self_attn.q_proj_weight"].as_tensor());
        let v = std_of(vars["encoder.layers.0.self_attn.v_proj_weight"].as_tensor());
        assert!((q / xavier - 1.0).abs() < 0.05, "q_proj std {q}");
        assert!((v / (xavier * 0.67 * l.powf(-0.25)) - 1.0).abs() < 0.05, "v_proj std {v}");

        let nacl = CrystalInput::new([[0.0, 2.82, 2.82], [2.82, 0.0, 2.82], [2.82, 2.82, 0.0]], vec![11, 17], vec![[0.0; 3], [2.82; 3]]);
        let si = CrystalInput::new([[0.0, 2.7, 2.7], [2.7, 0.0, 2.7], [2.7, 2.7, 0.0]], vec![14, 14], vec![[0.0; 3], [1.35; 3]]);
        let batch = Arc::new(Batch::new(&[nacl, si]).unwrap());
        let err = net.forward(&batch).unwrap_err().to_string();
        assert!(err.contains("gauss_scale is not initialised"), "{err}");
        net.calibrate_gauss_scales(&batch).unwrap();
        let [scale, _] = net.layers()[0].self_attn().gauss_scale();
        assert!(scale > 0.0);
        let y = net.forward(&batch).unwrap().to_vec2::<f32>().unwrap();
        assert!(y.iter().flatten().all(|x| x.is_finite()), "{y:?}");
    }
}
