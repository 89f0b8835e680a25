//! The periodic attention of one query atom, all heads (doc §3.3–§3.6): image boxes, the
//! log-sum-exp distance bias z_ij, the value position encoding ψ_ij averaged over images,
//! the softmax over the atoms of the crystal and the weighted sum of values.
//!
//! Work per (atom, head): for every atom j of the crystal, one pass over the box's images for
//! d²min and one accumulating the Gaussian weights w_n = exp(a(d² − d²min)) and the windowed
//! GBF sums. The projection W·(·) of ψ is linear, so instead of projecting every edge the
//! GBF sums are first averaged with the attention weights p_ij and projected once per head:
//! Σ_j p_ij ψ_ij = W·(Σ_j p_ij B_ij).

use crate::frames::{Frame, FrameQuery, Frames, SELF_D2, for_each_image};
use crate::gbf::{AngleGbf, DistanceGbf};
use crate::geometry::{CrystalGeom, RangeRule};
use crate::linalg::{V3, dot};

/// Images with w_n < e^-LOG_SKIP (relative to the nearest image, whose weight is 1) are left
/// out of the sums: they change z and ψ by < 1e-13 relative.
const LOG_SKIP: f32 = 30.0;

/// Everything about a layer the kernel needs besides the tensors.
#[derive(Clone, Debug)]
pub struct LayerSpec {
    pub layer: usize,
    pub heads: usize,
    pub head_dim: usize,
    pub range: RangeRule,
    pub dist: DistanceGbf,
    /// `None` without frames (the baseline) or without angle Gaussians.
    pub angle: Option<AngleGbf>,
    /// c_dist and c_angl of doc §3.5.
    pub dist_coef: f32,
    pub angle_coef: f32,
    /// r0 (Å) and lb: bound the largest image box any query can get.
    pub r0: f64,
    pub lb: f64,
    /// Head-independent decay −1/(2 r0²) used by static frames.
    pub static_a: f32,
}

impl LayerSpec {
    /// Width of the concatenated GBF features: K distance + 3·A angle Gaussians.
    pub fn pe_width(&self) -> usize {
        self.dist.num + self.angle.as_ref().map_or(0, |a| 3 * a.num)
    }
}

/// Views of the op inputs for one crystal.
pub struct Inputs<'a> {
    /// q, k, v of the whole batch: (3, atoms, heads·head_dim).
    pub qkv: &'a [f32],
    pub num_atoms: usize,
    /// a (atoms, heads).
    pub a: &'a [f32],
    /// Projections (heads, head_dim, pe_width): W_dist | W_angle1 | W_angle2 | W_angle3.
    pub pe_weight: &'a [f32],
}

/// Per-atom intermediates recorded for parity checks.
#[derive(Clone, Debug, Default)]
pub struct AtomRecord {
    /// z_ij per (j, head).
    pub z: Vec<f32>,
    /// ψ_ij per (j, head, head_dim), coefficients included.
    pub psi: Vec<f32>,
    /// Frame per head (9 numbers, rows f1 f2 f3), NaN when the method has none.
    pub frames: Vec<f32>,
}

