//! The infinitely connected periodic attention layer (doc §3): dense projections in candle,
//! the periodic part as the custom op [`PeriodicAttentionOp`].

use crate::config::Config;
use crate::error::{Error, Result};
use crate::frames::Frames;
use crate::gbf::{AngleGbf, DistanceGbf};
use crate::geometry::{Batch, RangeRule};
use crate::kernel::{self, AtomRecord, HeadSums, Inputs, LayerSpec};
use candle_core::{CpuStorage, CustomOp3, DType, Device, Layout, Shape, Tensor};
use candle_nn::{Init, Linear, Module, VarBuilder};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// Intermediates of one layer's periodic attention, for parity checks (doc §3, fixtures'
/// `debug.safetensors` names in brackets).
#[derive(Clone, Debug, Default)]
pub struct AttentionTrace {
    /// z_ij per (edge, head) [`z_ek`].
    pub z: Vec<f32>,
    /// ψ_ij per (edge, head, head_dim) [`pe_values`].
    pub psi: Vec<f32>,
    /// Per (atom, head): rows f1, f2, f3 [`frame`]; NaN without frames.
    pub frames: Vec<f32>,
}

/// The periodic part of the attention as a candle op: inputs `qkv` (3, atoms, H·d_h) —
/// q, k, v stacked —, `a` (atoms, H) and the ψ projections `pe_weight` (H, d_h, K + 3A);
/// output (atoms, H·d_h), the per-head attention outputs before `out_proj`.
///
/// The op owns its batch geometry and frames through `Arc`s. `bwd` gives analytic gradients
/// for q, k, v, a and the projections ([`crate::gradient`]); frames carry none (doc §4.1).
/// All geometry that does not depend on `a` (relative positions, image vectors, distances)
/// is recomputed from the `Batch` on the fly.
pub struct PeriodicAttentionOp {
    pub batch: Arc<Batch>,
    pub spec: LayerSpec,
    pub frames: Arc<dyn Frames>,
    pub trace: Option<Arc<Mutex<AttentionTrace>>>,
    /// Whether the forward pass keeps its image sums for `bwd` (when training).
    pub keep_sums: bool,
    /// The kept sums per atom of the batch (`None` for crystals too large to keep).
    kept: Mutex<Vec<Option<Vec<HeadSums>>>>,
}

/// Floats of image sums kept for one crystal at most (16 MB): larger crystals, which have
/// the most work per float kept, are visited again in the backward pass instead.
const KEEP_FLOATS_PER_CRYSTAL: usize = 1 << 22;

/// Floats of image sums kept for one layer and batch at most (256 MB).
const KEEP_FLOATS_PER_BATCH: usize = 1 << 26;

impl PeriodicAttentionOp {
    pub fn new(batch: Arc<Batch>, spec: LayerSpec, frames: Arc<dyn Frames>, trace: Option<Arc<Mutex<AttentionTrace>>>, keep_sums: bool) -> Self {
        PeriodicAttentionOp { batch, spec, frames, trace, keep_sums, kept: Mutex::new(Vec::new()) }
    }

    /// Per crystal of the batch, whether its image sums fit the bounds above.
    fn keepable(&self) -> Vec<bool> {
        let mut total = 0usize;
        self.batch
            .crystals
            .iter()
            .map(|geom| {
                let n = geom.num_atoms();
                let floats = n * self.spec.heads * HeadSums::floats(n, self.spec.pe_width());
                let keep = self.keep_sums && floats <= KEEP_FLOATS_PER_CRYSTAL && total + floats <= KEEP_FLOATS_PER_BATCH;
                if keep {
                    total += floats;
                }
                keep
            })
            .collect()
    }
}

