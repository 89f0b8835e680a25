//! `screen train`: train a CrystalFramer / Crystalformer model from a TOML configuration.

use super::Status;
use indicatif::{ProgressBar, ProgressStyle};
use screen_crystalframer::train::{Dataset, EpochLog, MODEL_DIR, Observer, StepInfo, TrainConfig, Trainer};
use screen_engine::{Error, Result};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Train a CrystalFramer model (L1 loss on normalised targets, AdamW, SWA) as a TOML
/// configuration describes it (see configs/*.toml). Writes a checkpoint and log.csv to the
/// run directory after every epoch and exports the model directory (model.safetensors,
/// config.json, metadata.json) at the end. Records that cannot be used are reported and
/// skipped (exit code 1 if any were).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Training configuration (TOML).
    #[arg(value_name = "CONFIG.toml")]
    config: PathBuf,
    /// Continue from the run directory's last checkpoint (bit-for-bit the same result as an
    /// uninterrupted run).
    #[arg(long)]
    resume: bool,
    /// Override optim.epochs (e.g. to extend a finished run with --resume).
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Override optim.swa_epochs: with --resume and --epochs, put the weight-averaging window
    /// at the end of the extended run (allowed while that window has not begun), or grow a
    /// window that has begun by as many epochs as the run grows (same first epoch).
    #[arg(long, value_name = "N")]
    swa_epochs: Option<usize>,
    /// Override the run directory (out_dir).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Override the data files (one or more).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    data: Option<Vec<PathBuf>>,
    /// Stop after this many epochs of this invocation (the run can be resumed later).
    #[arg(long, value_name = "N")]
    stop_after: Option<usize>,
    /// Where to export the trained model (default: <out_dir>/model).
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    /// No progress bar (log lines per epoch only).
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<Status> {
    let usage = |e: screen_crystalframer::Error| Error::Usage(e.to_string());
    let mut config = TrainConfig::from_file(&args.config).map_err(usage)?;
    if let Some(n) = args.epochs {
        config.optim.epochs = n;
    }
    if let Some(n) = args.swa_epochs {
        config.optim.swa_epochs = n;
    }
    if let Some(d) = &args.out_dir {
        config.out_dir = d.clone();
    }
    if let Some(f) = &args.data {
        config.data.files = f.clone();
    }
    if config.optim.swa_epochs > config.optim.epochs {
        return Err(Error::Usage(format!("swa_epochs = {} exceeds epochs = {}", config.optim.swa_epochs, config.optim.epochs)));
    }
    let model_config = config.model_config().map_err(usage)?;

    let started = Instant::now();
    let data = Dataset::read(&config.data.files, &config.data.targets, &config.data.split_field, config.data.max_atoms, &model_config)
        .map_err(usage)?;
    let files: Vec<String> = config.data.files.iter().map(|f| f.display().to_string()).collect();
    eprintln!("{}: {} ({:.1} s)", files.join(", "), data.summary(), started.elapsed().as_secs_f64());
    for s in data.skipped.iter().take(10) {
        eprintln!("skipped: {} record {} ({}): {}", s.file, s.record, s.id, s.reason);
    }
    if data.skipped.len() > 10 {
        eprintln!("skipped: ... {} more, all listed in {}/skipped.csv", data.skipped.len() - 10, config.out_dir.display());
    }
    std::fs::create_dir_all(&config.out_dir).map_err(|e| Error::io(config.out_dir.display(), e))?;
    write_skipped(&config, &data)?;
    let any_skipped = !data.skipped.is_empty();

    let trainer = if args.resume { Trainer::resume(config.clone(), data) } else { Trainer::new(config.clone(), data) };
    let mut trainer = trainer.map_err(usage)?;
    eprintln!(
        "training {} ({} parameters, frames: {}) on {} crystals, validating on {}; {} epochs of batch {}; run directory {}",
        config.name,
        trainer.num_parameters(),
        model_config.frame_method,
        trainer.num_train(),
        trainer.num_val(),
        config.optim.epochs,
        config.optim.batch_size,
        config.out_dir.display()
    );
    if args.resume {
        eprintln!("resuming after epoch {}", trainer.epochs_done());
    }
    let mut bar = Bar::new(args.quiet, config.optim.epochs, config.data.targets.clone());
    trainer.run(&mut bar, args.stop_after).map_err(|e| Error::Usage(format!("training failed: {e}")))?;
    bar.finish();

    if trainer.epochs_done() >= config.optim.epochs || config.optim.max_steps > 0 {
        let dir = args.export.clone().unwrap_or_else(|| config.out_dir.join(MODEL_DIR));
        let val = trainer.export(&dir).map_err(usage)?;
        let log = config.out_dir.join(screen_crystalframer::train::LOG_FILE);
        let _ = std::fs::copy(&log, dir.join("training_log.csv"));
        for (t, m) in config.data.targets.iter().zip(&val) {
            eprintln!("exported weights: val {t}: MAE {:.5}, RMSE {:.5}, R² {:.4} (n = {})", m.mae, m.rmse, m.r2, m.n);
        }
        eprintln!("model written to {}", dir.display());
    } else {
        eprintln!("stopped after epoch {}; continue with --resume", trainer.epochs_done());
    }
    Ok(if any_skipped { Status::InputErrors } else { Status::Success })
}

