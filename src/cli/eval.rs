//! `screen eval`: accuracy of a model directory on a labelled data set (MAE, RMSE, R² per
//! target and split, next to a mean predictor), with predicted-vs-true parity plots and the
//! learning curve of its training log as SVG. An ensemble is scored as a whole and member by
//! member, so what averaging gains is on record.

use super::Status;
use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use screen_crystalframer::geometry::CrystalInput;
use screen_crystalframer::train::{Dataset, Metrics, Split, target_stats};
use screen_crystalframer::{Metadata, Predictor, checkpoint};
use screen_engine::{Error, Result};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Evaluate a model on a labelled JSON Lines data set: prints and writes MAE, RMSE and R²
/// per target for the chosen split, with a mean-predictor baseline (the training-set mean of
/// the model card), per-crystal predictions (CSV), parity plots and the learning curve (SVG).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory (model.safetensors, config.json, metadata.json), or an ensemble's.
    #[arg(long, value_name = "DIR")]
    model: PathBuf,
    /// Labelled data (JSON Lines, the ../shared/data layout) holding the model's targets; several
    /// files are read in order and a repeated id is counted once (the first record).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    data: Vec<PathBuf>,
    /// train, val, test or all.
    #[arg(long, default_value = "test", value_name = "SPLIT")]
    split: String,
    /// Record field holding the split (default: the one the model was trained with).
    #[arg(long, value_name = "FIELD")]
    split_field: Option<String>,
    /// Output directory for metrics, predictions and plots (default: <model>/eval).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Crystals per forward pass.
    #[arg(long, default_value_t = 64, value_name = "N")]
    batch_size: usize,
    /// Also record the metrics in the model's metadata.json (`metrics.<target>.<split>`).
    #[arg(long)]
    update_card: bool,
}