impl CustomOp3 for PeriodicAttentionOp {
    fn name(&self) -> &'static str {
        "crystalframer-periodic-attention"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        fn slice<'s>(s: &'s CpuStorage, l: &Layout, what: &str) -> candle_core::Result<&'s [f32]> {
            let (start, end) = l
                .contiguous_offsets()
                .ok_or_else(|| candle_core::Error::Msg(format!("periodic attention: {what} not contiguous")))?;
            match s {
                CpuStorage::F32(v) => v
                    .get(start..end)
                    .ok_or_else(|| candle_core::Error::Msg(format!("periodic attention: {what} out of bounds"))),
                _ => Err(candle_core::Error::Msg(format!("periodic attention: {what} must be f32"))),
            }
        }
        let (qkv, a, w) = (slice(s1, l1, "qkv")?, slice(s2, l2, "a")?, slice(s3, l3, "pe_weight")?);
        let spec = &self.spec;
        let width = spec.heads * spec.head_dim;
        let atoms = self.batch.num_atoms;
        let expect = |what: &str, got: &[usize], want: &[usize]| {
            if got == want {
                Ok(())
            } else {
                Err(candle_core::Error::Msg(format!("periodic attention: {what} has shape {got:?}, expected {want:?}")))
            }
        };
        expect("qkv", l1.dims(), &[3, atoms, width])?;
        expect("a", l2.dims(), &[atoms, spec.heads])?;
        expect("pe_weight", l3.dims(), &[spec.heads, spec.head_dim, spec.pe_width()])?;

        let inputs = Inputs { qkv, num_atoms: atoms, a, pe_weight: w };
        let owner = self.batch.atom_crystal();
        let recording = self.trace.is_some();
        let keepable = self.keepable();
        let mut out = vec![0f32; atoms * width];
        let (records, kept): (Vec<Option<AtomRecord>>, Vec<Option<Vec<HeadSums>>>) = out
            .par_chunks_mut(width.max(1))
            .enumerate()
            .map(|(atom, row)| {
                let geom = &self.batch.crystals[owner[atom]];
                let mut record = recording.then(AtomRecord::default);
                let mut sums = keepable[owner[atom]].then(Vec::new);
                kernel::attend(spec, self.frames.as_ref(), geom, atom - geom.offset, &inputs, row, record.as_mut(), sums.as_mut());
                (record, sums)
            })
            .unzip();
        if self.keep_sums
            && let Ok(mut slot) = self.kept.lock()
        {
            *slot = kept;
        }
        if let Some(trace) = &self.trace {
            let mut t = AttentionTrace {
                z: Vec::with_capacity(self.batch.num_edges() * spec.heads),
                psi: Vec::with_capacity(self.batch.num_edges() * width),
                frames: Vec::with_capacity(atoms * spec.heads * 9),
            };
            // Atoms are in batch order and each record holds its edges (i, j = 0..n), so
            // concatenating gives the reference's edge order (doc §2).
            for r in records.into_iter().flatten() {
                t.z.extend(r.z);
                t.psi.extend(r.psi);
                t.frames.extend(r.frames);
            }
            if let Ok(mut slot) = trace.lock() {
                *slot = t;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((atoms, width))))
    }

    /// Analytic gradients for q, k, v, a and the ψ projections ([`crate::gradient`]),
    /// parallel over crystals; the per-crystal projection gradients are summed in crystal
    /// order, so the result does not depend on the thread count.
    fn bwd(
        &self,
        qkv: &Tensor,
        a: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let device = qkv.device().clone();
        let host = |t: &Tensor| -> candle_core::Result<Vec<f32>> {
            t.to_device(&Device::Cpu)?.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()
        };
        let (qkv_v, a_v, w_v, g_v) = (host(qkv)?, host(a)?, host(w)?, host(grad_res)?);
        let spec = &self.spec;
        let width = spec.heads * spec.head_dim;
        let atoms = self.batch.num_atoms;
        if qkv_v.len() != 3 * atoms * width || g_v.len() != atoms * width || a_v.len() != atoms * spec.heads {
            return Err(candle_core::Error::Msg("periodic attention backward: input sizes do not match the batch".into()));
        }
        let inputs = Inputs { qkv: &qkv_v, num_atoms: atoms, a: &a_v, pe_weight: &w_v };
        // The forward pass's sums serve one backward pass; a second one visits the images again.
        let kept = self.kept.lock().map(|mut k| std::mem::take(&mut *k)).unwrap_or_default();
        let grads: Vec<crate::gradient::CrystalGrad> = self
            .batch
            .crystals
            .par_iter()
            .map(|geom| {
                let own = kept.get(geom.offset..geom.offset + geom.num_atoms()).unwrap_or_default();
                crate::gradient::crystal_backward(spec, self.frames.as_ref(), geom, &inputs, &g_v, own)
            })
            .collect();
        let mut dqkv = vec![0f32; 3 * atoms * width];
        let mut da = vec![0f32; atoms * spec.heads];
        let mut dw = vec![0f32; w_v.len()];
        for (geom, g) in self.batch.crystals.iter().zip(&grads) {
            let n = geom.num_atoms();
            for (part, src) in [&g.dq, &g.dk, &g.dv].into_iter().enumerate() {
                dqkv[(part * atoms + geom.offset) * width..][..n * width].copy_from_slice(src);
            }
            da[geom.offset * spec.heads..][..n * spec.heads].copy_from_slice(&g.da);
            dw.iter_mut().zip(&g.dw).for_each(|(x, y)| *x += y);
        }
        let dqkv = Tensor::from_vec(dqkv, qkv.shape(), &Device::Cpu)?.to_device(&device)?.to_dtype(qkv.dtype())?;
        let da = Tensor::from_vec(da, a.shape(), &Device::Cpu)?.to_device(&device)?.to_dtype(a.dtype())?;
        let dw = Tensor::from_vec(dw, w.shape(), &Device::Cpu)?.to_device(&device)?.to_dtype(w.dtype())?;
        Ok((Some(dqkv), Some(da), Some(dw)))
    }
}

