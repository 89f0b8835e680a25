//! Gaussian basis functions of the value position encoding ψ (doc §3.5), with the reference
//! kernels' ±4σ window truncation: only the Gaussians whose centre lies within about 4σ of
//! the argument are accumulated, the rest count as exactly zero. Ignoring the window changes
//! ψ by ~e⁻⁸ ≈ 3e-4 — far above the 1e-5 parity tolerance.

use crate::config::Config;

/// Truncation radius of both windows, in Gaussian widths (`CUT_SIGMA`).
const CUT_SIGMA: f32 = 4.0;

/// Width of a window: `ceil(2·wscale·CUT_SIGMA + 1)` Gaussians (`LENGTH_RANGE`, `ANGLE_RANGE`).
fn window_len(wscale: f64) -> usize {
    (2.0 * wscale * CUT_SIGMA as f64 + 1.0).ceil() as usize
}

/// `exp(-x)` for x ≥ 0 in float32, written branch-free so the GBF loops vectorise (a libm
/// call per Gaussian would not). Cody–Waite reduction exp(−x) = 2ⁿ·eʳ with r = −x − n·ln 2
/// (ln 2 split in an exactly multipliable high part and a low part), then a degree-7 Taylor
/// polynomial on |r| ≤ ln 2 / 2: relative error ≤ 2e-7 (a few float32 ulps).
#[inline(always)]
fn exp_neg(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_145_75; // 12 significant bits: n·LN2_HI is exact for |n| < 2¹²
    const LN2_LO: f32 = 1.428_606_8e-6;
    // Round to nearest with the 1.5·2²³ trick: plain adds, vectorisable on SSE2.
    const MAGIC: f32 = 12_582_912.0;
    let x = x.min(87.0);
    let n = (-x * std::f32::consts::LOG2_E + MAGIC) - MAGIC;
    let r = (-x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// Distance Gaussians b_m(d) = exp(−(d − μ_m)²/(2σ²)), μ_m = (m+1)·Δ, Δ = r_max/K, σ = wscale·Δ.
#[derive(Clone, Debug)]
pub struct DistanceGbf {
    pub num: usize,
    /// Δ (Å).
    interval: f32,
    /// 1/(wscale·√2): the Gaussian in units of the centre spacing.
    step: f32,
    sigma: f32,
    /// Number of Gaussians accumulated per distance when the window is active.
    window: Option<usize>,
}

impl DistanceGbf {
    pub fn new(config: &Config, layer: usize) -> Self {
        let num = config.value_pe_dist_real;
        let r_max = if config.value_pe_dist_max < 0.0 {
            -config.value_pe_dist_max * config.r0(layer)
        } else {
            config.value_pe_dist_max
        };
        let wscale = config.value_pe_dist_wscale as f32;
        let interval = r_max as f32 / num as f32;
        let len = window_len(config.value_pe_dist_wscale);
        // Active iff K − LENGTH_RANGE > 8 (compile-time switch of the kernel).
        let window = (config.value_pe_dist_window && num > len + 8).then_some(len);
        DistanceGbf { num, interval, step: 1.0 / (wscale * 2f32.sqrt()), sigma: interval * wscale, window }
    }

    /// Adds `w·b_m(d)` to `acc[m]` for the Gaussians inside the window of `d` (Å).
    #[inline(always)]
    pub fn accumulate(&self, d: f32, w: f32, acc: &mut [f32]) {
        let (start, len, b0) = self.span(d);
        let step = self.step;
        for (k, a) in (1i32..).zip(acc[start..start + len].iter_mut()) {
            let b = b0 + step * k as f32;
            *a += w * exp_neg(b * b);
        }
    }

    /// [`Self::accumulate`] of two weights into two accumulators with one exponential per
    /// Gaussian (the backward pass needs Σ w·b and Σ w·δ·b); each sum is bit-identical to its
    /// own `accumulate` call.
    #[inline(always)]
    pub fn accumulate2(&self, d: f32, w: [f32; 2], acc: [&mut [f32]; 2]) {
        let (start, len, b0) = self.span(d);
        let step = self.step;
        let [acc0, acc1] = acc;
        let (acc0, acc1) = (&mut acc0[start..start + len], &mut acc1[start..start + len]);
        for k in 0..len {
            let b = b0 + step * (k as i32 + 1) as f32;
            let e = exp_neg(b * b);
            acc0[k] += w[0] * e;
            acc1[k] += w[1] * e;
        }
    }

    /// The Gaussians accumulated for `d`: first index, count, and the argument of the one
    /// before the first.
    #[inline(always)]
    fn span(&self, d: f32) -> (usize, usize, f32) {
        let (start, len) = match self.window {
            Some(len) => {
                // int() of the kernel truncates toward zero, then clamps to [0, K − len].
                let s = ((d - CUT_SIGMA * self.sigma) / self.interval - 1.0) as i32;
                (s.min((self.num - len) as i32).max(0) as usize, len)
            }
            None => (0, self.num),
        };
        // The kernel's b = (m + 1 − d/Δ)·step, built incrementally from the window start.
        (start, len, -d / self.interval * self.step + self.step * start as f32)
    }
}

/// Angle Gaussians of a cosine c ∈ [−1, 1]: μ_m = −1 + m·Δ, Δ = 2/(A−1), σ = wscale·Δ
/// (`cos_abs = 0`, doc §3.5).
#[derive(Clone, Debug)]
pub struct AngleGbf {
    pub num: usize,
    interval: f32,
    step: f32,
    sigma: f32,
    window: Option<usize>,
}

impl AngleGbf {
    pub fn new(config: &Config) -> Self {
        let num = config.value_pe_angle_real;
        let wscale = config.value_pe_angle_wscale as f32;
        let interval = 2.0 / (num.max(2) - 1) as f32;
        let len = window_len(config.value_pe_angle_wscale);
        let window = (num > len + 8).then_some(len);
        AngleGbf { num, interval, step: 1.0 / (wscale * 2f32.sqrt()), sigma: interval * wscale, window }
    }

    /// Adds `w·b_m(c)` to `acc[m]` for the Gaussians inside the window of `c`.
    #[inline(always)]
    pub fn accumulate(&self, c: f32, w: f32, acc: &mut [f32]) {
        let (start, len, x) = self.span(c);
        let step = self.step;
        for (m, a) in (start as i32..).zip(acc[start..start + len].iter_mut()) {
            let b = (m as f32 - x) * step;
            *a += w * exp_neg(b * b);
        }
    }

    /// [`Self::accumulate`] of two weights with one exponential per Gaussian (see
    /// [`DistanceGbf::accumulate2`]).
    #[inline(always)]
    pub fn accumulate2(&self, c: f32, w: [f32; 2], acc: [&mut [f32]; 2]) {
        let (start, len, x) = self.span(c);
        let step = self.step;
        let [acc0, acc1] = acc;
        let (acc0, acc1) = (&mut acc0[start..start + len], &mut acc1[start..start + len]);
        for k in 0..len {
            let b = ((start + k) as i32 as f32 - x) * step;
            let e = exp_neg(b * b);
            acc0[k] += w[0] * e;
            acc1[k] += w[1] * e;
        }
    }

    /// First index and count of the Gaussians accumulated for `c`, and c in centre spacings
    /// from −1.
    #[inline(always)]
    fn span(&self, c: f32) -> (usize, usize, f32) {
        let (start, len) = match self.window {
            Some(len) => {
                // end = max(int(min((c + 1 + 4σ)/Δ + 1, A)), len); Gaussians [end − len, end).
                let end = ((c + 1.0 + CUT_SIGMA * self.sigma) / self.interval + 1.0).min(self.num as f32) as i32;
                let end = (end.max(len as i32) as usize).min(self.num);
                (end - len, len)
            }
            None => (0, self.num),
        };
        (start, len, (c + 1.0) / self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dist_window: bool, angles: usize, angle_wscale: f64) -> Config {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/crystalframer_parity/crystalframer_max_default.config.json");
        let mut c = Config::from_file(&path).unwrap();
        c.value_pe_dist_window = dist_window;
        c.value_pe_angle_real = angles;
        c.value_pe_angle_wscale = angle_wscale;
        c
    }

    #[test]
    fn fast_exp_is_accurate() {
        for i in 0..80_000 {
            let x = i as f32 * 0.001;
            let (a, b) = (exp_neg(x), (-x as f64).exp());
            assert!(((a as f64 - b) / b).abs() < 2e-7, "{x}: {a} vs {b}");
        }
        assert!(exp_neg(1e6) >= 0.0 && exp_neg(1e6) < 1e-37);
    }

    #[test]
    fn distance_window_matches_the_formula() {
        let g = DistanceGbf::new(&config(true, 64, 4.0), 0);
        assert_eq!((g.num, g.window), (64, Some(9)));
        assert!((g.interval - 0.21875).abs() < 1e-7);
        let d = 3.1f32;
        let mut acc = vec![0f32; 64];
        g.accumulate(d, 2.0, &mut acc);
        let start = ((d - 4.0 * 0.21875) / 0.21875 - 1.0) as usize;
        for (m, v) in acc.iter().enumerate() {
            let mu = (m + 1) as f64 * 0.21875;
            let exact = 2.0 * (-(d as f64 - mu).powi(2) / (2.0 * 0.21875f64.powi(2))).exp();
            if (start..start + 9).contains(&m) {
                // The kernel builds the Gaussian argument incrementally in float32 (~1e-6).
                assert!((*v as f64 - exact).abs() < 5e-6 * exact.max(1e-3), "m={m}: {v} vs {exact}");
            } else {
                assert_eq!(*v, 0.0, "m={m} outside the window");
            }
        }
        // Without the window every Gaussian counts.
        let g = DistanceGbf::new(&config(false, 64, 4.0), 0);
        let mut acc = vec![0f32; 64];
        g.accumulate(d, 1.0, &mut acc);
        assert!(acc.iter().all(|v| *v >= 0.0) && acc[0] > 0.0 && acc[63] > 0.0);
    }

    /// The fused two-weight sums equal two separate sums bit for bit (training resumes and the
    /// gradient checks rely on the backward pass being exactly the forward's arithmetic).
    #[test]
    fn fused_sums_are_bit_identical() {
        for (window, angles, wscale) in [(true, 64, 4.0), (false, 64, 4.0), (true, 16, 1.0)] {
            let cfg = config(window, angles, wscale);
            let (dist, angle) = (DistanceGbf::new(&cfg, 0), AngleGbf::new(&cfg));
            for i in 0..200 {
                let (d, c, w) = (0.05 * i as f32, -1.0 + 0.01 * i as f32, [0.7 + 0.001 * i as f32, -0.31]);
                let (mut a, mut b, mut fa, mut fb) = (vec![0.1f32; 64], vec![0.2f32; 64], vec![0.1f32; 64], vec![0.2f32; 64]);
                dist.accumulate(d, w[0], &mut a);
                dist.accumulate(d, w[1], &mut b);
                dist.accumulate2(d, w, [&mut fa, &mut fb]);
                assert!(a == fa && b == fb, "distance {d}");
                let n = angle.num;
                angle.accumulate(c, w[0], &mut a[..n]);
                angle.accumulate(c, w[1], &mut b[..n]);
                angle.accumulate2(c, w, [&mut fa[..n], &mut fb[..n]]);
                assert!(a == fa && b == fb, "cosine {c}");
            }
        }
    }

    #[test]
    fn angle_windows() {
        let g = AngleGbf::new(&config(true, 64, 4.0));
        assert_eq!(g.window, Some(33));
        let mut acc = vec![0f32; 64];
        g.accumulate(0.3, 1.0, &mut acc);
        let touched: Vec<usize> = (0..64).filter(|&m| acc[m] != 0.0).collect();
        assert_eq!(touched.len(), 33);
        // The window ends 4σ (≈ 16 centres) above c = 0.3, i.e. centre index ≈ 41 + 16.
        let end = ((0.3f32 + 1.0 + 4.0 * 8.0 / 63.0) / (2.0 / 63.0) + 1.0) as usize;
        assert_eq!(*touched.last().unwrap(), end - 1);
        // Lightweight setting: 16 Gaussians, wscale 1 → window 9, 16 − 9 = 7 ≤ 8: no truncation.
        let g = AngleGbf::new(&config(true, 16, 1.0));
        assert_eq!(g.window, None);
        let mut acc = vec![0f32; 16];
        g.accumulate(-1.0, 1.0, &mut acc);
        assert_eq!(acc[0], 1.0);
        assert!(acc[15] >= 0.0);
    }
}