pub fn run(args: Args) -> Result<Status> {
    let usage = |e: screen_crystalframer::Error| Error::Usage(format!("{}: {e}", args.model.display()));
    let predictor = Predictor::from_dir(&args.model).map_err(usage)?.with_batch_size(args.batch_size);
    let metadata = predictor.metadata().clone();
    let split = match args.split.as_str() {
        "all" => None,
        s => Some(Split::from_name(s).ok_or_else(|| Error::Usage(format!("--split '{s}': expected train, val, test or all")))?),
    };
    let split_field = args
        .split_field
        .clone()
        .or_else(|| metadata.training_data.get("split_field").and_then(|v| v.as_str()).map(String::from))
        .unwrap_or_else(|| "split".into());
    let targets: Vec<String> = metadata.targets.iter().map(|t| t.name.clone()).collect();
    let data_names: Vec<String> = args.data.iter().map(|f| f.display().to_string()).collect();
    let data = Dataset::read(
        &args.data,
        &targets,
        &split_field,
        screen_crystalframer::geometry::MAX_ATOMS,
        predictor.model().config(),
    )
    .map_err(|e| Error::Usage(e.to_string()))?;
    eprintln!("{}: {}", data_names.join(", "), data.summary());
    for s in data.skipped.iter().take(10) {
        eprintln!("skipped: {} record {} ({}): {}", s.file, s.record, s.id, s.reason);
    }
    if data.skipped.len() > 10 {
        eprintln!("skipped: ... {} more", data.skipped.len() - 10);
    }
    let chosen: Vec<usize> = (0..data.samples.len()).filter(|&i| split.is_none_or(|s| data.samples[i].split == s)).collect();
    if chosen.is_empty() {
        return Err(Error::Usage(format!("{}: no usable records in split '{}' ({})", data_names.join(", "), args.split, data.summary())));
    }

    // Mean predictor: the training mean the model was normalised with, else this file's.
    let baseline: Vec<f64> = match metadata.training_data.get("target_mean").and_then(|v| v.as_array()) {
        Some(m) if m.len() == targets.len() => m.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect(),
        _ => {
            let train: Vec<_> = data.samples.iter().filter(|s| s.split == Split::Train).collect();
            target_stats(&train, targets.len()).0
        }
    };

    let progress = ProgressBar::new(chosen.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} crystals ({per_sec}, ETA {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let t = targets.len();
    let n_members = predictor.members().len();
    let (mut pred, mut truth, mut ids) = (vec![Vec::new(); t], vec![Vec::new(); t], Vec::new());
    // For an ensemble: [member][target][crystal] and the spread [target][crystal].
    let kept_members = if n_members > 1 { n_members } else { 0 };
    let (mut member_pred, mut spread) = (vec![vec![Vec::new(); t]; kept_members], vec![Vec::new(); t]);
    let mut failed = 0usize;
    for chunk in chosen.chunks(args.batch_size.max(1) * 8) {
        let inputs: Vec<CrystalInput> = chunk.iter().map(|&i| data.samples[i].input.clone()).collect();
        for (&i, r) in chunk.iter().zip(predictor.predict_each(&inputs)) {
            match r {
                Ok(y) => {
                    ids.push(data.samples[i].id.clone());
                    for k in 0..t {
                        pred[k].push(y.mean[k] as f64);
                        truth[k].push(data.samples[i].targets[k] as f64);
                        for (m, row) in member_pred.iter_mut().zip(&y.members) {
                            m[k].push(row[k] as f64);
                        }
                        if let Some(std) = &y.std {
                            spread[k].push(std[k] as f64);
                        }
                    }
                }
                Err(e) => {
                    failed += 1;
                    progress.suspend(|| eprintln!("error: {}: {e}", data.samples[i].id));
                }
            }
        }
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();

    let out = args.out.clone().unwrap_or_else(|| args.model.join("eval"));
    std::fs::create_dir_all(&out).map_err(|e| Error::io(out.display(), e))?;
    let split_name = split.map_or("all", Split::name);
    let mut report = serde_json::Map::new();
    println!("{:<14} {:<6} {:>6} {:>10} {:>10} {:>8} {:>14}", "target", "split", "n", "MAE", "RMSE", "R²", "MAE(mean)");
    for (k, meta) in metadata.targets.iter().enumerate() {
        let m = Metrics::of(&pred[k], &truth[k]);
        let base = Metrics::of(&vec![baseline[k]; truth[k].len()], &truth[k]);
        println!(
            "{:<14} {:<6} {:>6} {:>10.5} {:>10.5} {:>8.4} {:>14.5}   ({})",
            meta.name, split_name, m.n, m.mae, m.rmse, m.r2, base.mae, meta.unit
        );
        let mut entry = json!({"unit": meta.unit, "model": m, "mean_predictor": base});
        if n_members > 1 {
            let mut members = Vec::new();
            for (member, p) in predictor.members().iter().zip(&member_pred) {
                let mm = Metrics::of(&p[k], &truth[k]);
                println!("{:<14} {:<6} {:>6} {:>10.5} {:>10.5} {:>8.4}   member {}", "", "", mm.n, mm.mae, mm.rmse, mm.r2, member.source.display());
                members.push(json!({"member": member.source.display().to_string(), "metrics": mm}));
            }
            let calibration = spread_calibration(&pred[k], &truth[k], &spread[k]);
            let num = |key: &str| calibration[key].as_f64().unwrap_or(f64::NAN);
            println!(
                "{:<14} {:<6} {:>6} spread: mean {:.5}; |error| vs spread Spearman {:.3}; MAE of the most / least certain half {:.5} / {:.5}",
                "",
                "",
                m.n,
                num("mean_std"),
                num("spearman"),
                num("mae_most_certain_half"),
                num("mae_least_certain_half")
            );
            entry["members"] = json!(members);
            entry["spread"] = calibration;
        }
        report.insert(meta.name.clone(), entry);
        let svg = out.join(format!("parity_{}_{split_name}.svg", meta.name));
        parity_plot(&svg, &format!("{} ({split_name}, n = {}): MAE {:.4} {}", meta.name, m.n, m.mae, meta.unit), &meta.unit, &truth[k], &pred[k])
            .map_err(|e| Error::Usage(format!("{}: {e}", svg.display())))?;
    }
    let metrics_path = out.join(format!("metrics_{split_name}.json"));
    let body = json!({"model": args.model.display().to_string(), "data": data_names, "split": split_name, "failed": failed, "targets": report});
    std::fs::write(&metrics_path, serde_json::to_string_pretty(&body).unwrap_or_default()).map_err(|e| Error::io(metrics_path.display(), e))?;
    write_predictions(&out.join(format!("predictions_{split_name}.csv")), &metadata, &ids, &truth, &pred, &spread)?;
    let log = args.model.join("training_log.csv");
    if log.exists() {
        let svg = out.join("learning_curve.svg");
        learning_curve(&log, &svg, &metadata).map_err(|e| Error::Usage(format!("{}: {e}", svg.display())))?;
    }
    if args.update_card {
        update_card(&args.model, split_name, &report)?;
    }
    eprintln!("metrics, predictions and plots written to {}", out.display());
    Ok(if failed > 0 || !data.skipped.is_empty() { Status::InputErrors } else { Status::Success })
}

/// `id,<t>_true,<t>_pred[,<t>_std]` per crystal (the spread column for ensembles).
fn write_predictions(path: &Path, metadata: &Metadata, ids: &[String], truth: &[Vec<f64>], pred: &[Vec<f64>], spread: &[Vec<f64>]) -> Result<()> {
    let has_spread = spread.iter().all(|s| s.len() == ids.len()) && !ids.is_empty();
    let mut text = String::from("id");
    for t in &metadata.targets {
        text += &format!(",{0}_true,{0}_pred", t.name);
        if has_spread {
            text += &format!(",{}_std", t.name);
        }
    }
    text.push('\n');
    for (r, id) in ids.iter().enumerate() {
        text += &format!("\"{}\"", id.replace('"', "\"\""));
        for k in 0..truth.len() {
            text += &format!(",{},{}", truth[k][r], pred[k][r]);
            if has_spread {
                text += &format!(",{}", spread[k][r]);
            }
        }
        text.push('\n');
    }
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path.display(), e))?;
    f.write_all(text.as_bytes()).map_err(|e| Error::io(path.display(), e))
}

/// Whether an ensemble's spread tells large errors from small ones: the mean spread, the
/// Spearman rank correlation of |error| with the spread, and the MAE of the most and least
/// certain halves of the crystals.
fn spread_calibration(pred: &[f64], truth: &[f64], std: &[f64]) -> serde_json::Value {
    let n = pred.len().min(std.len());
    if n < 2 {
        return json!({"mean_std": f64::NAN, "spearman": f64::NAN});
    }
    let err: Vec<f64> = (0..n).map(|i| (pred[i] - truth[i]).abs()).collect();
    let ranks = |x: &[f64]| {
        let mut order: Vec<usize> = (0..x.len()).collect();
        order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
        let mut r = vec![0.0; x.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
                j += 1;
            }
            for &o in &order[i..=j] {
                r[o] = (i + j) as f64 / 2.0;
            }
            i = j + 1;
        }
        r
    };
    let (re, rs) = (ranks(&err), ranks(&std[..n]));
    let mean = (n as f64 - 1.0) / 2.0;
    let (mut cov, mut ve, mut vs) = (0.0, 0.0, 0.0);
    for i in 0..n {
        cov += (re[i] - mean) * (rs[i] - mean);
        ve += (re[i] - mean).powi(2);
        vs += (rs[i] - mean).powi(2);
    }
    let mut by_spread: Vec<usize> = (0..n).collect();
    by_spread.sort_by(|&a, &b| std[a].total_cmp(&std[b]));
    let half_mae = |idx: &[usize]| idx.iter().map(|&i| err[i]).sum::<f64>() / idx.len().max(1) as f64;
    json!({
        "mean_std": std[..n].iter().sum::<f64>() / n as f64,
        "spearman": cov / (ve * vs).sqrt(),
        "mae_most_certain_half": half_mae(&by_spread[..n / 2]),
        "mae_least_certain_half": half_mae(&by_spread[n / 2..]),
    })
}

