//! The training loop (doc §6–§7): L1 loss on mean/std-normalised targets, AdamW with the
//! inverse-square-root schedule and gradient clipping, `gauss_scale` from the first training
//! batch, SWA over the last epochs, a checkpoint after every epoch, export of a model
//! directory with the target statistics folded into the last layer.
//!
//! Determinism: parameters come from seeded streams ([`super::init`]), the batch order of
//! epoch e from the stream (seed, e), and every reduction (periodic-attention gradients,
//! optimiser) runs in a fixed order, so equal configurations give equal weights, and a run
//! resumed from a checkpoint continues exactly as the uninterrupted run.

use super::config::TrainConfig;
use super::data::{Dataset, Sample, Split, target_stats};
use super::init::SeededInit;
use super::metrics::Metrics;
use super::optim::AdamW;
use crate::checkpoint::{self, Metadata, Target};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::geometry::{Batch, CrystalInput};
use crate::linalg::Rng;
use crate::model::CrystalFramer;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Sub-directory of the run directory holding the latest checkpoint.
pub const CHECKPOINT_DIR: &str = "checkpoint";
/// Per-epoch log in the run directory.
pub const LOG_FILE: &str = "log.csv";
/// Sub-directory of the run directory the trained model is exported to.
pub const MODEL_DIR: &str = "model";

/// Progress of one optimiser step.
#[derive(Clone, Debug)]
pub struct StepInfo {
    /// 0-based epoch and step within it.
    pub epoch: usize,
    pub batch: usize,
    pub batches: usize,
    /// Optimiser steps so far (all epochs).
    pub step: u64,
    /// Loss of the batch on normalised targets.
    pub loss: f64,
    pub lr: f64,
    pub crystals: usize,
}

/// One row of the per-epoch log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based.
    pub epoch: usize,
    pub step: u64,
    /// Learning rate of the last step.
    pub lr: f64,
    /// Mean loss (normalised targets; L1 or squared error) over the epoch's batches.
    pub train_loss: f64,
    /// Training MAE per target (running, in target units).
    pub train_mae: Vec<f64>,
    /// Validation metrics per target of the current weights.
    pub val: Vec<Metrics>,
    pub epoch_s: f64,
    pub crystals_per_s: f64,
    /// Whether the epoch's weights entered the SWA average.
    pub swa: bool,
}

/// Receives progress (the CLI draws a progress bar from it).
pub trait Observer {
    fn on_epoch_start(&mut self, _epoch: usize, _batches: usize) {}
    fn on_step(&mut self, _info: &StepInfo) {}
    fn on_epoch_end(&mut self, _log: &EpochLog) {}
}

/// Ignores progress.
pub struct Quiet;
impl Observer for Quiet {}

/// Everything besides parameters and moments that a resumed run needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunState {
    config: TrainConfig,
    epochs_done: usize,
    step: u64,
    mean: Vec<f64>,
    std: Vec<f64>,
    /// Snapshots in the SWA average, and the frozen learning rate of the SWA phase.
    swa_count: usize,
    swa_lr: Option<f64>,
    history: Vec<EpochLog>,
    /// Seconds spent in epochs so far.
    wall_s: f64,
}

/// Parameters that are set, not learned (doc §2: `gauss_scale`, and the unused `atten_scale`).
fn is_frozen(name: &str) -> bool {
    name.ends_with("gauss_scale") || name.ends_with("atten_scale")
}

pub struct Trainer {
    state: RunState,
    model_config: Config,
    data: Dataset,
    train: Vec<usize>,
    val: Vec<usize>,
    vars: VarMap,
    model: CrystalFramer,
    opt: AdamW,
    /// Running SWA average of every trainable parameter.
    swa: HashMap<String, Vec<f32>>,
    /// Which weights the last export chose, and the validation metrics of both candidates.
    export_note: Option<serde_json::Value>,
}

impl Trainer {
    /// A fresh run: seeded initialisation; `gauss_scale` is set at the first step.
    pub fn new(config: TrainConfig, data: Dataset) -> Result<Trainer> {
        let model_config = config.model_config()?;
        let (train, val) = split_indices(&config, &data)?;
        let refs: Vec<&Sample> = train.iter().map(|&i| &data.samples[i]).collect();
        let (mean, std) = target_stats(&refs, config.data.targets.len());
        let vars = VarMap::new();
        let model = build(&vars, &config, &model_config)?;
        let opt = optimizer(&vars, &config);
        let state = RunState {
            config,
            epochs_done: 0,
            step: 0,
            mean,
            std,
            swa_count: 0,
            swa_lr: None,
            history: Vec::new(),
            wall_s: 0.0,
        };
        Ok(Trainer { state, model_config, data, train, val, vars, model, opt, swa: HashMap::new(), export_note: None })
    }