/// Computes the attention output (heads·head_dim, before out_proj) of atom `i` of `geom`.
pub fn attend(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    out: &mut [f32],
    mut record: Option<&mut AtomRecord>,
) {
    let (h_num, hd) = (spec.heads, spec.head_dim);
    let width = h_num * hd;
    let n = geom.num_atoms();
    let g = geom.offset + i;
    let row = |part: usize, atom: usize| &input.qkv[(part * input.num_atoms + atom) * width..][..width];
    let pi = geom.positions[i];
    let rel: Vec<V3> = geom.positions.iter().map(|p| [p[0] - pi[0], p[1] - pi[1], p[2] - pi[2]]).collect();
    let worst = spec.range.worst_case(geom, spec.r0, spec.lb);
    let clamp = |r: [i32; 3]| [r[0].min(worst[0]), r[1].min(worst[1]), r[2].min(worst[2])];

    let static_frame = if frames.per_head() || spec.angle.is_none() {
        None
    } else {
        let zeros = vec![0f32; n];
        let query = FrameQuery {
            geom,
            i,
            rel: &rel,
            range: clamp(spec.range.range(geom, spec.static_a)),
            a: spec.static_a,
            scores: &zeros,
            stream: [spec.layer as u64, i as u64, 0],
        };
        frames.frame(&query)
    };

    let pe_w = spec.pe_width();
    let k_num = spec.dist.num;
    let a_num = spec.angle.as_ref().map_or(0, |a| a.num);
    // Per j: the image-averaged GBF sums B_ij (distance, then three angle blocks).
    let mut feats = vec![0f32; n * pe_w];
    let mut scores = vec![0f32; n];
    let mut logits = vec![0f32; n];
    let mut mixed = vec![0f32; pe_w];
    if let Some(rec) = record.as_deref_mut() {
        rec.z = vec![0.0; n * h_num];
        rec.psi = vec![0.0; n * h_num * hd];
        rec.frames = vec![f32::NAN; h_num * 9];
    }

    for h in 0..h_num {
        let a = input.a[g * h_num + h];
        let range = clamp(spec.range.range(geom, a));
        // s_ij = (q_i/√d)·k_j: the reference scales q first (doc §3.6).
        let q: Vec<f32> = row(0, g)[h * hd..(h + 1) * hd].iter().map(|x| x / (hd as f32).sqrt()).collect();
        for (j, s) in scores.iter_mut().enumerate() {
            let k = &row(1, geom.offset + j)[h * hd..(h + 1) * hd];
            *s = q.iter().zip(k).map(|(x, y)| x * y).sum();
        }
        let frame: Option<Frame> = match spec.angle {
            None => None,
            Some(_) if frames.per_head() => frames.frame(&FrameQuery {
                geom,
                i,
                rel: &rel,
                range,
                a,
                scores: &scores,
                stream: [spec.layer as u64, i as u64, h as u64],
            }),
            Some(_) => static_frame,
        };

        feats.fill(0.0);
        for j in 0..n {
            let f = &mut feats[j * pe_w..(j + 1) * pe_w];
            let (dist_acc, angle_acc) = f.split_at_mut(k_num);
            let mut d2min = f32::INFINITY;
            for_each_image(rel[j], &geom.lattice, range, |_, _, d2| d2min = d2min.min(d2));
            let mut sumw = 0f32;
            for_each_image(rel[j], &geom.lattice, range, |_, r, d2| {
                let arg = a * (d2 - d2min);
                if arg < -LOG_SKIP {
                    return;
                }
                let w = arg.exp();
                sumw += w;
                let d = d2.sqrt();
                spec.dist.accumulate(d, w, dist_acc);
                if let (Some(fr), Some(gbf)) = (&frame, &spec.angle) {
                    // The self image has no direction (the kernel's cos = 1e3 adds nothing).
                    if d2 > SELF_D2 {
                        let inv = 1.0 / d;
                        for (t, acc) in angle_acc.chunks_exact_mut(a_num).enumerate() {
                            gbf.accumulate(dot(r, fr[t]) * inv, w, acc);
                        }
                    }
                }
            });
            // z = log Σ exp(a(d² − d²min)) + a·d²min (doc §3.4); B_ij = Σ w b / Σ w.
            logits[j] = scores[j] + sumw.ln() + a * d2min;
            let inv = 1.0 / sumw;
            f.iter_mut().for_each(|x| *x *= inv);
            if let Some(rec) = record.as_deref_mut() {
                rec.z[j * h_num + h] = sumw.ln() + a * d2min;
            }
        }

        // Softmax over the atoms of the crystal (doc §3.6).
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut total = 0f32;
        for l in logits.iter_mut() {
            *l = (*l - max).exp();
            total += *l;
        }
        logits.iter_mut().for_each(|p| *p /= total);

        // out_h = Σ_j p_ij v_j + W_h · (coef ⊙ Σ_j p_ij B_ij).
        let o = &mut out[h * hd..(h + 1) * hd];
        o.fill(0.0);
        mixed.fill(0.0);
        for (j, p) in logits.iter().enumerate() {
            let v = &row(2, geom.offset + j)[h * hd..(h + 1) * hd];
            o.iter_mut().zip(v).for_each(|(x, y)| *x += p * y);
            mixed.iter_mut().zip(&feats[j * pe_w..(j + 1) * pe_w]).for_each(|(x, y)| *x += p * y);
        }
        let w_h = &input.pe_weight[h * hd * pe_w..(h + 1) * hd * pe_w];
        project(spec, w_h, &mixed, o);

        if let Some(rec) = record.as_deref_mut() {
            for j in 0..n {
                let psi = &mut rec.psi[(j * h_num + h) * hd..][..hd];
                psi.fill(0.0);
                project(spec, w_h, &feats[j * pe_w..(j + 1) * pe_w], psi);
            }
            if let Some(fr) = frame {
                for (t, axis) in fr.iter().enumerate() {
                    rec.frames[h * 9 + t * 3..h * 9 + t * 3 + 3].copy_from_slice(axis);
                }
            }
        }
    }
}

/// `out += c_dist·W_dist·B_dist + c_angl·Σ_t W_t·B_t` for one head; `w` is (head_dim, pe_width).
fn project(spec: &LayerSpec, w: &[f32], feats: &[f32], out: &mut [f32]) {
    let pe_w = feats.len();
    let k_num = spec.dist.num;
    for (d, o) in out.iter_mut().enumerate() {
        let w_row = &w[d * pe_w..(d + 1) * pe_w];
        let dist: f32 = w_row[..k_num].iter().zip(&feats[..k_num]).map(|(x, y)| x * y).sum();
        let angle: f32 = w_row[k_num..].iter().zip(&feats[k_num..]).map(|(x, y)| x * y).sum();
        *o += spec.dist_coef * dist + spec.angle_coef * angle;
    }
}