/// Writes `metrics.<target>.<split>` into the model's metadata.json.
fn update_card(model: &Path, split: &str, report: &serde_json::Map<String, serde_json::Value>) -> Result<()> {
    let path = model.join(checkpoint::METADATA_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(path.display(), e))?;
    let mut meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    if !meta.get("metrics").is_some_and(|m| m.is_object()) {
        meta["metrics"] = json!({});
    }
    for (target, r) in report {
        if !meta["metrics"].get(target).is_some_and(|m| m.is_object()) {
            meta["metrics"][target] = json!({});
        }
        meta["metrics"][target][split] = r["model"].clone();
        meta["metrics"][target][format!("{split}_mean_predictor")] = r["mean_predictor"].clone();
        for part in ["members", "spread"] {
            if let Some(v) = r.get(part) {
                meta["metrics"][target][format!("{split}_{part}")] = v.clone();
            }
        }
    }
    let text = serde_json::to_string_pretty(&meta).unwrap_or_default();
    std::fs::write(&path, text).map_err(|e| Error::io(path.display(), e))
}

type PlotResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Predicted against true values with the diagonal.
fn parity_plot(path: &Path, title: &str, unit: &str, truth: &[f64], pred: &[f64]) -> PlotResult {
    let finite = truth.iter().chain(pred).copied().filter(|x| x.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let (lo, hi) = if lo < hi { (lo, hi) } else { (lo - 1.0, lo + 1.0) };
    let pad = 0.03 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let root = SVGBackend::new(path, (640, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, lo..hi)?;
    chart.configure_mesh().x_desc(format!("true ({unit})")).y_desc(format!("predicted ({unit})")).draw()?;
    chart.draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.stroke_width(1)))?;
    chart.draw_series(
        truth.iter().zip(pred).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| Circle::new((*x, *y), 2, BLUE.mix(0.35).filled())),
    )?;
    root.present()?;
    Ok(())
}

