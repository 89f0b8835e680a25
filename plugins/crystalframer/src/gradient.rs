//! Analytic gradient of the periodic attention (the backward pass of
//! [`crate::attention::PeriodicAttentionOp`]), per crystal.
//!
//! Forward, per query atom i and head h (doc §3.4–§3.6), with w_n = exp(a·(d²_n − d²min)):
//!
//! ```text
//! z_j  = log Σ_n w_n + a·d²min          B_j = Σ_n w_n b_n / Σ_n w_n   (GBF averages)
//! ℓ_j  = q·k_j/√d + z_j                 p = softmax_j(ℓ)
//! out  = Σ_j p_j v_j + W·(c ⊙ Σ_j p_j B_j)
//! ```
//!
//! With G = ∂L/∂out and u = c ⊙ Wᵀ G: ∂L/∂v_j = p_j G, ∂L/∂W = G ⊗ (c ⊙ Σ_j p_j B_j),
//! val_j = v_j·G + u·B_j, ∂L/∂ℓ_j = p_j (val_j − Σ_k p_k val_k), ∂ℓ_j/∂q = k_j/√d,
//! ∂ℓ_j/∂k_j = q/√d, ∂z_j/∂a = ⟨δ⟩_j + d²min_j and ∂B_j/∂a = ⟨δ b⟩_j − ⟨δ⟩_j B_j, where
//! δ = d² − d²min and ⟨·⟩_j is the w-weighted image average. Frames and the image boxes
//! are piecewise constant in the inputs and carry no gradient (doc §4.1).
//!
//! The image sums ([`HeadSums`], with a second GBF accumulator weighted by δ) are those the
//! forward pass kept when it ran for training, or are computed again exactly as it computes
//! them (same lists, same order, same frames).

use crate::frames::Frames;
use crate::geometry::CrystalGeom;
use crate::kernel::{HeadSums, Inputs, LayerSpec, Neighbourhood, scores};

/// Gradients of one crystal's atoms (rows in the crystal's atom order).
#[derive(Clone, Debug)]
pub struct CrystalGrad {
    /// ∂L/∂q, ∂L/∂k, ∂L/∂v: (atoms, heads·head_dim) each.
    pub dq: Vec<f32>,
    pub dk: Vec<f32>,
    pub dv: Vec<f32>,
    /// ∂L/∂a: (atoms, heads).
    pub da: Vec<f32>,
    /// ∂L/∂W of the ψ projections: (heads, head_dim, pe_width).
    pub dw: Vec<f32>,
}

/// Backward pass for every atom of `geom`; `grad_out` is ∂L/∂out of the whole batch
/// (atoms × heads·head_dim). `kept` holds the forward pass's image sums per atom of the
/// crystal ([`crate::kernel::attend`] with `keep`); where they are missing (`None`, or an
/// empty slice) the images are visited again.
pub fn crystal_backward(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    input: &Inputs,
    grad_out: &[f32],
    kept: &[Option<Vec<HeadSums>>],
) -> CrystalGrad {
    let width = spec.heads * spec.head_dim;
    let n = geom.num_atoms();
    let mut g = CrystalGrad {
        dq: vec![0.0; n * width],
        dk: vec![0.0; n * width],
        dv: vec![0.0; n * width],
        da: vec![0.0; n * spec.heads],
        dw: vec![0.0; spec.heads * spec.head_dim * spec.pe_width()],
    };
    for i in 0..n {
        let go = &grad_out[(geom.offset + i) * width..][..width];
        let sums = kept.get(i).and_then(|s| s.as_deref());
        atom_backward(spec, frames, geom, i, input, go, sums, &mut g);
    }
    g
}

#[allow(clippy::too_many_arguments)]
fn atom_backward(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    grad_out: &[f32],
    kept: Option<&[HeadSums]>,
    g: &mut CrystalGrad,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { atom_backward_avx512(spec, frames, geom, i, input, grad_out, kept, g) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { atom_backward_avx2(spec, frames, geom, i, input, grad_out, kept, g) };
        }
    }
    atom_backward_generic(spec, frames, geom, i, input, grad_out, kept, g)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