    /// Continues the run whose checkpoint is in `config.out_dir`. The configuration must be
    /// the one the run started with, except `optim.epochs` (which may be raised).
    pub fn resume(config: TrainConfig, data: Dataset) -> Result<Trainer> {
        let dir = config.out_dir.join(CHECKPOINT_DIR);
        let text = std::fs::read_to_string(dir.join("state.json")).map_err(|e| io_err(&dir.join("state.json"), e))?;
        let mut state: RunState =
            serde_json::from_str(&text).map_err(|e| Error::config(dir.join("state.json").display(), e.to_string()))?;
        let mut saved = state.config.clone();
        saved.optim.epochs = config.optim.epochs;
        saved.optim.swa_epochs = config.optim.swa_epochs;
        if serde_json::to_value(&saved).ok() != serde_json::to_value(&config).ok() {
            return Err(Error::config(
                dir.display(),
                "the checkpoint was made with a different configuration (only optim.epochs and optim.swa_epochs may change on --resume)",
            ));
        }
        let o = &config.optim;
        if o.swa_start() != state.config.optim.swa_start() && state.epochs_done > o.swa_start() {
            // Inside the window the learning rate is frozen and snapshots are averaged: a window
            // that would have begun before this checkpoint cannot be reproduced from it. One that
            // keeps its first epoch and only grows at the end continues exactly.
            return Err(Error::config(
                dir.display(),
                format!(
                    "swa_epochs = {} would start weight averaging at epoch {}, before the {} epochs already done",
                    o.swa_epochs,
                    o.swa_start() + 1,
                    state.epochs_done
                ),
            ));
        }
        state.config = config.clone();
        let model_config = config.model_config()?;
        let (train, val) = split_indices(&config, &data)?;
        let vars = VarMap::new();
        let params = read_safetensors(&dir.join("params.safetensors"))?;
        {
            let mut slot = vars.data().lock().map_err(|_| Error::Unsupported("variable map poisoned".into()))?;
            for (name, t) in params {
                slot.insert(name, Var::from_tensor(&t)?);
            }
        }
        let model = build(&vars, &config, &model_config)?;
        let mut opt = optimizer(&vars, &config);
        opt.load_state(&read_safetensors(&dir.join("optimizer.safetensors"))?, state.step)?;
        let swa_path = dir.join("swa.safetensors");
        let o = &config.optim;
        if state.epochs_done <= o.swa_start() {
            // Raising optim.epochs moved the averaging window past the epochs already done: the
            // snapshots (and frozen learning rate) of the old window are not part of the new one.
            state.swa_count = 0;
            state.swa_lr = None;
        }
        let swa = if state.swa_count == 0 {
            HashMap::new()
        } else if swa_path.exists() {
            read_safetensors(&swa_path)?
                .into_iter()
                .map(|(k, t)| Ok((k, t.flatten_all()?.to_vec1::<f32>()?)))
                .collect::<Result<HashMap<_, _>>>()?
        } else {
            HashMap::new()
        };
        Ok(Trainer { state, model_config, data, train, val, vars, model, opt, swa, export_note: None })
    }

    pub fn config(&self) -> &TrainConfig {
        &self.state.config
    }

    pub fn epochs_done(&self) -> usize {
        self.state.epochs_done
    }

    pub fn history(&self) -> &[EpochLog] {
        &self.state.history
    }

    pub fn num_train(&self) -> usize {
        self.train.len()
    }

    pub fn num_val(&self) -> usize {
        self.val.len()
    }

    /// Number of trainable parameters (numbers).
    pub fn num_parameters(&self) -> usize {
        self.trainable().iter().map(|(_, v)| v.elem_count()).sum()
    }

