//! The periodic attention of one query atom, all heads (doc §3.3–§3.6): image boxes, the
//! log-sum-exp distance bias z_ij, the value position encoding ψ_ij averaged over images,
//! the softmax over the atoms of the crystal and the weighted sum of values.
//!
//! Work per (atom, head): for every atom j of the crystal, one pass over the box's images for
//! d²min and one accumulating the Gaussian weights w_n = exp(a(d² − d²min)) and the windowed
//! GBF sums. The projection W·(·) of ψ is linear, so instead of projecting every edge the
//! GBF sums are first averaged with the attention weights p_ij and projected once per head:
//! Σ_j p_ij ψ_ij = W·(Σ_j p_ij B_ij).

use crate::frames::{Frame, FrameQuery, Frames, NearImages, SELF_D2, inside};
use crate::gbf::{AngleGbf, DistanceGbf};
use crate::geometry::{CrystalGeom, RangeRule};
use crate::linalg::{V3, dot};

/// Images with w_n < e^-LOG_SKIP (relative to the nearest image, whose weight is 1) are left
/// out of the sums: each changes z and the GBF averages by < 1.4e-11 relative.
pub(crate) const LOG_SKIP: f32 = 25.0;

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

/// The image sums of one (query atom i, head) against every atom j of its crystal (doc
/// §3.4–§3.5), with w_n = exp(a·δ_n) and δ_n = d²_n − d²min: everything the attention and
/// its gradient need from the periodic images.
#[derive(Clone, Debug, Default)]
pub struct HeadSums {
    /// B_ij = Σ_n w_n b_n / Σ_n w_n, (j, pe_width): distance Gaussians, then 3 angle blocks.
    pub feats: Vec<f32>,
    /// ⟨δ b⟩_ij = Σ_n w_n δ_n b_n / Σ_n w_n, (j, pe_width); empty unless the gradient is wanted.
    pub feats_d: Vec<f32>,
    /// ⟨δ⟩_ij (Å²); empty unless the gradient is wanted.
    pub dbar: Vec<f32>,
    /// d²min_ij (Å²) of the head's image box.
    pub d2min: Vec<f32>,
    /// ln Σ_n w_n, so that z_ij = ln Σ_n w_n + a·d²min_ij.
    pub lnw: Vec<f32>,
}

impl HeadSums {
    /// Floats held for a crystal of `n` atoms, per (atom, head), with the gradient sums.
    pub fn floats(n: usize, pe_width: usize) -> usize {
        n * (2 * pe_width + 3)
    }

    /// Logit ℓ_ij = s_ij + z_ij of the softmax over j (doc §3.6).
    #[inline(always)]
    pub(crate) fn logit(&self, j: usize, score: f32, a: f32) -> f32 {
        score + self.lnw[j] + a * self.d2min[j]
    }
}

/// What query atom i sees of its crystal, shared by its heads: relative positions, each
/// head's image box, the images that can matter for any head (see [`NearImages`]) and the
/// static frame.
pub(crate) struct Neighbourhood {
    rel: Vec<V3>,
    static_frame: Option<Frame>,
    /// a per head (Å⁻²).
    pub a: Vec<f32>,
    ranges: Vec<[i32; 3]>,
    near: Vec<NearImages>,
}

