//! `screen compositions`: every charge-neutral, electronegativity-ordered composition of an
//! element pool (SMACT's `smact_filter` over all element combinations).

use super::Status;
use indicatif::{ProgressBar, ProgressStyle};
use screen_engine::chem::screening::FilterOptions;
use screen_engine::chem::{Element, OxidationStateSet};
use screen_engine::filter::pool_compositions;
use screen_engine::{Error, Result};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// List every charge-neutral composition of an element pool whose cations are less
/// electronegative than its anions (SMACT's `smact_filter`, same answers), for each
/// combination of `--size` elements, with stoichiometric coefficients up to `--max-stoich`.
/// Elements are taken in order of electronegativity, so formulas read cation first
/// ("LiFeO2"). One row per (oxidation states, stoichiometry), or per distinct stoichiometry
/// with `--unique`.
///
/// Example: screen compositions --elements Li,Na,K,Fe,Mn,O,S --size 3 --max-stoich 8 -o out.csv
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Element pool, comma separated (Li,Fe,O); repeated elements count once.
    #[arg(long, required = true, value_delimiter = ',', value_name = "EL,EL,…")]
    elements: Vec<String>,
    /// Number of elements per composition; a comma list gives several (2,3).
    #[arg(long, default_value = "3", value_delimiter = ',', value_name = "N")]
    size: Vec<usize>,
    /// Largest stoichiometric coefficient (SMACT's threshold).
    #[arg(long, default_value_t = 8, value_name = "N")]
    max_stoich: u32,
    /// Oxidation-state set: icsd24 (SMACT's smact_filter default), icsd24_consensus3, smact14,
    /// icsd16, pymatgen_sp, wiki, pymatgen_common, pymatgen_icsd, pymatgen_all.
    #[arg(long, default_value = "icsd24", value_name = "SET")]
    oxidation_states: String,
    /// One row per distinct stoichiometry (SMACT's species_unique=False).
    #[arg(long)]
    unique: bool,
    /// Output file, .csv or .jsonl (default: CSV on standard output).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

fn formula(elements: &[Element], stoichiometry: &[u32]) -> String {
    let mut s = String::new();
    for (e, &n) in elements.iter().zip(stoichiometry) {
        s.push_str(e.symbol());
        if n != 1 {
            s.push_str(&n.to_string());
        }
    }
    s
}

fn join<T: ToString>(v: &[T]) -> String {
    v.iter().map(T::to_string).collect::<Vec<_>>().join(" ")
}

pub fn run(args: Args) -> Result<Status> {
    let set = OxidationStateSet::from_name(&args.oxidation_states).ok_or_else(|| {
        let names: Vec<&str> = OxidationStateSet::ALL.iter().map(|s| s.name()).collect();
        Error::Usage(format!("--oxidation-states '{}': expected one of {}", args.oxidation_states, names.join(", ")))
    })?;
    let mut pool: Vec<Element> = Vec::new();
    for symbol in &args.elements {
        let e = Element::from_symbol(symbol.trim()).map_err(|e| Error::Usage(format!("--elements: {e}")))?;
        if !pool.contains(&e) {
            pool.push(e);
        }
    }
    // Cations first: SMACT electronegativity (elements without one last), then Z.
    pool.sort_by(|a, b| {
        let en = |e: &Element| e.electronegativity_smact().unwrap_or(f64::INFINITY);
        en(a).total_cmp(&en(b)).then(a.z().cmp(&b.z()))
    });
    if args.size.iter().any(|&k| k == 0) {
        return Err(Error::Usage("--size must be at least 1".into()));
    }
    if let Some(e) = pool.iter().find(|e| e.oxidation_states(set).is_empty()) {
        return Err(Error::Usage(format!("--elements: no oxidation states for {e} in oxidation-state set '{set}'")));
    }
    let jsonl = match &args.out {
        None => false,
        Some(p) => match p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => false,
            Some("jsonl") | Some("ndjson") => true,
            _ => return Err(Error::Usage(format!("--out '{}': expected a .csv or .jsonl file", p.display()))),
        },
    };
    let sink: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::fs::File::create(p).map_err(|e| Error::io(p.display(), e))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let out_name = args.out.as_ref().map_or("standard output".to_string(), |p| p.display().to_string());
    let mut out = BufWriter::new(sink);
    let io = |e: std::io::Error| Error::io(&out_name, e);
    if !jsonl {
        writeln!(out, "formula,elements,oxidation_states,stoichiometry").map_err(io)?;
    }
    let options = FilterOptions { threshold: args.max_stoich, oxidation_states: set };
    let combinations: u64 = args.size.iter().map(|&k| binomial(pool.len() as u64, k as u64)).sum();
    let progress = ProgressBar::new_spinner();
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} compositions ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut rows = 0u64;
    let mut write_error: Option<std::io::Error> = None;
    let mut seen = std::collections::HashSet::new();
    let mut last_elements: Vec<Element> = Vec::new();
    for &k in &args.size {
        let result = pool_compositions(&pool, k, &options, |elements, states, stoichiometry| {
            if write_error.is_some() {
                return;
            }
            if elements != last_elements.as_slice() {
                last_elements = elements.to_vec();
                seen.clear();
            }
            if args.unique && !seen.insert(stoichiometry.to_vec()) {
                return;
            }
            let f = formula(elements, stoichiometry);
            let symbols: Vec<&str> = elements.iter().map(|e| e.symbol()).collect();
            let written = if jsonl {
                let row = serde_json::json!({
                    "formula": f,
                    "elements": symbols,
                    "oxidation_states": if args.unique { serde_json::Value::Null } else { serde_json::json!(states) },
                    "stoichiometry": stoichiometry,
                });
                writeln!(out, "{row}")
            } else {
                let states = if args.unique { String::new() } else { join(states) };
                writeln!(out, "{f},{},{states},{}", symbols.join(" "), join(stoichiometry))
            };
            match written {
                Ok(()) => {
                    rows += 1;
                    if rows % 4096 == 0 {
                        progress.set_position(rows);
                    }
                }
                Err(e) => write_error = Some(e),
            }
        });
        result.map_err(|e| Error::Usage(format!("--elements: {e}")))?;
    }
    if let Some(e) = write_error {
        return Err(io(e));
    }
    out.flush().map_err(io)?;
    progress.finish_and_clear();
    eprintln!("{rows} compositions from {combinations} element combinations of {} elements", pool.len());
    Ok(Status::Success)
}

fn binomial(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    (0..k).fold(1u64, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}