fn write_skipped(config: &TrainConfig, data: &Dataset) -> Result<()> {
    let path = config.out_dir.join("skipped.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| Error::io(path.display(), e))?);
    let mut text = String::from("file,record,id,reason\n");
    for s in &data.skipped {
        text += &format!("\"{}\",{},\"{}\",\"{}\"\n", s.file.replace('"', "\"\""), s.record, s.id.replace('"', "\"\""), s.reason.replace('"', "\"\""));
    }
    f.write_all(text.as_bytes()).map_err(|e| Error::io(path.display(), e))
}

/// Progress bar per epoch: loss, learning rate, crystals/s, ETA.
struct Bar {
    quiet: bool,
    epochs: usize,
    targets: Vec<String>,
    bar: Option<ProgressBar>,
    started: Instant,
    crystals: usize,
    loss: f64,
    steps: usize,
}

impl Bar {
    fn new(quiet: bool, epochs: usize, targets: Vec<String>) -> Bar {
        Bar { quiet, epochs, targets, bar: None, started: Instant::now(), crystals: 0, loss: 0.0, steps: 0 }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Observer for Bar {
    fn on_epoch_start(&mut self, epoch: usize, batches: usize) {
        self.started = Instant::now();
        self.crystals = 0;
        self.loss = 0.0;
        self.steps = 0;
        if self.quiet {
            return;
        }
        let bar = ProgressBar::new(batches as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:25}] {pos}/{len} batches {msg} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(format!("epoch {}/{}", epoch + 1, self.epochs));
        self.bar = Some(bar);
    }

    fn on_step(&mut self, info: &StepInfo) {
        self.crystals += info.crystals;
        self.loss += info.loss;
        self.steps += 1;
        if let Some(b) = &self.bar {
            let rate = self.crystals as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!("loss {:.4} lr {:.2e} {:.1} crystals/s", self.loss / self.steps as f64, info.lr, rate));
            b.set_position(info.batch as u64 + 1);
        }
    }

    fn on_epoch_end(&mut self, log: &EpochLog) {
        self.finish();
        let mut line = format!("epoch {}/{} step {} loss {:.4}", log.epoch, self.epochs, log.step, log.train_loss);
        for (t, m) in self.targets.iter().zip(&log.val) {
            line += &format!(" val_mae[{t}] {:.4}", m.mae);
        }
        line += &format!(" lr {:.2e} {:.1} s {:.1} crystals/s{}", log.lr, log.epoch_s, log.crystals_per_s, if log.swa { " swa" } else { "" });
        eprintln!("{line}");
    }
}