impl Neighbourhood {
    #[inline(always)]
    pub(crate) fn new(spec: &LayerSpec, frames: &dyn Frames, geom: &CrystalGeom, i: usize, input: &Inputs) -> Self {
        let h_num = spec.heads;
        let n = geom.num_atoms();
        let g = geom.offset + i;
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
                near: None,
            };
            frames.frame(&query)
        };
        let a: Vec<f32> = (0..h_num).map(|h| input.a[g * h_num + h]).collect();
        let ranges: Vec<[i32; 3]> = a.iter().map(|&a| clamp(spec.range.range(geom, a))).collect();
        let rmax = ranges.iter().fold([0; 3], |m, r| [m[0].max(r[0]), m[1].max(r[1]), m[2].max(r[2])]);
        let a_least = a.iter().fold(f32::NEG_INFINITY, |m, &a| m.max(a));
        let reach2 = if a_least < 0.0 { LOG_SKIP / -a_least } else { f32::INFINITY };
        let mut near = vec![NearImages::default(); n];
        for (j, list) in near.iter_mut().enumerate() {
            NearImages::collect(rel[j], &geom.lattice, rmax, reach2, list);
        }
        Neighbourhood { rel, static_frame, a, ranges, near }
    }

    /// The frame and image sums of head `h` given its scores s_ij; with `grad`, also the
    /// δ-weighted sums of the backward pass. One pass over the images serves both.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn head_sums(
        &self,
        spec: &LayerSpec,
        frames: &dyn Frames,
        geom: &CrystalGeom,
        i: usize,
        h: usize,
        scores: &[f32],
        grad: bool,
        s: &mut HeadSums,
    ) -> Option<Frame> {
        let n = geom.num_atoms();
        let (a, range) = (self.a[h], self.ranges[h]);
        let frame: Option<Frame> = match spec.angle {
            None => None,
            Some(_) if frames.per_head() => frames.frame(&FrameQuery {
                geom,
                i,
                rel: &self.rel,
                range,
                a,
                scores,
                stream: [spec.layer as u64, i as u64, h as u64],
                near: Some(&self.near),
            }),
            Some(_) => self.static_frame,
        };
        let pe_w = spec.pe_width();
        let k_num = spec.dist.num;
        let a_num = spec.angle.as_ref().map_or(0, |a| a.num);
        let d_w = if grad { pe_w } else { 0 };
        s.feats.clear();
        s.feats.resize(n * pe_w, 0.0);
        s.feats_d.clear();
        s.feats_d.resize(n * d_w, 0.0);
        s.dbar.clear();
        s.d2min.clear();
        s.lnw.clear();
        for j in 0..n {
            let f = &mut s.feats[j * pe_w..(j + 1) * pe_w];
            let fd = &mut s.feats_d[j * d_w..(j + 1) * d_w];
            let (dist_acc, angle_acc) = f.split_at_mut(k_num);
            let (dist_acc_d, angle_acc_d) = fd.split_at_mut(k_num.min(d_w));
            let mut sumw = 0f32;
            let mut sumwd = 0f32;
            // One image's contribution: w = exp(a·δ) and the windowed GBF sums (and δ·w·b).
            macro_rules! add_image {
                ($r:expr, $d2:expr, $d2min:expr) => {{
                    let (r, d2): (V3, f32) = ($r, $d2);
                    let delta = d2 - $d2min;
                    let w = (a * delta).exp();
                    sumw += w;
                    let d = d2.sqrt();
                    if grad {
                        let wd = w * delta;
                        sumwd += wd;
                        spec.dist.accumulate2(d, [w, wd], [&mut *dist_acc, &mut *dist_acc_d]);
                    } else {
                        spec.dist.accumulate(d, w, dist_acc);
                    }
                    if let (Some(fr), Some(gbf)) = (&frame, &spec.angle) {
                        // The self image has no direction (the kernel's cos = 1e3 adds nothing).
                        if d2 > SELF_D2 {
                            let inv = 1.0 / d;
                            for t in 0..3 {
                                let c = dot(r, fr[t]) * inv;
                                let part = t * a_num..(t + 1) * a_num;
                                if grad {
                                    gbf.accumulate2(c, [w, w * delta], [&mut angle_acc[part.clone()], &mut angle_acc_d[part]]);
                                } else {
                                    gbf.accumulate(c, w, &mut angle_acc[part]);
                                }
                            }
                        }
                    }
                }};
            }
            let d2min;
            let near = &self.near[j];
            if near.nearest_within(range) {
                // The box's nearest image is the overall nearest, and every image with
                // w ≥ e^-LOG_SKIP is in the list (in loop order: same sums as a full scan).
                d2min = near.d2min;
                let d2_skip = d2min + LOG_SKIP / -a;
                for &(r, d2, nn) in &near.images {
                    if d2 <= d2_skip && inside(nn, range) {
                        add_image!(r, d2, d2min);
                    }
                }
            } else {
                let mut m = f32::INFINITY;
                for_images!(self.rel[j], &geom.lattice, range, |_r, d2| {
                    m = m.min(d2);
                });
                d2min = m;
                // Images beyond this squared distance have w < e^-LOG_SKIP.
                let d2_skip = d2min + LOG_SKIP / -a;
                for_images!(self.rel[j], &geom.lattice, range, |r, d2| {
                    if d2 <= d2_skip {
                        add_image!(r, d2, d2min);
                    }
                });
            }
            // z = log Σ exp(a(d² − d²min)) + a·d²min (doc §3.4); B_ij = Σ w b / Σ w.
            let inv = 1.0 / sumw;
            f.iter_mut().for_each(|x| *x *= inv);
            fd.iter_mut().for_each(|x| *x *= inv);
            if grad {
                s.dbar.push(sumwd * inv);
            }
            s.d2min.push(d2min);
            s.lnw.push(sumw.ln());
        }
        frame
    }
}

