//! Training CrystalFramer / Crystalformer models (`screen train`): configuration
//! ([`TrainConfig`], TOML), data ([`Dataset`]), seeded initialisation, AdamW, the loop with
//! checkpoints and SWA ([`Trainer`]), and metrics ([`Metrics`]). The gradients of the
//! periodic attention are analytic (`crate::gradient`); everything else is candle autograd.

mod config;
mod data;
mod init;
mod metrics;
mod optim;
mod trainer;

pub use config::{DataConfig, Loss, OptimConfig, TrainConfig};
pub use data::{Dataset, Sample, Skipped, Split, target_stats};
pub use init::SeededInit;
pub use metrics::Metrics;
pub use optim::AdamW;
pub use trainer::{CHECKPOINT_DIR, EpochLog, LOG_FILE, MODEL_DIR, Observer, Quiet, StepInfo, Trainer, hardware};
