//! `screen info`: what a structure file holds.

use super::Status;
use super::input::{InputOptions, expand_inputs, for_each_record};
use screen_engine::Result;
use screen_engine::crystal::{Entry, Structure};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Show formula, lattice parameters, volume, density, site count and declared space group.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Structure files or directories (read recursively).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// One JSON object per structure (JSON Lines) instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    input: InputOptions,
}

pub fn run(args: Args) -> Result<Status> {
    let inputs = expand_inputs(&args.files);
    let mut failed = 0usize;
    let stdout = std::io::stdout();
    for_each_record(&inputs, &args.input, |path, record| match record {
        Ok(entry) => {
            let summary = summarize(path, &entry);
            if args.json {
                println!("{summary}");
            } else {
                print_text(&summary);
            }
        }
        Err(e) => {
            failed += 1;
            if args.json {
                println!("{}", json!({"file": path.display().to_string(), "error": e.to_string()}));
            }
            eprintln!("error: {e}");
        }
    })?;
    drop(stdout);
    Ok(if failed > 0 { Status::InputErrors } else { Status::Success })
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The machine-readable description of one structure (`--json`).
fn summarize(path: &Path, entry: &Entry) -> Value {
    let comp = entry.structure.composition();
    let mut v = json!({
        "file": path.display().to_string(),
        "id": entry.id,
        "location": entry.location,
        "formula": comp.formula(),
        "reduced_formula": comp.reduced_formula(),
        "anonymous_formula": comp.anonymous_formula(),
        "elements": comp.elements().map(|e| e.symbol()).collect::<Vec<_>>(),
        "n_sites": entry.structure.num_sites(),
        "num_atoms": round(comp.num_atoms(), 6),
    });
    match &entry.structure {
        Structure::Crystal(c) => {
            let p = c.lattice.parameters();
            v["periodic"] = json!(true);
            v["ordered"] = json!(c.is_ordered());
            v["lattice"] = json!({
                "a": p.a, "b": p.b, "c": p.c, "alpha": p.alpha, "beta": p.beta, "gamma": p.gamma,
                "matrix": c.lattice.matrix(),
            });
            v["volume"] = json!(c.volume());
            v["density"] = json!(c.density());
            v["pbc"] = json!(c.pbc);
            if let Some(sym) = &c.symmetry {
                v["declared_space_group"] = json!({
                    "symbol": sym.hermann_mauguin,
                    "number": sym.number,
                    "n_operations": sym.operations.len(),
                });
            }
            if !c.site_properties.is_empty() {
                v["site_properties"] = json!(c.site_properties.keys().collect::<Vec<_>>());
            }
        }
        Structure::Molecule(_) => {
            v["periodic"] = json!(false);
        }
    }
    v
}

fn print_text(v: &Value) {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    println!("{} [{}]", s("file"), s("location"));
    println!("  formula      {} ({}), anonymous {}", s("reduced_formula"), s("formula"), s("anonymous_formula"));
    let ordered = if v["ordered"] == json!(false) { ", disordered" } else { "" };
    println!("  sites        {}{} ({} atoms)", v["n_sites"], ordered, v["num_atoms"]);
    if v["periodic"] == json!(true) {
        let l = &v["lattice"];
        let f = |k: &str| l[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "  lattice      a={:.6} b={:.6} c={:.6} Å  α={:.4} β={:.4} γ={:.4}°",
            f("a"), f("b"), f("c"), f("alpha"), f("beta"), f("gamma")
        );
        println!("  volume       {:.4} Å³", v["volume"].as_f64().unwrap_or(f64::NAN));
        println!("  density      {:.4} g/cm³", v["density"].as_f64().unwrap_or(f64::NAN));
        if let Some(sg) = v.get("declared_space_group") {
            let symbol = sg["symbol"].as_str().unwrap_or("(no symbol)");
            let number = sg["number"].as_u64().map(|n| format!(" (No. {n})")).unwrap_or_default();
            println!("  space group  {symbol}{number}, {} operations, as declared in the file", sg["n_operations"]);
        }
        if let Some(props) = v.get("site_properties") {
            println!("  site props   {}", props.as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default());
        }
    } else {
        println!("  molecule     no lattice (non-periodic)");
    }
}
