//! `screen run`: runs a Rhai screening script (see docs/rhai.md).

use super::Status;
use indicatif::{ProgressBar, ProgressStyle};
use screen_engine::pipeline::{Observer, Summary};
use screen_engine::script::{self, Config, Host, Settings};
use screen_engine::{Error, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Run a screening script: generate, filter, predict, rank and write candidates as the Rhai
/// script says. Prints a summary table per pipeline (how many candidates each stage removed
/// and why). Exit codes: 0 done; 1 some candidates failed with an error (listed, the rest
/// were written); 2 the script failed (error with file:line:column) or bad arguments;
/// 130 interrupted by Ctrl-C (outputs hold everything finished until then).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The Rhai script.
    #[arg(value_name = "SCRIPT.rhai")]
    script: PathBuf,
    /// Worker threads (default: all cores). Outputs do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// A setting the script reads with `setting("key", default)`; repeatable. Its value is
    /// also allowed as a file path (relative to the current directory).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Let the script read and write under PATH too (besides its own directory).
    #[arg(long, value_name = "PATH")]
    allow: Vec<PathBuf>,
    /// Configuration file (default: the nearest screen.toml above the script, else the
    /// repository's).
    #[arg(long, value_name = "screen.toml")]
    config: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

struct CliHost {
    quiet: bool,
}

struct Bar {
    bar: ProgressBar,
}

impl Observer for Bar {
    fn start(&self, total: Option<u64>) {
        if let Some(n) = total {
            self.bar.set_length(n);
            self.bar.set_style(
                ProgressStyle::with_template("{bar:30} {human_pos}/{human_len} candidates ({per_sec}, ETA {eta}) {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
    }

    fn progress(&self, s: &Summary) {
        self.bar.set_position(s.generated());
        let kept: Vec<String> = s
            .stages
            .iter()
            .skip(1)
            .filter(|st| st.kind != "rank")
            .map(|st| format!("{} {}", short(&st.name), st.output()))
            .collect();
        self.bar.set_message(format!("accepted: {}", kept.join(" → ")));
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn short(name: &str) -> String {
    let first = name.split(" (").next().unwrap_or(name);
    if first.chars().count() > 18 { format!("{}…", first.chars().take(17).collect::<String>()) } else { first.to_string() }
}

impl Host for CliHost {
    fn observer(&self, _source: &str) -> Box<dyn Observer> {
        let bar = if self.quiet { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {human_pos} candidates ({per_sec}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Box::new(Bar { bar })
    }

    fn finished(&self, summary: &Summary) {
        println!("{summary}");
    }

    fn print(&self, text: &str) {
        println!("{text}");
    }
}

pub fn run(args: Args) -> Result<Status> {
    let mut values = BTreeMap::new();
    for kv in &args.set {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(Error::Usage(format!("--set '{kv}': expected KEY=VALUE")));
        };
        values.insert(k.trim().to_string(), v.to_string());
    }
    let threads = match args.threads {
        Some(0) => return Err(Error::Usage("--threads must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    if !args.script.is_file() {
        return Err(Error::Usage(format!("{}: no such script", args.script.display())));
    }
    let config = args.config.as_deref().map(Config::from_file).transpose()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // First Ctrl-C: stop generating, finish and write what is in flight. Second: exit now.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: finishing the candidates in flight and writing the outputs (Ctrl-C again to abort)");
    });
    let settings = Settings {
        registry: crate::plugins::registry(),
        config,
        threads,
        values,
        allow: args.allow.clone(),
        stop: stop.clone(),
        repository: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        host: Arc::new(CliHost { quiet: args.quiet }),
    };
    let result = script::run_file(&args.script, settings);
    let interrupted = stop.load(Ordering::SeqCst);
    match result {
        Ok(summaries) => {
            if interrupted {
                std::process::exit(130);
            }
            Ok(if summaries.iter().any(|s| s.error_count > 0) { Status::InputErrors } else { Status::Success })
        }
        Err(e) if e.interrupted || interrupted => {
            eprintln!("interrupted");
            std::process::exit(130);
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(Status::Usage)
        }
    }
}
