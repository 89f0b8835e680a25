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

pub mod attention;
pub mod checkpoint;
pub mod config;
mod error;
pub mod frames;
pub mod gbf;
pub mod geometry;
mod kernel;
mod linalg;
pub mod model;
mod predictor;

pub use checkpoint::{Metadata, Target};
pub use config::Config;
pub use error::{Error, Result};
pub use model::CrystalFramer;
pub use predictor::Predictor;