/// Training loss and validation MAE per epoch from the training log (log.csv of the run).
fn learning_curve(log: &Path, svg: &Path, metadata: &Metadata) -> PlotResult {
    let text = std::fs::read_to_string(log)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let epoch_col = col("epoch").ok_or("no epoch column")?;
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for t in &metadata.targets {
        for (label, name) in [("train MAE", format!("train_mae_{}", t.name)), ("val MAE", format!("val_mae_{}", t.name))] {
            if let Some(c) = col(&name) {
                series.push((format!("{label} {} ({})", t.name, t.unit), Vec::new()));
                let last = series.len() - 1;
                for line in text.lines().skip(1) {
                    let f: Vec<&str> = line.split(',').collect();
                    if let (Some(e), Some(v)) = (f.get(epoch_col).and_then(|s| s.parse().ok()), f.get(c).and_then(|s| s.parse::<f64>().ok()))
                        && v.is_finite()
                        && v > 0.0
                    {
                        series[last].1.push((e, v));
                    }
                }
            }
        }
    }
    let points = series.iter().flat_map(|s| s.1.iter());
    let (x_max, y_min, y_max) = points.fold((1f64, f64::INFINITY, 0f64), |(x, lo, hi), p| (x.max(p.0), lo.min(p.1), hi.max(p.1)));
    if !y_min.is_finite() {
        return Ok(());
    }
    let root = SVGBackend::new(svg, (720, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("learning curve", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max + 0.5, (y_min * 0.8..y_max * 1.25).log_scale())?;
    chart.configure_mesh().x_desc("epoch").y_desc("MAE").draw()?;
    let colors = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];
    for (n, (label, pts)) in series.into_iter().enumerate() {
        let color = colors[n % colors.len()];
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_calibration_ranks_errors_against_spread() {
        let truth = [0.0; 4];
        let pred = [0.1, -0.2, 0.3, 0.4];
        // Spread in the errors' order: perfect rank agreement, halves split by certainty.
        let c = spread_calibration(&pred, &truth, &[0.01, 0.02, 0.03, 0.04]);
        assert!((c["spearman"].as_f64().unwrap() - 1.0).abs() < 1e-12, "{c}");
        assert!((c["mae_most_certain_half"].as_f64().unwrap() - 0.15).abs() < 1e-12, "{c}");
        assert!((c["mae_least_certain_half"].as_f64().unwrap() - 0.35).abs() < 1e-12, "{c}");
        assert!((c["mean_std"].as_f64().unwrap() - 0.025).abs() < 1e-12, "{c}");
        // Reversed order, and ties share their mean rank.
        let c = spread_calibration(&pred, &truth, &[0.04, 0.03, 0.02, 0.01]);
        assert!((c["spearman"].as_f64().unwrap() + 1.0).abs() < 1e-12, "{c}");
        let c = spread_calibration(&pred, &truth, &[0.01, 0.01, 0.02, 0.02]);
        assert!((c["spearman"].as_f64().unwrap() - 0.8944271909999159).abs() < 1e-12, "{c}");
    }
}