#[allow(clippy::too_many_arguments)]
fn atom_backward_avx512(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    grad_out: &[f32],
    kept: Option<&[HeadSums]>,
    g: &mut CrystalGrad,
) {
    atom_backward_generic(spec, frames, geom, i, input, grad_out, kept, g)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn atom_backward_avx2(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    grad_out: &[f32],
    kept: Option<&[HeadSums]>,
    g: &mut CrystalGrad,
) {
    atom_backward_generic(spec, frames, geom, i, input, grad_out, kept, g)
}

/// Where one query atom's image sums come from in the backward pass.
enum Source<'k> {
    /// Kept by the forward pass, one per head.
    Kept(&'k [HeadSums]),
    /// Computed again, head by head, into the buffer.
    Visit(Box<Neighbourhood>, HeadSums),
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn atom_backward_generic(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    grad_out: &[f32],
    kept: Option<&[HeadSums]>,
    g: &mut CrystalGrad,
) {
    let (h_num, hd) = (spec.heads, spec.head_dim);
    let width = h_num * hd;
    let n = geom.num_atoms();
    let gi = geom.offset + i;
    let row = |part: usize, atom: usize| &input.qkv[(part * input.num_atoms + atom) * width..][..width];
    // Without the forward pass's sums, the same images, frames and sums again.
    let mut source = match kept.filter(|k| k.len() == h_num) {
        Some(k) => Source::Kept(k),
        None => Source::Visit(Box::new(Neighbourhood::new(spec, frames, geom, i, input)), HeadSums::default()),
    };

    let pe_w = spec.pe_width();
    let k_num = spec.dist.num;
    let coef = |m: usize| if m < k_num { spec.dist_coef } else { spec.angle_coef };
    let mut scores_ij = vec![0f32; n];
    let mut p = vec![0f32; n];
    let mut mixed = vec![0f32; pe_w];
    let mut u = vec![0f32; pe_w];
    let mut val = vec![0f32; n];
    let mut ub = vec![0f32; n];
    let scale = 1.0 / (hd as f32).sqrt();

    for h in 0..h_num {
        let a = input.a[gi * h_num + h];
        let q_raw = &row(0, gi)[h * hd..(h + 1) * hd];
        scores(spec, geom, i, h, input, &mut scores_ij);
        let s: &HeadSums = match &mut source {
            Source::Kept(k) => &k[h],
            Source::Visit(near, own) => {
                near.head_sums(spec, frames, geom, i, h, &scores_ij, true, own);
                own
            }
        };
        for (j, l) in p.iter_mut().enumerate() {
            *l = s.logit(j, scores_ij[j], a);
        }

        // Softmax over j, as in the forward pass.
        let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0f32;
        for l in p.iter_mut() {
            *l = (*l - max).exp();
            total += *l;
        }
        p.iter_mut().for_each(|x| *x /= total);

        let go = &grad_out[h * hd..(h + 1) * hd];
        let w_h = &input.pe_weight[h * hd * pe_w..(h + 1) * hd * pe_w];
        mixed.fill(0.0);
        for (j, &pj) in p.iter().enumerate() {
            mixed.iter_mut().zip(&s.feats[j * pe_w..(j + 1) * pe_w]).for_each(|(x, y)| *x += pj * y);
        }
        // ∂L/∂W_h[d][m] += G_d · c_m · M_m and u_m = c_m Σ_d W_h[d][m] G_d.
        u.fill(0.0);
        let dw_h = &mut g.dw[h * hd * pe_w..(h + 1) * hd * pe_w];
        for (d, &gd) in go.iter().enumerate() {
            let w_row = &w_h[d * pe_w..(d + 1) * pe_w];
            let dw_row = &mut dw_h[d * pe_w..(d + 1) * pe_w];
            for m in 0..pe_w {
                let c = coef(m);
                dw_row[m] += gd * c * mixed[m];
                u[m] += c * w_row[m] * gd;
            }
        }
        // val_j = v_j·G + u·B_j; ∂L/∂ℓ_j = p_j (val_j − Σ_k p_k val_k).
        let mut vbar = 0f32;
        for j in 0..n {
            let v = &row(2, geom.offset + j)[h * hd..(h + 1) * hd];
            ub[j] = u.iter().zip(&s.feats[j * pe_w..(j + 1) * pe_w]).map(|(x, y)| x * y).sum();
            val[j] = v.iter().zip(go).map(|(x, y)| x * y).sum::<f32>() + ub[j];
            vbar += p[j] * val[j];
        }
        let mut da = 0f32;
        let dq = &mut g.dq[i * width + h * hd..i * width + (h + 1) * hd];
        for j in 0..n {
            let dl = p[j] * (val[j] - vbar);
            let k = &row(1, geom.offset + j)[h * hd..(h + 1) * hd];
            dq.iter_mut().zip(k).for_each(|(x, y)| *x += dl * scale * y);
            let dk = &mut g.dk[j * width + h * hd..j * width + (h + 1) * hd];
            dk.iter_mut().zip(q_raw).for_each(|(x, y)| *x += dl * scale * y);
            let dv = &mut g.dv[j * width + h * hd..j * width + (h + 1) * hd];
            dv.iter_mut().zip(go).for_each(|(x, y)| *x += p[j] * y);
            let ufd: f32 = u.iter().zip(&s.feats_d[j * pe_w..(j + 1) * pe_w]).map(|(x, y)| x * y).sum();
            da += dl * (s.dbar[j] + s.d2min[j]) + p[j] * (ufd - s.dbar[j] * ub[j]);
        }
        g.da[i * h_num + h] += da;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{MaxFrames, NoFrames};
    use crate::gbf::{AngleGbf, DistanceGbf};
    use crate::geometry::{Batch, CrystalInput, RangeRule};
    use crate::kernel::attend;
    use crate::linalg::Rng;

    fn spec(with_angles: bool) -> LayerSpec {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity/crystalframer_max_default.config.json");
        let cfg = crate::Config::from_file(&path).unwrap();
        // Two small heads keep the finite-difference sweep quick; the formulas do not depend on it.
        LayerSpec {
            layer: 0,
            heads: 2,
            head_dim: 4,
            range: RangeRule::from_config(&cfg, 0),
            dist: DistanceGbf::new(&cfg, 0),
            angle: with_angles.then(|| AngleGbf::new(&cfg)),
            dist_coef: 1.0,
            angle_coef: 1.3,
            r0: cfg.r0(0),
            lb: cfg.gauss_lb_real,
            static_a: -0.255,
        }
    }

    /// L = Σ R ⊙ out in f64, out from the forward kernel.
    fn loss(spec: &LayerSpec, frames: &dyn Frames, batch: &Batch, qkv: &[f32], a: &[f32], w: &[f32], r: &[f32]) -> f64 {
        let width = spec.heads * spec.head_dim;
        let input = Inputs { qkv, num_atoms: batch.num_atoms, a, pe_weight: w };
        let mut total = 0f64;
        for geom in &batch.crystals {
            for i in 0..geom.num_atoms() {
                let mut out = vec![0f32; width];
                attend(spec, frames, geom, i, &input, &mut out, None, None);
                let rr = &r[(geom.offset + i) * width..][..width];
                total += out.iter().zip(rr).map(|(x, y)| *x as f64 * *y as f64).sum::<f64>();
            }
        }
        total
    }

    /// Central differences on a sample of every input against the analytic gradient.
    fn check(with_angles: bool, frames: &dyn Frames) {
        let spec = spec(with_angles);
        let (heads, hd) = (spec.heads, spec.head_dim);
        let width = heads * hd;
        let lattice = [[3.1, 0.2, 0.0], [0.4, 3.6, 0.1], [-0.3, 0.5, 4.2]];
        let c1 = CrystalInput::new(lattice, vec![8, 22, 38], vec![[0.1, 0.2, 0.3], [1.7, 1.9, 2.2], [0.4, 2.6, 3.1]]);
        let c2 = CrystalInput::new([[2.9, 0.0, 0.0], [0.3, 3.3, 0.0], [0.2, -0.4, 3.8]], vec![11, 17], vec![[0.0; 3], [1.4, 1.5, 1.7]]);
        let batch = Batch::new(&[c1, c2]).unwrap();
        let atoms = batch.num_atoms;
        let mut rng = Rng::new(11, &[]);
        let mut qkv: Vec<f32> = (0..3 * atoms * width).map(|_| rng.uniform() - 0.5).collect();
        let mut a: Vec<f32> = (0..atoms * heads).map(|_| -0.2 - 0.2 * rng.uniform()).collect();
        let mut w: Vec<f32> = (0..heads * hd * spec.pe_width()).map(|_| 0.5 * (rng.uniform() - 0.5)).collect();
        let r: Vec<f32> = (0..atoms * width).map(|_| rng.uniform() - 0.5).collect();

        let input = Inputs { qkv: &qkv, num_atoms: atoms, a: &a, pe_weight: &w };
        let grads: Vec<CrystalGrad> = batch.crystals.iter().map(|geom| crystal_backward(&spec, frames, geom, &input, &r, &[])).collect();
        let mut dqkv = vec![0f32; 3 * atoms * width];
        let mut da = vec![0f32; atoms * heads];
        let mut dw = vec![0f32; w.len()];
        for (geom, gr) in batch.crystals.iter().zip(&grads) {
            let n = geom.num_atoms();
            for (part, src) in [&gr.dq, &gr.dk, &gr.dv].into_iter().enumerate() {
                dqkv[(part * atoms + geom.offset) * width..][..n * width].copy_from_slice(src);
            }
            da[geom.offset * heads..][..n * heads].copy_from_slice(&gr.da);
            dw.iter_mut().zip(&gr.dw).for_each(|(x, y)| *x += y);
        }

        let mut worst = 0f64;
        let mut checked = 0;
        let mut probe = |name: &str, idx: usize, analytic: f32, eps: f32, get: &mut dyn FnMut(f32) -> f64| {
            let fd = (get(eps) - get(-eps)) / (2.0 * eps as f64);
            let err = (fd - analytic as f64).abs() / (2e-3 + 1e-2 * fd.abs().max(analytic.abs() as f64) * 1.0);
            assert!(err <= 1.0, "{name}[{idx}]: finite difference {fd:.6e} vs analytic {analytic:.6e}");
            worst = worst.max(err);
            checked += 1;
        };
        let eps = 2e-3;
        for idx in (0..qkv.len()).step_by(3) {
            let base = qkv[idx];
            probe("qkv", idx, dqkv[idx], eps, &mut |e| {
                qkv[idx] = base + e;
                let l = loss(&spec, frames, &batch, &qkv, &a, &w, &r);
                qkv[idx] = base;
                l
            });
        }
        for idx in 0..a.len() {
            let base = a[idx];
            probe("a", idx, da[idx], 5e-4, &mut |e| {
                a[idx] = base + e;
                let l = loss(&spec, frames, &batch, &qkv, &a, &w, &r);
                a[idx] = base;
                l
            });
        }
        for idx in (0..w.len()).step_by(7) {
            let base = w[idx];
            probe("pe_weight", idx, dw[idx], eps, &mut |e| {
                w[idx] = base + e;
                let l = loss(&spec, frames, &batch, &qkv, &a, &w, &r);
                w[idx] = base;
                l
            });
        }
        assert!(checked > 100);
        assert!(dw.iter().any(|x| *x != 0.0) && da.iter().all(|x| x.is_finite()));
    }

    /// The forward pass's kept sums give the gradient that visiting the images again gives,
    /// bit for bit, with and without frames; the forward output does not change either.
    #[test]
    fn kept_sums_give_the_recomputed_gradient_bit_for_bit() {
        for (with_angles, frames) in [(true, &MaxFrames::dynamic(0.0, 0) as &dyn Frames), (false, &NoFrames)] {
            let spec = spec(with_angles);
            let width = spec.heads * spec.head_dim;
            let c1 = CrystalInput::new([[3.1, 0.2, 0.0], [0.4, 3.6, 0.1], [-0.3, 0.5, 4.2]], vec![8, 22, 38], vec![[0.1, 0.2, 0.3], [1.7, 1.9, 2.2], [0.4, 2.6, 3.1]]);
            let batch = Batch::new(&[c1]).unwrap();
            let atoms = batch.num_atoms;
            let mut rng = Rng::new(5, &[]);
            let qkv: Vec<f32> = (0..3 * atoms * width).map(|_| rng.uniform() - 0.5).collect();
            let a: Vec<f32> = (0..atoms * spec.heads).map(|_| -0.2 - 0.2 * rng.uniform()).collect();
            let w: Vec<f32> = (0..width * spec.pe_width()).map(|_| 0.5 * (rng.uniform() - 0.5)).collect();
            let r: Vec<f32> = (0..atoms * width).map(|_| rng.uniform() - 0.5).collect();
            let input = Inputs { qkv: &qkv, num_atoms: atoms, a: &a, pe_weight: &w };
            let geom = &batch.crystals[0];
            let mut kept = Vec::new();
            for i in 0..atoms {
                let (mut plain, mut keeping) = (vec![0f32; width], vec![0f32; width]);
                let mut sums = Vec::new();
                attend(&spec, frames, geom, i, &input, &mut plain, None, None);
                attend(&spec, frames, geom, i, &input, &mut keeping, None, Some(&mut sums));
                assert_eq!(plain, keeping);
                assert_eq!(sums.len(), spec.heads);
                kept.push(Some(sums));
            }
            let fresh = crystal_backward(&spec, frames, geom, &input, &r, &[]);
            let reused = crystal_backward(&spec, frames, geom, &input, &r, &kept);
            assert_eq!((&fresh.dq, &fresh.dk, &fresh.dv), (&reused.dq, &reused.dk, &reused.dv));
            assert_eq!((&fresh.da, &fresh.dw), (&reused.da, &reused.dw));
            assert!(fresh.dw.iter().any(|x| *x != 0.0));
            // The kept sums are the ones used.
            let mut altered = kept.clone();
            if let Some(Some(heads)) = altered.first_mut() {
                heads[0].dbar[0] += 1.0;
            }
            assert_ne!(fresh.da, crystal_backward(&spec, frames, geom, &input, &r, &altered).da);
        }
    }

    #[test]
    fn gradient_matches_finite_differences_with_max_frames() {
        check(true, &MaxFrames::dynamic(0.0, 0));
    }

    #[test]
    fn gradient_matches_finite_differences_without_frames() {
        check(false, &NoFrames);
    }
    /// The whole model through candle's autograd and the op's `bwd`: every parameter kind
    /// (embedding, q/k/v — q also through the decay a —, ψ projections, w_pos, FFN, head)
    /// against central differences of the prediction sum.
    fn check_model(frame_method: &str) {
        use crate::geometry::Batch;
        use crate::model::CrystalFramer;
        use crate::train::SeededInit;
        use candle_core::{DType, Device, Tensor};
        use candle_nn::{VarBuilder, VarMap};
        use std::sync::Arc;
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity/crystalframer_max_default.config.json");
        let mut cfg = crate::Config::from_file(&path).unwrap();
        (cfg.num_layers, cfg.model_dim, cfg.head_num, cfg.ff_dim, cfg.embedding_dim) = (2, 8, 2, 16, vec![8]);
        (cfg.value_pe_angle_real, cfg.value_pe_angle_wscale, cfg.frame_method) = (8, 1.0, frame_method.to_string());
        let vars = VarMap::new();
        let vb = VarBuilder::from_backend(Box::new(SeededInit { vars: vars.clone(), seed: 3 }), DType::F32, Device::Cpu);
        let mut net = CrystalFramer::load(vb, &cfg).unwrap();
        let c1 = CrystalInput::new([[3.1, 0.2, 0.0], [0.4, 3.6, 0.1], [-0.3, 0.5, 4.2]], vec![8, 22, 38], vec![[0.1, 0.2, 0.3], [1.7, 1.9, 2.2], [0.4, 2.6, 3.1]]);
        let c2 = CrystalInput::new([[2.9, 0.0, 0.0], [0.3, 3.3, 0.0], [0.2, -0.4, 3.8]], vec![11, 17], vec![[0.0; 3], [1.4, 1.5, 1.7]]);
        let batch = Arc::new(Batch::new(&[c1, c2]).unwrap());
        net.calibrate_gauss_scales(&batch).unwrap();
        let loss = |net: &CrystalFramer| -> Tensor { (net.forward(&batch).unwrap() * Tensor::new(&[[1.0f32], [-0.7]], &Device::Cpu).unwrap()).unwrap().sum_all().unwrap() };
        let grads = loss(&net).backward().unwrap();
        let all = vars.data().lock().unwrap().clone();
        let mut names: Vec<&String> = all.keys().filter(|k| !k.ends_with("gauss_scale") && !k.ends_with("atten_scale")).collect();
        names.sort();
        let mut checked = 0;
        for name in names {
            let var = &all[name];
            let analytic = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("no gradient for {name}"));
            let analytic = analytic.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let base = var.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let shape = var.shape().clone();
            let step = (base.len() / 5).max(1);
            for idx in (0..base.len()).step_by(step) {
                let value = |e: f32| {
                    let mut w = base.clone();
                    w[idx] += e;
                    var.set(&Tensor::from_vec(w, shape.clone(), &Device::Cpu).unwrap()).unwrap();
                    loss(&net).to_scalar::<f32>().unwrap() as f64
                };
                let a = analytic[idx] as f64;
                // Two step sizes: the larger one is less noisy in float32, the smaller one does
                // not step across a ReLU kink of the feed-forward layers; a wrong gradient
                // fails both.
                let fds: Vec<f64> = [1e-2f32, 1e-3].iter().map(|&eps| (value(eps) - value(-eps)) / (2.0 * eps as f64)).collect();
                var.set(&Tensor::from_vec(base.clone(), shape.clone(), &Device::Cpu).unwrap()).unwrap();
                let ok = |fd: f64| (fd - a).abs() <= 2e-3 + 3e-2 * fd.abs().max(a.abs());
                assert!(fds.iter().any(|&fd| ok(fd)), "{name}[{idx}]: finite differences {fds:?} vs analytic {a:.5e}");
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn model_gradient_matches_finite_differences_with_max_frames() {
        check_model("max");
    }

    #[test]
    fn model_gradient_matches_finite_differences_without_frames() {
        check_model("no");
    }
}