    fn trainable(&self) -> Vec<(String, Var)> {
        let mut v: Vec<(String, Var)> = match self.vars.data().lock() {
            Ok(d) => d.iter().filter(|(k, _)| !is_frozen(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => Vec::new(),
        };
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Learning rate of step t (0-based) outside the SWA phase: lr·sqrt(t₀/(t₀ + t)).
    fn scheduled_lr(&self, t: u64) -> f64 {
        let o = &self.state.config.optim;
        o.lr * (o.lr_decay_steps / (o.lr_decay_steps + t as f64)).sqrt()
    }

    fn swa_start(&self) -> usize {
        self.state.config.optim.swa_start()
    }

    /// Trains until `optim.epochs` (or `max_steps`) are done or `stop_after` more epochs ran,
    /// writing a checkpoint and the log after every epoch.
    pub fn run(&mut self, observer: &mut dyn Observer, stop_after: Option<usize>) -> Result<()> {
        std::fs::create_dir_all(&self.state.config.out_dir).map_err(|e| io_err(&self.state.config.out_dir, e))?;
        let mut ran = 0;
        while self.state.epochs_done < self.state.config.optim.epochs && !self.steps_exhausted() {
            if stop_after.is_some_and(|n| ran >= n) {
                break;
            }
            let log = self.epoch(observer)?;
            observer.on_epoch_end(&log);
            self.state.history.push(log);
            self.write_log()?;
            self.save_checkpoint()?;
            ran += 1;
        }
        Ok(())
    }

    fn steps_exhausted(&self) -> bool {
        let m = self.state.config.optim.max_steps;
        m > 0 && self.state.step >= m as u64
    }

    fn epoch(&mut self, observer: &mut dyn Observer) -> Result<EpochLog> {
        let started = Instant::now();
        let epoch = self.state.epochs_done;
        let cfg = self.state.config.clone();
        let o = &cfg.optim;
        let mut order = self.train.clone();
        shuffle(&mut order, &mut Rng::new(cfg.seed, &[1, epoch as u64]));
        let batches: Vec<&[usize]> = order.chunks(o.batch_size).collect();
        observer.on_epoch_start(epoch, batches.len());
        let in_swa = o.swa_epochs > 0 && epoch >= self.swa_start();
        let targets = cfg.data.targets.len();
        let (mut loss_sum, mut abs_err, mut seen, mut n_batches) = (0f64, vec![0f64; targets], 0usize, 0usize);
        let mut lr = 0.0;
        for (b, idx) in batches.iter().enumerate() {
            if self.steps_exhausted() {
                break;
            }
            let inputs: Vec<CrystalInput> = idx.iter().map(|&i| self.data.samples[i].input.clone()).collect();
            let batch = Arc::new(Batch::new(&inputs)?);
            if self.state.step == 0 {
                // The reference sets gauss_scale from the first training batch (doc §3.2).
                self.model.calibrate_gauss_scales(&batch)?;
                self.store_gauss_scales()?;
            }
            lr = match (in_swa, self.state.swa_lr) {
                (true, Some(frozen)) => frozen,
                (true, None) => {
                    let l = self.scheduled_lr(self.state.step);
                    self.state.swa_lr = Some(l);
                    l
                }
                (false, _) => self.scheduled_lr(self.state.step),
            };
            let truth = self.normalised_targets(idx)?;
            let y = self.model.forward(&batch)?;
            let diff = (&y - &truth)?;
            let loss = match o.loss {
                super::config::Loss::L1 => diff.abs()?.mean_all()?,
                super::config::Loss::Mse => diff.sqr()?.mean_all()?,
            };
            let grads = loss.backward()?;
            self.opt.step(&grads, lr, o.clip_norm)?;
            self.state.step = self.opt.step;
            let loss_v = loss.to_dtype(DType::F64)?.to_scalar::<f64>()?;
            let d = diff.to_dtype(DType::F64)?.to_vec2::<f64>()?;
            for row in &d {
                for (t, x) in row.iter().enumerate() {
                    abs_err[t] += x.abs() * self.state.std[t];
                }
            }
            loss_sum += loss_v;
            seen += idx.len();
            n_batches += 1;
            observer.on_step(&StepInfo {
                epoch,
                batch: b,
                batches: batches.len(),
                step: self.state.step,
                loss: loss_v,
                lr,
                crystals: idx.len(),
            });
        }
        let train_s = started.elapsed().as_secs_f64();
        if in_swa {
            self.swa_update()?;
        }
        let val_idx = self.val.clone();
        let val = self.evaluate(&val_idx)?;
        let epoch_s = started.elapsed().as_secs_f64();
        self.state.epochs_done += 1;
        self.state.wall_s += epoch_s;
        Ok(EpochLog {
            epoch: epoch + 1,
            step: self.state.step,
            lr,
            train_loss: loss_sum / n_batches.max(1) as f64,
            train_mae: abs_err.iter().map(|e| e / seen.max(1) as f64).collect(),
            val,
            epoch_s,
            crystals_per_s: seen as f64 / train_s.max(1e-9),
            swa: in_swa,
        })
    }

    fn normalised_targets(&self, idx: &[usize]) -> Result<Tensor> {
        let t = self.state.config.data.targets.len();
        let mut v = Vec::with_capacity(idx.len() * t);
        for &i in idx {
            for (k, &y) in self.data.samples[i].targets.iter().enumerate() {
                v.push(((y as f64 - self.state.mean[k]) / self.state.std[k]) as f32);
            }
        }
        Ok(Tensor::from_vec(v, (idx.len(), t), &Device::Cpu)?)
    }

    /// Writes the calibrated `gauss_scale` of every layer into its variable (so checkpoints
    /// and the exported model carry it).
    fn store_gauss_scales(&self) -> Result<()> {
        let data = self.vars.data().lock().map_err(|_| Error::Unsupported("variable map poisoned".into()))?;
        for (l, layer) in self.model.layers().iter().enumerate() {
            let name = format!("encoder.layers.{l}.self_attn.gauss_scale");
            let var = data.get(&name).ok_or_else(|| Error::Unsupported(format!("no variable {name}")))?;
            var.set(&Tensor::new(&layer.self_attn().gauss_scale(), &Device::Cpu)?)?;
        }
        Ok(())
    }

    fn swa_update(&mut self) -> Result<()> {
        let n = self.state.swa_count as f64;
        for (name, var) in self.trainable() {
            let w = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
            let avg = self.swa.entry(name).or_insert_with(|| vec![0.0; w.len()]);
            // Running mean: avg += (w − avg)/(n + 1), as torch's AveragedModel.
            for (a, x) in avg.iter_mut().zip(&w) {
                *a = (*a as f64 + (*x as f64 - *a as f64) / (n + 1.0)) as f32;
            }
        }
        self.state.swa_count += 1;
        Ok(())
    }

    /// Metrics per target (target units) of the current weights on some samples.
    pub fn evaluate(&self, idx: &[usize]) -> Result<Vec<Metrics>> {
        let (pred, truth) = self.predict(idx)?;
        Ok((0..pred.len()).map(|t| Metrics::of(&pred[t], &truth[t])).collect())
    }

    /// Predictions and true values, per target, in target units.
    fn predict(&self, idx: &[usize]) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>)> {
        let t = self.state.config.data.targets.len();
        let (mut pred, mut truth) = (vec![Vec::with_capacity(idx.len()); t], vec![Vec::with_capacity(idx.len()); t]);
        for chunk in idx.chunks(self.state.config.optim.batch_size.max(1)) {
            let inputs: Vec<CrystalInput> = chunk.iter().map(|&i| self.data.samples[i].input.clone()).collect();
            let y = self.model.forward(&Arc::new(Batch::new(&inputs)?))?.detach().to_dtype(DType::F64)?.to_vec2::<f64>()?;
            for (row, &i) in y.iter().zip(chunk) {
                for k in 0..t {
                    pred[k].push(row[k] * self.state.std[k] + self.state.mean[k]);
                    truth[k].push(self.data.samples[i].targets[k] as f64);
                }
            }
        }
        Ok((pred, truth))
    }

    fn write_log(&self) -> Result<()> {
        let path = self.state.config.out_dir.join(LOG_FILE);
        let targets = &self.state.config.data.targets;
        let mut out = String::from("epoch,step,lr,train_loss");
        for t in targets {
            out += &format!(",train_mae_{t}");
        }
        for t in targets {
            out += &format!(",val_mae_{t},val_rmse_{t},val_r2_{t}");
        }
        out += ",epoch_s,crystals_per_s,swa\n";
        for e in &self.state.history {
            out += &format!("{},{},{:.6e},{:.6}", e.epoch, e.step, e.lr, e.train_loss);
            for m in &e.train_mae {
                out += &format!(",{m:.6}");
            }
            for m in &e.val {
                out += &format!(",{:.6},{:.6},{:.6}", m.mae, m.rmse, m.r2);
            }
            out += &format!(",{:.2},{:.2},{}\n", e.epoch_s, e.crystals_per_s, e.swa);
        }
        std::fs::write(&path, out).map_err(|e| io_err(&path, e))
    }

    /// Writes parameters, optimiser moments, SWA average and run state to the checkpoint
    /// directory, replacing the previous one only once the new one is complete.
    fn save_checkpoint(&self) -> Result<()> {
        let out = &self.state.config.out_dir;
        let tmp = out.join(format!("{CHECKPOINT_DIR}.tmp"));
        let dir = out.join(CHECKPOINT_DIR);
        let old = out.join(format!("{CHECKPOINT_DIR}.old"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
        let params: HashMap<String, Tensor> = {
            let d = self.vars.data().lock().map_err(|_| Error::Unsupported("variable map poisoned".into()))?;
            d.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect()
        };
        save_safetensors(&params, &tmp.join("params.safetensors"))?;
        save_safetensors(&self.opt.state_tensors()?, &tmp.join("optimizer.safetensors"))?;
        if !self.swa.is_empty() {
            let swa = self.swa_tensors()?;
            save_safetensors(&swa, &tmp.join("swa.safetensors"))?;
        }
        let state = serde_json::to_string_pretty(&self.state).map_err(|e| Error::Unsupported(e.to_string()))?;
        std::fs::write(tmp.join("state.json"), state).map_err(|e| io_err(&tmp, e))?;
        let _ = std::fs::remove_dir_all(&old);
        if dir.exists() {
            std::fs::rename(&dir, &old).map_err(|e| io_err(&dir, e))?;
        }
        std::fs::rename(&tmp, &dir).map_err(|e| io_err(&dir, e))?;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }

    fn swa_tensors(&self) -> Result<HashMap<String, Tensor>> {
        let shapes: HashMap<String, candle_core::Shape> =
            self.trainable().into_iter().map(|(k, v)| (k, v.shape().clone())).collect();
        let mut out = HashMap::new();
        for (k, v) in &self.swa {
            let shape = shapes.get(k).cloned().unwrap_or_else(|| candle_core::Shape::from(v.len()));
            out.insert(k.clone(), Tensor::from_slice(v, shape, &Device::Cpu)?);
        }
        Ok(out)
    }

    /// Exports a model directory (`model.safetensors`, `config.json`, `metadata.json`):
    /// the SWA average or the current weights, whichever has the lower validation MAE
    /// (relative to the target std, summed over targets; the SWA average when there is no
    /// validation set), with the target mean/std folded into `mlp.3` (doc §2.5), so
    /// [`crate::Predictor::from_dir`] predicts in target units. Returns the validation
    /// metrics of the exported weights.
    pub fn export(&mut self, dir: &Path) -> Result<Vec<Metrics>> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let mut tensors: HashMap<String, Tensor> = {
            let d = self.vars.data().lock().map_err(|_| Error::Unsupported("variable map poisoned".into()))?;
            d.iter().map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?))).collect::<Result<_>>()?
        };
        let val_idx = self.val.clone();
        let current = self.evaluate(&val_idx)?;
        let mut val = current.clone();
        let mut use_swa = false;
        if !self.swa.is_empty() {
            let mut averaged = tensors.clone();
            averaged.extend(self.swa_tensors()?);
            let swa_val = self.with_weights(&averaged, |t| t.evaluate(&val_idx))?;
            let score = |m: &[Metrics]| m.iter().zip(&self.state.std).map(|(m, s)| m.mae / s).sum::<f64>();
            // Without validation data (NaN scores) the average is kept.
            if !(score(&current) < score(&swa_val)) {
                use_swa = true;
                tensors = averaged;
                val = swa_val.clone();
            }
            self.export_note = Some(serde_json::json!({
                "candidates": {"swa": swa_val, "last_epoch": current},
                "exported": if use_swa { "swa" } else { "last_epoch" },
            }));
        }
        let std = Tensor::new(self.state.std.iter().map(|&x| x as f32).collect::<Vec<_>>().as_slice(), &Device::Cpu)?;
        let mean = Tensor::new(self.state.mean.iter().map(|&x| x as f32).collect::<Vec<_>>().as_slice(), &Device::Cpu)?;
        let w = tensors.get("mlp.3.weight").ok_or_else(|| Error::Unsupported("no mlp.3.weight".into()))?;
        let b = tensors.get("mlp.3.bias").ok_or_else(|| Error::Unsupported("no mlp.3.bias".into()))?;
        let w = w.broadcast_mul(&std.unsqueeze(1)?)?;
        let b = ((b * &std)? + &mean)?;
        tensors.insert("mlp.3.weight".into(), w);
        tensors.insert("mlp.3.bias".into(), b);
        save_safetensors(&tensors, &dir.join(checkpoint::WEIGHTS_FILE))?;
        let cfg_json = serde_json::to_string_pretty(&self.model_config).map_err(|e| Error::Unsupported(e.to_string()))?;
        std::fs::write(dir.join(checkpoint::CONFIG_FILE), cfg_json).map_err(|e| io_err(dir, e))?;
        let metadata = self.metadata(&val, use_swa);
        let text = serde_json::to_string_pretty(&metadata).map_err(|e| Error::Unsupported(e.to_string()))?;
        std::fs::write(dir.join(checkpoint::METADATA_FILE), text).map_err(|e| io_err(dir, e))?;
        Ok(val)
    }

