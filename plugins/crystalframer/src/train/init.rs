//! Seeded parameter initialisation. candle's CPU random generator cannot be seeded, so a
//! `VarMap` filled through it differs from run to run; this backend draws every parameter
//! from its own SplitMix stream keyed by (seed, parameter name), honouring the T-Fixup
//! `Init` hints the model passes (doc §2). The result does not depend on the order in which
//! the model asks for its parameters.

use crate::linalg::Rng;
use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarMap};

/// A `VarMap` whose missing variables are created from seeded streams.
pub struct SeededInit {
    pub vars: VarMap,
    pub seed: u64,
}

/// FNV-1a of a parameter name: the stream key.
fn name_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// `n` values drawn according to `init` from `rng`.
fn draw(init: Init, shape: &Shape, rng: &mut Rng) -> candle_core::Result<Vec<f32>> {
    let n = shape.elem_count();
    Ok(match init {
        Init::Const(c) => vec![c as f32; n],
        Init::Uniform { lo, up } => (0..n).map(|_| (lo + (up - lo) * rng.uniform() as f64) as f32).collect(),
        Init::Randn { mean, stdev } => (0..n)
            .map(|_| {
                // Box–Muller; uniform() is in (0, 1], so the log is finite.
                let (u1, u2) = (rng.uniform() as f64, rng.uniform() as f64);
                (mean + stdev * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
            })
            .collect(),
        Init::Kaiming { .. } => candle_core::bail!("seeded init: Kaiming hints are not used by this model"),
    })
}

impl SimpleBackend for SeededInit {
    fn get(&self, s: Shape, name: &str, h: Init, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        let mut data = self.vars.data().lock().map_err(|_| candle_core::Error::Msg("variable map poisoned".into()))?;
        if let Some(v) = data.get(name) {
            if v.shape() != &s {
                candle_core::bail!("shape mismatch on {name}: {s:?} <> {:?}", v.shape());
            }
            return Ok(v.as_tensor().clone());
        }
        let mut rng = Rng::new(self.seed, &[name_key(name)]);
        let values = draw(h, &s, &mut rng)?;
        let var = Var::from_tensor(&Tensor::from_vec(values, s, dev)?.to_dtype(dtype)?)?;
        let t = var.as_tensor().clone();
        data.insert(name.to_string(), var);
        Ok(t)
    }

    fn get_unchecked(&self, name: &str, _dtype: DType, _dev: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("seeded init: '{name}' requested without a shape")
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.vars.data().lock().map(|d| d.contains_key(name)).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_and_distributions_follow_the_hints() {
        let make = |seed| {
            let b = SeededInit { vars: VarMap::new(), seed };
            let s = Shape::from((200, 50));
            let u = b.get(s.clone(), "w", Init::Uniform { lo: -0.5, up: 0.5 }, DType::F32, &Device::Cpu).unwrap();
            let n = b.get(s, "n", Init::Randn { mean: 0.0, stdev: 2.0 }, DType::F32, &Device::Cpu).unwrap();
            (u.flatten_all().unwrap().to_vec1::<f32>().unwrap(), n.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        };
        let (u1, n1) = make(7);
        let (u2, n2) = make(7);
        let (u3, _) = make(8);
        assert_eq!((&u1, &n1), (&u2, &n2));
        assert_ne!(u1, u3);
        assert!(u1.iter().all(|x| (-0.5..=0.5).contains(x)));
        let mean = n1.iter().map(|&x| x as f64).sum::<f64>() / n1.len() as f64;
        let std = (n1.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n1.len() as f64).sqrt();
        assert!(mean.abs() < 0.1 && (std - 2.0).abs() < 0.1, "mean {mean} std {std}");
    }
}