/// `encoder.layers.L.self_attn`: CrystalformerMultiheadAttentionCUDA of the reference.
#[derive(Debug)]
pub struct PeriodicAttention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    out_proj: Linear,
    /// `lattice_pos_weights` as (H, d_h): α_raw[i,h] = q[i,h,:]·w_pos[h,:].
    lattice_pos_weights: Tensor,
    /// `gauss_scale` = [scale, shift] of α (doc §3.2), set by the first training step.
    gauss_scale: [f32; 2],
    /// `pe_dist_proj`, `proj_angle1..3` as (H, d_h, K) and (H, d_h, A) views of the
    /// parameters; concatenated along the GBF axis at every forward pass, so that a trained
    /// parameter's updates are seen and its gradient flows back through the concatenation.
    pe_parts: Vec<Tensor>,
    spec: LayerSpec,
    lb: f64,
    beta: f64,
}

/// Xavier-uniform bound for a (fan_out, fan_in) matrix, times `gain`.
fn xavier(fan_out: usize, fan_in: usize, gain: f64) -> Init {
    let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    Init::Uniform { lo: -bound, up: bound }
}

impl PeriodicAttention {
    /// Loads the layer; the init hints implement T-Fixup (doc §2) for a fresh `VarMap`.
    pub fn load(vb: VarBuilder, cfg: &Config, layer: usize, frames: &dyn Frames) -> Result<Self> {
        let (d, kd, h, hd) = (cfg.model_dim, cfg.qk_dim(), cfg.head_num, cfg.head_dim());
        let fixup = 0.67 * (cfg.num_layers as f64).powf(-0.25);
        let q_w = vb.get_with_hints((kd, d), "q_proj_weight", xavier(kd, d, 1.0))?;
        let k_w = vb.get_with_hints((kd, d), "k_proj_weight", xavier(kd, d, 1.0))?;
        let v_w = vb.get_with_hints((kd, d), "v_proj_weight", xavier(kd, d, fixup))?;
        let bias = vb.get_with_hints(3 * kd, "in_proj_bias", Init::Const(0.0))?;
        let out_w = vb.pp("out_proj").get_with_hints((d, kd), "weight", xavier(d, kd, fixup))?;
        let out_b = vb.pp("out_proj").get_with_hints(d, "bias", Init::Const(0.0))?;
        let w_pos = vb.get_with_hints(kd, "lattice_pos_weights", Init::Randn { mean: 0.0, stdev: (hd as f64).powf(-0.5) })?;
        let gauss_scale = vb.get_with_hints(2, "gauss_scale", Init::Const(0.0))?.to_dtype(DType::F32)?.to_vec1::<f32>()?;
        // Registered by the reference but unused.
        let _ = vb.get_with_hints(1, "atten_scale", Init::Const(0.0));

        let k_num = cfg.value_pe_dist_real;
        let pe_init = |k: usize| xavier(h * hd, k, (k as f64).powf(-0.5));
        let mut pe = vec![vb.get_with_hints((1, h, hd, k_num), "pe_dist_proj", pe_init(k_num))?.reshape((h, hd, k_num))?];
        let angle = if cfg.value_pe_angle_real > 0 && frames.method() != crate::frames::FrameMethod::None {
            let a_num = cfg.value_pe_angle_real;
            for t in 1..=3 {
                let w = vb.get_with_hints((1, h, hd, a_num), &format!("proj_angle{t}"), pe_init(a_num))?;
                pe.push(w.reshape((h, hd, a_num))?);
            }
            Some(AngleGbf::new(cfg))
        } else {
            None
        };

        let r0 = cfg.r0(layer);
        let spec = LayerSpec {
            layer,
            heads: h,
            head_dim: hd,
            range: RangeRule::from_config(cfg, layer),
            dist: DistanceGbf::new(cfg, layer),
            angle,
            dist_coef: cfg.value_pe_dist_coef as f32,
            angle_coef: cfg.value_pe_angle_coef as f32,
            r0,
            lb: cfg.gauss_lb_real,
            static_a: (-0.5 / (r0 * r0)) as f32,
        };
        Ok(PeriodicAttention {
            q_proj: Linear::new(q_w, Some(bias.narrow(0, 0, kd)?)),
            k_proj: Linear::new(k_w, Some(bias.narrow(0, kd, kd)?)),
            v_proj: Linear::new(v_w, Some(bias.narrow(0, 2 * kd, kd)?)),
            out_proj: Linear::new(out_w, Some(out_b)),
            lattice_pos_weights: w_pos.reshape((h, hd))?,
            gauss_scale: [gauss_scale[0], gauss_scale[1]],
            pe_parts: pe,
            spec,
            lb: cfg.gauss_lb_real,
            beta: cfg.positive_func_beta,
        })
    }