    /// Runs `f` with the parameters temporarily replaced by `weights`.
    fn with_weights<T>(&mut self, weights: &HashMap<String, Tensor>, f: impl FnOnce(&Self) -> Result<T>) -> Result<T> {
        let current: HashMap<String, Tensor> = {
            let d = self.vars.data().lock().map_err(|_| Error::Unsupported("variable map poisoned".into()))?;
            d.iter().map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?))).collect::<Result<_>>()?
        };
        self.set_weights(weights)?;
        let out = f(self);
        self.set_weights(&current)?;
        out
    }

    fn set_weights(&self, weights: &HashMap<String, Tensor>) -> Result<()> {
        let d = self.vars.data().lock().map_err(|_| Error::Unsupported("variable map poisoned".into()))?;
        for (k, v) in d.iter() {
            if let Some(t) = weights.get(k) {
                v.set(t)?;
            }
        }
        Ok(())
    }

    fn metadata(&self, val: &[Metrics], swa: bool) -> Metadata {
        let cfg = &self.state.config;
        let counts = |s: Split| self.data.samples.iter().filter(|x| x.split == s).count();
        let last = self.state.history.last();
        let epochs = self.state.epochs_done;
        let metrics_by_target: serde_json::Map<String, serde_json::Value> = cfg
            .data
            .targets
            .iter()
            .zip(val)
            .map(|(t, m)| (t.clone(), serde_json::json!({"val": m})))
            .collect();
        Metadata {
            name: Some(cfg.name.clone()),
            description: cfg.description.clone(),
            targets: cfg
                .data
                .targets
                .iter()
                .zip(&cfg.data.units)
                .map(|(n, u)| Target { name: n.clone(), unit: u.clone(), description: None })
                .collect(),
            training_data: serde_json::json!({
                "files": cfg.data.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
                "split_field": cfg.data.split_field,
                "records": {"train": counts(Split::Train), "val": counts(Split::Val), "test": counts(Split::Test)},
                "used": {"train": self.train.len(), "val": self.val.len()},
                "skipped": self.data.skipped.len(),
                "unlabelled": self.data.unlabelled,
                "repeated_ids": self.data.duplicates,
                "max_atoms": cfg.data.max_atoms,
                "target_mean": self.state.mean,
                "target_std": self.state.std,
            }),
            metrics: serde_json::Value::Object(metrics_by_target),
            training: serde_json::json!({
                "tool": format!("screen train (screen-crystalframer {})", env!("CARGO_PKG_VERSION")),
                "config": cfg,
                "epochs": epochs,
                "steps": self.state.step,
                "swa": (self.state.swa_count > 0).then(|| serde_json::json!({"snapshots": self.state.swa_count, "lr": self.state.swa_lr, "exported": swa})),
                "export_choice": self.export_note,
                "wall_time_s": self.state.wall_s,
                "seconds_per_epoch": if epochs > 0 { self.state.wall_s / epochs as f64 } else { f64::NAN },
                "train_crystals_per_s": last.map(|l| l.crystals_per_s),
                "parameters": self.num_parameters(),
                "hardware": hardware(),
            }),
            members: Vec::new(),
        }
    }
}