/// s_ij = (q_i/√d)·k_j for every atom j of the crystal: the reference scales q first (doc §3.6).
#[inline(always)]
pub(crate) fn scores(spec: &LayerSpec, geom: &CrystalGeom, i: usize, h: usize, input: &Inputs, out: &mut [f32]) {
    let hd = spec.head_dim;
    let width = spec.heads * hd;
    let row = |part: usize, atom: usize| &input.qkv[(part * input.num_atoms + atom) * width..][..width];
    let q: Vec<f32> = row(0, geom.offset + i)[h * hd..(h + 1) * hd].iter().map(|x| x / (hd as f32).sqrt()).collect();
    for (j, s) in out.iter_mut().enumerate() {
        let k = &row(1, geom.offset + j)[h * hd..(h + 1) * hd];
        *s = q.iter().zip(k).map(|(x, y)| x * y).sum();
    }
}

/// Computes the attention output (heads·head_dim, before out_proj) of atom `i` of `geom`.
/// With `keep`, also returns each head's image sums with the gradient sums, so that the
/// backward pass need not visit the images again ([`crate::gradient`]).
///
/// The GBF loops are written to vectorise; on x86-64 the function is compiled a second and a
/// third time for AVX2 and AVX-512 and picked at run time. Every operation in those loops is
/// element-wise (no reassociated sums), so all versions give bit-identical results.
#[allow(clippy::too_many_arguments)]
pub fn attend(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    out: &mut [f32],
    record: Option<&mut AtomRecord>,
    keep: Option<&mut Vec<HeadSums>>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { attend_avx512(spec, frames, geom, i, input, out, record, keep) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { attend_avx2(spec, frames, geom, i, input, out, record, keep) };
        }
    }
    attend_generic(spec, frames, geom, i, input, out, record, keep)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