    /// The stored [scale, shift] of α; scale 0 means not yet set.
    pub fn gauss_scale(&self) -> [f32; 2] {
        self.gauss_scale
    }

    /// α_raw[i,h] = q[i,h,:]·w_pos[h,:] (before normalisation).
    fn raw_alpha(&self, q: &Tensor) -> Result<Tensor> {
        let (atoms, _) = q.dims2()?;
        let (h, hd) = (self.spec.heads, self.spec.head_dim);
        Ok(q.reshape((atoms, h, hd))?.broadcast_mul(&self.lattice_pos_weights.unsqueeze(0)?)?.sum(2)?)
    }

    /// Sets `gauss_scale` from the layer input `x` of a batch, as the reference's first
    /// training step does: scale = 1/std(α_raw) (unbiased, over atoms × heads), shift =
    /// −mean(α_raw) (doc §3.2). A training port calls this once, then keeps the values.
    pub fn calibrate(&mut self, x: &Tensor) -> Result<()> {
        let alpha = self.raw_alpha(&self.q_proj.forward(x)?)?.flatten_all()?.to_dtype(DType::F64)?.to_vec1::<f64>()?;
        let n = alpha.len() as f64;
        let mean = alpha.iter().sum::<f64>() / n;
        let var = alpha.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let std = var.sqrt();
        if !(alpha.len() >= 2 && std > 0.0 && std.is_finite()) {
            return Err(Error::Unsupported(format!(
                "layer {}: cannot set gauss_scale from {} values with standard deviation {std}",
                self.spec.layer,
                alpha.len()
            )));
        }
        self.gauss_scale = [(1.0 / std) as f32, (-mean) as f32];
        Ok(())
    }