/// Train and validation indices (limits applied); an empty training set is an error.
fn split_indices(config: &TrainConfig, data: &Dataset) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut train = data.indices(Split::Train);
    let mut val = data.indices(Split::Val);
    if config.data.limit_train > 0 {
        train.truncate(config.data.limit_train);
    }
    if config.data.limit_val > 0 {
        val.truncate(config.data.limit_val);
    }
    if train.is_empty() {
        let files: Vec<String> = config.data.files.iter().map(|f| f.display().to_string()).collect();
        return Err(Error::config(files.join(", "), format!("no usable training records ({})", data.summary())));
    }
    Ok((train, val))
}

fn build(vars: &VarMap, config: &TrainConfig, model_config: &Config) -> Result<CrystalFramer> {
    let backend = SeededInit { vars: vars.clone(), seed: config.seed };
    let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
    CrystalFramer::load(vb, model_config)
}

fn optimizer(vars: &VarMap, config: &TrainConfig) -> AdamW {
    let trainable: Vec<(String, Var)> = match vars.data().lock() {
        Ok(d) => d.iter().filter(|(k, _)| !is_frozen(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        Err(_) => Vec::new(),
    };
    AdamW::new(trainable, config.optim.betas, config.optim.weight_decay)
}

/// Fisher–Yates with the given stream.
fn shuffle(v: &mut [usize], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source: e }
}

fn save_safetensors(tensors: &HashMap<String, Tensor>, path: &Path) -> Result<()> {
    candle_core::safetensors::save(tensors, path).map_err(|e| Error::config(path.display(), e.to_string()))
}

fn read_safetensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load(path, &Device::Cpu).map_err(|e| Error::config(path.display(), e.to_string()))
}