#[allow(clippy::too_many_arguments)]
fn attend_avx512(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    out: &mut [f32],
    record: Option<&mut AtomRecord>,
    keep: Option<&mut Vec<HeadSums>>,
) {
    attend_generic(spec, frames, geom, i, input, out, record, keep)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
fn attend_avx2(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    out: &mut [f32],
    record: Option<&mut AtomRecord>,
    keep: Option<&mut Vec<HeadSums>>,
) {
    attend_generic(spec, frames, geom, i, input, out, record, keep)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn attend_generic(
    spec: &LayerSpec,
    frames: &dyn Frames,
    geom: &CrystalGeom,
    i: usize,
    input: &Inputs,
    out: &mut [f32],
    mut record: Option<&mut AtomRecord>,
    mut keep: Option<&mut Vec<HeadSums>>,
) {
    let (h_num, hd) = (spec.heads, spec.head_dim);
    let width = h_num * hd;
    let n = geom.num_atoms();
    let row = |part: usize, atom: usize| &input.qkv[(part * input.num_atoms + atom) * width..][..width];
    let near = Neighbourhood::new(spec, frames, geom, i, input);
    let pe_w = spec.pe_width();
    let mut sums = HeadSums::default();
    let mut scores_ij = vec![0f32; n];
    let mut logits = vec![0f32; n];
    let mut mixed = vec![0f32; pe_w];
    if let Some(rec) = record.as_deref_mut() {
        rec.z = vec![0.0; n * h_num];
        rec.psi = vec![0.0; n * h_num * hd];
        rec.frames = vec![f32::NAN; h_num * 9];
    }

    for h in 0..h_num {
        let a = near.a[h];
        scores(spec, geom, i, h, input, &mut scores_ij);
        let frame = near.head_sums(spec, frames, geom, i, h, &scores_ij, keep.is_some(), &mut sums);
        for (j, l) in logits.iter_mut().enumerate() {
            *l = sums.logit(j, scores_ij[j], a);
        }
        if let Some(rec) = record.as_deref_mut() {
            for j in 0..n {
                rec.z[j * h_num + h] = sums.lnw[j] + a * sums.d2min[j];
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
            mixed.iter_mut().zip(&sums.feats[j * pe_w..(j + 1) * pe_w]).for_each(|(x, y)| *x += p * y);
        }
        let w_h = &input.pe_weight[h * hd * pe_w..(h + 1) * hd * pe_w];
        project(spec, w_h, &mixed, o);

        if let Some(rec) = record.as_deref_mut() {
            for j in 0..n {
                let psi = &mut rec.psi[(j * h_num + h) * hd..][..hd];
                psi.fill(0.0);
                project(spec, w_h, &sums.feats[j * pe_w..(j + 1) * pe_w], psi);
            }
            if let Some(fr) = frame {
                for (t, axis) in fr.iter().enumerate() {
                    rec.frames[h * 9 + t * 3..h * 9 + t * 3 + 3].copy_from_slice(axis);
                }
            }
        }
        if let Some(kept) = keep.as_deref_mut() {
            kept.push(std::mem::take(&mut sums));
        }
    }
}

/// `out += c_dist·W_dist·B_dist + c_angl·Σ_t W_t·B_t` for one head; `w` is (head_dim, pe_width).
pub(crate) fn project(spec: &LayerSpec, w: &[f32], feats: &[f32], out: &mut [f32]) {
    let pe_w = feats.len();
    let k_num = spec.dist.num;
    for (d, o) in out.iter_mut().enumerate() {
        let w_row = &w[d * pe_w..(d + 1) * pe_w];
        let dist: f32 = w_row[..k_num].iter().zip(&feats[..k_num]).map(|(x, y)| x * y).sum();
        let angle: f32 = w_row[k_num..].iter().zip(&feats[k_num..]).map(|(x, y)| x * y).sum();
        *o += spec.dist_coef * dist + spec.angle_coef * angle;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::MaxFrames;
    use crate::geometry::{Batch, CrystalInput};
    use crate::linalg::Rng;

    /// The SIMD variants picked at run time compute exactly what the portable code does.
    #[test]
    fn simd_variants_are_bit_identical_to_the_portable_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity/crystalframer_max_default.config.json");
        let cfg = crate::Config::from_file(&path).unwrap();
        let (heads, hd) = (cfg.head_num, cfg.head_dim());
        let spec = LayerSpec {
            layer: 0,
            heads,
            head_dim: hd,
            range: RangeRule::from_config(&cfg, 0),
            dist: DistanceGbf::new(&cfg, 0),
            angle: Some(AngleGbf::new(&cfg)),
            dist_coef: 1.0,
            angle_coef: 1.0,
            r0: cfg.r0(0),
            lb: cfg.gauss_lb_real,
            static_a: -0.255,
        };
        let lattice = [[3.1, 0.2, 0.0], [0.4, 3.6, 0.1], [-0.3, 0.5, 4.2]];
        let crystal = CrystalInput::new(lattice, vec![8, 22, 38], vec![[0.1, 0.2, 0.3], [1.7, 1.9, 2.2], [0.4, 2.6, 3.1]]);
        let batch = Batch::new(&[crystal]).unwrap();
        let mut rng = Rng::new(3, &[]);
        let atoms = batch.num_atoms;
        let qkv: Vec<f32> = (0..3 * atoms * heads * hd).map(|_| rng.uniform() - 0.5).collect();
        let a: Vec<f32> = (0..atoms * heads).map(|_| -0.2 - 0.2 * rng.uniform()).collect();
        let w: Vec<f32> = (0..heads * hd * spec.pe_width()).map(|_| 0.2 * (rng.uniform() - 0.5)).collect();
        let input = Inputs { qkv: &qkv, num_atoms: atoms, a: &a, pe_weight: &w };
        let frames = MaxFrames::dynamic(0.0, 0);
        for i in 0..atoms {
            let (mut fast, mut portable) = (vec![0f32; heads * hd], vec![0f32; heads * hd]);
            attend(&spec, &frames, &batch.crystals[0], i, &input, &mut fast, None, None);
            attend_generic(&spec, &frames, &batch.crystals[0], i, &input, &mut portable, None, None);
            assert!(portable.iter().all(|x| x.is_finite()));
            assert_eq!(fast, portable, "atom {i}");
        }
    }
}