    /// The Gaussian coefficient a = −f(α)/(2 r0²) per (atom, head) from the queries (doc §3.2).
    pub fn decay(&self, q: &Tensor) -> Result<Tensor> {
        let [scale, shift] = self.gauss_scale;
        if scale.is_nan() || scale <= 0.0 {
            // The reference would normalise α with the statistics of the current batch,
            // making every prediction depend on the other crystals of the batch.
            return Err(Error::Unsupported(format!(
                "layer {}: gauss_scale is not initialised (the checkpoint never ran a training step)",
                self.spec.layer
            )));
        }
        let alpha = self.raw_alpha(q)?.affine(1.0, shift as f64)?.affine(scale as f64, 0.0)?;
        let lb = self.lb;
        let f = alpha.affine(self.beta / (1.0 - lb), 0.0)?.elu(1.0)?.affine(1.0 - lb, 1.0)?;
        let r0 = self.spec.r0;
        Ok(f.affine(-0.5 * r0.powi(-2), 0.0)?)
    }

    /// x → out_proj(periodic attention(q, k, v)). With `trace`, also returns q, k, v, a and
    /// the op's intermediates.
    pub fn forward(
        &self,
        x: &Tensor,
        batch: &Arc<Batch>,
        frames: &Arc<dyn Frames>,
        trace: Option<&mut crate::model::LayerTrace>,
    ) -> Result<Tensor> {
        let q = self.q_proj.forward(x)?;
        let k = self.k_proj.forward(x)?;
        let v = self.v_proj.forward(x)?;
        let a = self.decay(&q)?;
        let qkv = Tensor::stack(&[&q, &k, &v], 0)?;
        let recorder = trace.is_some().then(|| Arc::new(Mutex::new(AttentionTrace::default())));
        // A forward pass that autograd records (training) keeps its image sums for the backward pass.
        let op = PeriodicAttentionOp::new(batch.clone(), self.spec.clone(), frames.clone(), recorder.clone(), qkv.track_op());
        // The op runs on the CPU; on other devices its inputs make a round trip.
        let device = x.device();
        let cpu = |t: &Tensor| -> Result<Tensor> { Ok(t.to_device(&Device::Cpu)?.to_dtype(DType::F32)?.contiguous()?) };
        let pe_weight = Tensor::cat(&self.pe_parts, 2)?;
        let out = cpu(&qkv)?.apply_op3(&cpu(&a)?, &cpu(&pe_weight)?, op)?.to_device(device)?;
        let out = self.out_proj.forward(&out.to_dtype(x.dtype())?)?;
        if let (Some(t), Some(rec)) = (trace, recorder) {
            let heads = self.spec.heads;
            let (atoms, width) = (batch.num_atoms, heads * self.spec.head_dim);
            t.q = q.reshape((atoms, heads, width / heads))?;
            t.k = k.reshape((atoms, heads, width / heads))?;
            t.v = v.reshape((atoms, heads, width / heads))?;
            t.alpha = a;
            t.attn_out = out.clone();
            if let Ok(mut r) = rec.lock() {
                t.periodic = std::mem::take(&mut *r);
            }
        }
        Ok(out)
    }
}