/// CPU model and thread count, for the model card.
pub fn hardware() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    format!("{cpu}, {} threads (CPU)", rayon::current_num_threads())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(out: &Path, frames: &str) -> TrainConfig {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/tiny_mp_flla_1000.jsonl.gz");
        let text = format!(
            r#"
name = "resume-test"
seed = 5
out_dir = "{out}"
[data]
file = "{data}"
targets = ["formation_energy_per_atom", "e_above_hull"]
units = ["eV/atom", "eV/atom"]
max_atoms = 12
limit_train = 20
limit_val = 6
[model]
num_layers = 1
model_dim = 16
head_num = 2
ff_dim = 32
value_pe_dist_real = 16
value_pe_angle_real = 8
value_pe_angle_wscale = 1.0
frame_method = "{frames}"
[optim]
epochs = 3
batch_size = 8
lr = 1e-3
betas = [0.9, 0.98]
weight_decay = 1e-5
clip_norm = 1.0
lr_decay_steps = 4000.0
swa_epochs = 2
"#,
            out = out.display(),
            data = data.display()
        );
        TrainConfig::from_toml_str(&text).unwrap()
    }

    fn params(t: &Trainer) -> Vec<(String, Vec<f32>)> {
        let d = t.vars.data().lock().unwrap();
        let mut v: Vec<(String, Vec<f32>)> =
            d.iter().map(|(k, v)| (k.clone(), v.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap())).collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn losses(t: &Trainer) -> Vec<(f64, Vec<f64>, Vec<f64>)> {
        t.history().iter().map(|e| (e.train_loss, e.train_mae.clone(), e.val.iter().map(|m| m.mae).collect())).collect()
    }

    /// A run stopped after one epoch and resumed from its checkpoint reproduces the
    /// uninterrupted run exactly: losses, validation errors, weights, SWA export.
    #[test]
    fn resumed_run_reproduces_the_uninterrupted_run_bit_for_bit() {
        let base = std::env::temp_dir().join(format!("screen-train-resume-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (a, b) = (base.join("a"), base.join("b"));
        let ca = config(&a, "max");
        let data = Dataset::read(&ca.data.files, &ca.data.targets, "split", ca.data.max_atoms, &ca.model_config().unwrap()).unwrap();
        assert!(data.skipped.iter().any(|s| s.reason.contains("max_atoms")), "large cells are reported");

        let mut whole = Trainer::new(ca, data.clone()).unwrap();
        whole.run(&mut Quiet, None).unwrap();
        assert_eq!(whole.epochs_done(), 3);

        let mut first = Trainer::new(config(&b, "max"), data.clone()).unwrap();
        first.run(&mut Quiet, Some(1)).unwrap();
        assert_eq!(first.epochs_done(), 1);
        drop(first);
        let mut resumed = Trainer::resume(config(&b, "max"), data.clone()).unwrap();
        assert_eq!(resumed.epochs_done(), 1);
        resumed.run(&mut Quiet, None).unwrap();

        assert_eq!(losses(&whole), losses(&resumed));
        assert_eq!(params(&whole), params(&resumed));
        let (ma, mb) = (whole.export(&a.join("model")).unwrap(), resumed.export(&b.join("model")).unwrap());
        assert_eq!(ma, mb);
        let wa = std::fs::read(a.join("model").join(checkpoint::WEIGHTS_FILE)).unwrap();
        let wb = std::fs::read(b.join("model").join(checkpoint::WEIGHTS_FILE)).unwrap();
        let ta = candle_core::safetensors::load_buffer(&wa, &Device::Cpu).unwrap();
        let tb = candle_core::safetensors::load_buffer(&wb, &Device::Cpu).unwrap();
        assert_eq!(ta.len(), tb.len());
        for (k, v) in &ta {
            let x = v.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let y = tb[k].flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(x, y, "{k}");
        }
        // Training changed the weights and the loss is finite; the configuration is checked on resume.
        assert!(whole.history().iter().all(|e| e.train_loss.is_finite()));
        let mut other = config(&b, "max");
        other.optim.lr = 2e-3;
        assert!(Trainer::resume(other, data).is_err());
        let _ = std::fs::remove_dir_all(&base);
    }

    /// `swa_epochs` may change on --resume while its new window lies after the checkpoint, or
    /// keeps its first epoch and grows at the end: a run extended either way is the
    /// uninterrupted run with the final configuration.
    #[test]
    fn averaging_window_moves_with_an_extended_run() {
        let base = std::env::temp_dir().join(format!("screen-train-swa-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let (a, b) = (base.join("a"), base.join("b"));
        let with = |out: &Path, epochs: usize, swa: usize| {
            let mut c = config(out, "no");
            (c.optim.epochs, c.optim.swa_epochs) = (epochs, swa);
            c
        };
        let c = with(&a, 3, 1);
        let data = Dataset::read(&c.data.files, &c.data.targets, "split", c.data.max_atoms, &c.model_config().unwrap()).unwrap();
        let mut whole = Trainer::new(c, data.clone()).unwrap();
        whole.run(&mut Quiet, None).unwrap();

        let mut first = Trainer::new(with(&b, 2, 0), data.clone()).unwrap();
        first.run(&mut Quiet, None).unwrap();
        drop(first);
        let e = Trainer::resume(with(&b, 3, 2), data.clone()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("swa_epochs = 2 would start weight averaging at epoch 2"), "{e}");
        let mut extended = Trainer::resume(with(&b, 3, 1), data.clone()).unwrap();
        extended.run(&mut Quiet, None).unwrap();
        assert_eq!(losses(&whole), losses(&extended));
        assert_eq!(params(&whole), params(&extended));
        assert_eq!(whole.export(&a.join("model")).unwrap(), extended.export(&b.join("model")).unwrap());
        drop(extended);

        // The window that began at epoch 3 goes on for one more epoch: 4 epochs, the last 2 averaged.
        let mut longer = Trainer::new(with(&base.join("c"), 4, 2), data.clone()).unwrap();
        longer.run(&mut Quiet, None).unwrap();
        let mut grown = Trainer::resume(with(&b, 4, 2), data.clone()).unwrap();
        assert_eq!(grown.state.swa_count, 1, "the averaged snapshot is kept");
        grown.run(&mut Quiet, None).unwrap();
        assert_eq!(losses(&longer), losses(&grown));
        assert_eq!(longer.export(&base.join("c").join("model")).unwrap(), grown.export(&b.join("model")).unwrap());
        let e = Trainer::resume(with(&b, 5, 2), data).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("would start weight averaging at epoch 4"), "{e}");
        let _ = std::fs::remove_dir_all(&base);
    }

    /// The exported directory loads with the predictor and reproduces the trainer's own
    /// predictions in target units (mean/std folded into the last layer), without frames too.
    #[test]
    fn exported_model_predicts_what_the_trainer_predicts() {
        let base = std::env::temp_dir().join(format!("screen-train-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let mut c = config(&base, "no");
        c.optim.swa_epochs = 0;
        c.optim.epochs = 1;
        let data = Dataset::read(&c.data.files, &c.data.targets, "split", c.data.max_atoms, &c.model_config().unwrap()).unwrap();
        let mut t = Trainer::new(c, data).unwrap();
        t.run(&mut Quiet, None).unwrap();
        let dir = base.join("model");
        let val = t.export(&dir).unwrap();
        let idx = t.val.clone();
        let (pred, _) = t.predict(&idx).unwrap();
        let p = crate::Predictor::from_dir(&dir).unwrap();
        let inputs: Vec<CrystalInput> = idx.iter().map(|&i| t.data.samples[i].input.clone()).collect();
        let got = p.predict(&inputs).unwrap();
        for (r, row) in got.iter().enumerate() {
            for k in 0..2 {
                assert!((row[k] as f64 - pred[k][r]).abs() < 1e-4 * (1.0 + pred[k][r].abs()), "{row:?} vs {}", pred[k][r]);
            }
        }
        assert_eq!(p.metadata().targets[0].unit, "eV/atom");
        assert!(val[0].mae.is_finite());
        let _ = std::fs::remove_dir_all(&base);
    }

    /// Extending a finished run (`--resume --epochs N`) averages only the new last epochs: the
    /// old run's SWA snapshots are dropped once the window has moved past them.
    #[test]
    fn extended_run_averages_only_its_own_last_epochs() {
        let base = std::env::temp_dir().join(format!("screen-train-extend-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let mut c = config(&base, "no");
        c.optim.epochs = 2;
        c.optim.swa_epochs = 1;
        let data = Dataset::read(&c.data.files, &c.data.targets, "split", c.data.max_atoms, &c.model_config().unwrap()).unwrap();
        let mut t = Trainer::new(c.clone(), data.clone()).unwrap();
        t.run(&mut Quiet, None).unwrap();
        assert_eq!(t.state.swa_count, 1);
        drop(t);
        c.optim.epochs = 4;
        let mut t = Trainer::resume(c, data).unwrap();
        assert_eq!((t.state.swa_count, t.swa.len(), t.state.swa_lr), (0, 0, None));
        t.run(&mut Quiet, None).unwrap();
        assert_eq!(t.epochs_done(), 4);
        assert_eq!(t.state.swa_count, 1);
        assert_eq!(t.history().iter().map(|e| e.swa).collect::<Vec<_>>(), vec![false, true, false, true]);
        let _ = std::fs::remove_dir_all(&base);
    }
}
