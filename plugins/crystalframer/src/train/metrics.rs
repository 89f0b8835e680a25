//! Regression metrics per target.

use serde::{Deserialize, Serialize};

/// Mean absolute error, root-mean-square error and coefficient of determination of one
/// target over `n` crystals (in the target's units).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub n: usize,
    pub mae: f64,
    pub rmse: f64,
    pub r2: f64,
}

impl Metrics {
    /// From paired predictions and true values (NaN when empty).
    pub fn of(pred: &[f64], truth: &[f64]) -> Metrics {
        let n = pred.len().min(truth.len());
        if n == 0 {
            return Metrics { n, mae: f64::NAN, rmse: f64::NAN, r2: f64::NAN };
        }
        let nf = n as f64;
        let mae = pred.iter().zip(truth).map(|(p, t)| (p - t).abs()).sum::<f64>() / nf;
        let sse = pred.iter().zip(truth).map(|(p, t)| (p - t).powi(2)).sum::<f64>();
        let mean = truth.iter().take(n).sum::<f64>() / nf;
        let sst = truth.iter().take(n).map(|t| (t - mean).powi(2)).sum::<f64>();
        let r2 = if sst > 0.0 { 1.0 - sse / sst } else { f64::NAN };
        Metrics { n, mae, rmse: (sse / nf).sqrt(), r2 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let m = Metrics::of(&[1.0, 2.0, 4.0], &[1.0, 3.0, 3.0]);
        assert!((m.mae - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.rmse - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        // mean 7/3, SST = 16/9 + 4/9 + 4/9 = 24/9; R² = 1 − 2/(24/9) = 0.25.
        assert!((m.r2 - 0.25).abs() < 1e-12);
        let perfect = Metrics::of(&[1.0, 2.0], &[1.0, 2.0]);
        assert_eq!((perfect.mae, perfect.r2), (0.0, 1.0));
        assert!(Metrics::of(&[], &[]).mae.is_nan());
    }
}
