//! AdamW (decoupled weight decay, PyTorch's update order) with global gradient-norm
//! clipping, over named candle `Var`s. The moments live in plain vectors so that they can be
//! checkpointed and restored exactly (`--resume` continues bit for bit).

use crate::error::{Error, Result};
use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use std::collections::HashMap;

/// Adam's ε (PyTorch default).
const EPS: f64 = 1e-8;

struct Param {
    name: String,
    var: Var,
    m: Vec<f32>,
    v: Vec<f32>,
    decay: bool,
}

pub struct AdamW {
    params: Vec<Param>,
    /// Optimiser steps taken.
    pub step: u64,
    betas: [f64; 2],
    weight_decay: f64,
}

/// What one optimiser step saw.
#[derive(Clone, Copy, Debug)]
pub struct StepStats {
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
}

impl AdamW {
    /// Optimises `vars` (sorted by name: a fixed update order). Biases get no weight decay.
    pub fn new(mut vars: Vec<(String, Var)>, betas: [f64; 2], weight_decay: f64) -> AdamW {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let params = vars
            .into_iter()
            .map(|(name, var)| {
                let n = var.elem_count();
                let decay = !name.ends_with("bias");
                Param { name, var, m: vec![0.0; n], v: vec![0.0; n], decay }
            })
            .collect();
        AdamW { params, step: 0, betas, weight_decay }
    }

    /// Clips the global gradient norm to `clip_norm` (0 = off) and applies one AdamW step
    /// with learning rate `lr`. A parameter without gradient in `grads` is left unchanged.
    pub fn step(&mut self, grads: &GradStore, lr: f64, clip_norm: f64) -> Result<StepStats> {
        let mut g: Vec<Option<Vec<f32>>> = Vec::with_capacity(self.params.len());
        let mut sq = 0f64;
        for p in &self.params {
            match grads.get(p.var.as_tensor()) {
                Some(t) => {
                    let v = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
                    sq += v.iter().map(|x| (*x as f64) * (*x as f64)).sum::<f64>();
                    g.push(Some(v));
                }
                None => g.push(None),
            }
        }
        let norm = sq.sqrt();
        if !norm.is_finite() {
            return Err(Error::Unsupported(format!("gradient norm is {norm} at step {}", self.step + 1)));
        }
        // torch.nn.utils.clip_grad_norm_: scale by clip/(norm + 1e-6) when above.
        let clip = if clip_norm > 0.0 && norm > clip_norm { clip_norm / (norm + 1e-6) } else { 1.0 };
        self.step += 1;
        let t = self.step as f64;
        let [b1, b2] = self.betas;
        let (bc1, bc2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
        for (p, grad) in self.params.iter_mut().zip(g) {
            let Some(grad) = grad else { continue };
            let mut w = p.var.as_tensor().to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
            let shrink = if p.decay { 1.0 - lr * self.weight_decay } else { 1.0 };
            for k in 0..w.len() {
                let gk = grad[k] as f64 * clip;
                let m = b1 * p.m[k] as f64 + (1.0 - b1) * gk;
                let v = b2 * p.v[k] as f64 + (1.0 - b2) * gk * gk;
                p.m[k] = m as f32;
                p.v[k] = v as f32;
                let denom = (v.sqrt() / bc2.sqrt()) + EPS;
                w[k] = (w[k] as f64 * shrink - lr / bc1 * m / denom) as f32;
            }
            let shape = p.var.shape().clone();
            p.var.set(&Tensor::from_vec(w, shape, p.var.device())?.to_dtype(p.var.dtype())?)?;
        }
        Ok(StepStats { grad_norm: norm })
    }

    /// The moments as tensors `m.<name>`, `v.<name>` (for checkpoints).
    pub fn state_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let mut out = HashMap::new();
        for p in &self.params {
            let shape = p.var.shape().clone();
            out.insert(format!("m.{}", p.name), Tensor::from_slice(&p.m, shape.clone(), &Device::Cpu)?);
            out.insert(format!("v.{}", p.name), Tensor::from_slice(&p.v, shape, &Device::Cpu)?);
        }
        Ok(out)
    }

    /// Restores moments saved by [`AdamW::state_tensors`] and the step count.
    pub fn load_state(&mut self, state: &HashMap<String, Tensor>, step: u64) -> Result<()> {
        for p in &mut self.params {
            for (prefix, dst) in [("m", &mut p.m), ("v", &mut p.v)] {
                let key = format!("{prefix}.{}", p.name);
                let t = state.get(&key).ok_or_else(|| Error::Unsupported(format!("optimizer state lacks '{key}'")))?;
                let v = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
                if v.len() != dst.len() {
                    return Err(Error::Unsupported(format!("optimizer state '{key}' has {} values, expected {}", v.len(), dst.len())));
                }
                *dst = v;
            }
        }
        self.step = step;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One step against PyTorch's AdamW formula written out by hand, with clipping.
    #[test]
    fn matches_the_adamw_update_with_clipping() {
        let w = Var::from_slice(&[1.0f32, -2.0], 2, &Device::Cpu).unwrap();
        let b = Var::from_slice(&[0.5f32], 1, &Device::Cpu).unwrap();
        let mut opt = AdamW::new(vec![("w".into(), w.clone()), ("x.bias".into(), b.clone())], [0.9, 0.98], 0.1);
        // L = 3·w0 + 4·w1 + 12·b: gradient (3, 4, 12), norm 13 → clipped to 1.
        let loss = ((w.as_tensor() * Tensor::new(&[3f32, 4.0], &Device::Cpu).unwrap()).unwrap().sum_all().unwrap()
            + (b.as_tensor() * 12.0).unwrap().sum_all().unwrap())
        .unwrap();
        let grads = loss.backward().unwrap();
        let stats = opt.step(&grads, 0.01, 1.0).unwrap();
        assert!((stats.grad_norm - 13.0).abs() < 1e-5);
        // First step: m̂ = g, v̂ = g², update = lr·g/(|g| + ε) = lr·sign(g) (clipping cancels).
        let got = w.as_tensor().to_vec1::<f32>().unwrap();
        let want = [1.0 * (1.0 - 0.01 * 0.1) - 0.01, -2.0 * (1.0 - 0.01 * 0.1) - 0.01];
        for (g, e) in got.iter().zip(want) {
            assert!((*g as f64 - e).abs() < 1e-6, "{got:?} vs {want:?}");
        }
        // No decay on the bias.
        assert!((b.as_tensor().to_vec1::<f32>().unwrap()[0] as f64 - (0.5 - 0.01)).abs() < 1e-6);
        let saved = opt.state_tensors().unwrap();
        let mut other = AdamW::new(vec![("w".into(), w.clone()), ("x.bias".into(), b.clone())], [0.9, 0.98], 0.1);
        other.load_state(&saved, opt.step).unwrap();
        assert_eq!(other.params[0].m, opt.params[0].m);
        assert_eq!(other.step, 1);
    }
}
