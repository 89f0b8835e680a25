//! # screen-crystalframer
//!
//! CrystalFramer (Ito et al., "Rethinking the role of frames for SE(3)-invariant crystal
//! structure modeling", ICLR 2025) and its frame-free baseline Crystalformer (Taniai et al.,
//! "Crystalformer: infinitely connected attention for periodic structure encoding", ICLR 2024),
//! ported to candle from the reference implementation `omron-sinicx/crystalframer` @ 0921650.
//!
//! The port follows `../shared/docs/crystalframer.md` (cited as "doc §N" in comments):
//!
//! - dense layers (embedding, q/k/v/out projections, feed-forward, head) are candle ops
//!   ([`model`]);
//! - the infinitely connected periodic attention — image sums with the adaptive box range,
//!   the log-sum-exp distance bias, the value position encoding ψ with windowed Gaussian basis
//!   functions, and the frames ψ is expressed in — is per-crystal geometry written as plain
//!   Rust loops, parallel over atoms with rayon, and wrapped as a candle custom op
//!   ([`attention::PeriodicAttentionOp`]) so a backward pass can be added for training;
//! - frames are the [`frames::Frames`] trait with one implementation per method.
//!
//! Batches are packed: crystals of different sizes are concatenated atom-wise, with offsets,
//! never padded ([`geometry::Batch`]).
//!
//! ```no_run
//! use screen_crystalframer::{Predictor, geometry::CrystalInput};
//! let predictor = Predictor::from_dir("models/jarvis-formation-energy".as_ref()).unwrap();
//! let nacl = CrystalInput::new(
//!     [[0.0, 2.82, 2.82], [2.82, 0.0, 2.82], [2.82, 2.82, 0.0]],
//!     vec![11, 17],
//!     vec![[0.0, 0.0, 0.0], [2.82, 2.82, 2.82]],
//! );
//! let predictions = predictor.predict(&[nacl]).unwrap();
//! println!("{:?} {}", predictions[0], predictor.metadata().targets[0].unit);
//! ```

/// Loops over the periodic images r + n1·t1 + n2·t2 + n3·t3 of the box `range` in the
/// reference's order and float32 arithmetic (see [`frames::for_each_image`], its function
/// form). A macro so the body is compiled inside the caller, in its vectorised variants;
/// `continue` skips an image.
macro_rules! for_images {
    ($r:expr, $t:expr, $range:expr, |$v:ident, $d2:ident| $body:block) => {{
        let (r, t, range): ([f32; 3], &[[f32; 3]; 3], [i32; 3]) = ($r, $t, $range);
        for n1 in -range[0]..=range[0] {
            let f1 = n1 as f32;
            for n2 in -range[1]..=range[1] {
                let f2 = n2 as f32;
                for n3 in -range[2]..=range[2] {
                    let f3 = n3 as f32;
                    let x = r[0] + t[0][0] * f1 + t[1][0] * f2 + t[2][0] * f3;
                    let y = r[1] + t[0][1] * f1 + t[1][1] * f2 + t[2][1] * f3;
                    let z = r[2] + t[0][2] * f1 + t[1][2] * f2 + t[2][2] * f3;
                    let $v: [f32; 3] = [x, y, z];
                    let $d2: f32 = x * x + y * y + z * z;
                    $body
                }
            }
        }
    }};
}

pub mod attention;
pub mod checkpoint;
pub mod config;
mod error;
pub mod frames;
pub mod gbf;
pub mod geometry;
mod gradient;
mod kernel;
mod linalg;
pub mod model;
pub mod plugin;
mod predictor;
pub mod train;

pub use checkpoint::{Metadata, Target};
pub use config::Config;
pub use error::{Error, Result};
pub use model::CrystalFramer;
pub use predictor::{Estimate, FramesFor, Member, Predictor};
