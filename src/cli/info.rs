//! `screen info`: what a structure file holds.

use super::Status;
use super::input::{InputOptions, expand_inputs, for_each_record};
use screen_engine::crystal::{Crystal, Entry, Structure};
use screen_engine::formats::{self, Format};
use screen_engine::symmetry::reduction::{self, LatticeReduction};
use screen_engine::symmetry::{Backend, SymmetryDataset, SymmetryOptions, species_label};
use screen_engine::{Error, Result};
use serde_json::{Value, json};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Show formula, lattice parameters, volume, density, site count, the space group and Wyckoff
/// sequence found by spglib (or moyo), and the space group the file declared. --primitive,
/// --standard and --niggli write reduced cells (format from the file name, or --to).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Structure files or directories (read recursively).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// One JSON object per structure (JSON Lines) instead of text.
    #[arg(long)]
    json: bool,
    /// Symmetry code: spglib (default) or moyo.
    #[arg(long, default_value = "spglib", value_name = "BACKEND")]
    symmetry: String,
    /// Distance tolerance of the symmetry search, Å (pymatgen's default; spglib's own is 1e-5).
    #[arg(long, default_value_t = screen_engine::symmetry::DEFAULT_SYMPREC, value_name = "Å")]
    symprec: f64,
    /// Angle tolerance of the symmetry search, degrees; a negative value uses the distance
    /// tolerance alone (spglib's default, -1).
    #[arg(long, default_value_t = screen_engine::symmetry::DEFAULT_ANGLE_TOLERANCE, value_name = "DEG", allow_negative_numbers = true)]
    angle_tolerance: f64,
    /// Write the primitive standardized cell(s) here (spglib's find_primitive).
    #[arg(long, value_name = "FILE")]
    primitive: Option<PathBuf>,
    /// Write the conventional standardized (refined) cell(s) here.
    #[arg(long, value_name = "FILE")]
    standard: Option<PathBuf>,
    /// Write the Niggli-reduced cell(s) here (same sites, reduced basis).
    #[arg(long, value_name = "FILE")]
    niggli: Option<PathBuf>,
    /// Format of the --primitive/--standard/--niggli files; default: from each file name.
    #[arg(long, value_name = "FORMAT")]
    to: Option<String>,
    #[command(flatten)]
    input: InputOptions,
}

impl Args {
    fn symmetry_options(&self) -> Result<SymmetryOptions> {
        let backend = self.symmetry.parse::<Backend>().map_err(Error::Usage)?;
        if !(self.symprec.is_finite() && self.symprec > 0.0) {
            return Err(Error::Usage("--symprec must be a positive length in Å".into()));
        }
        let angle = self.angle_tolerance;
        if !angle.is_finite() || angle >= 90.0 || angle == 0.0 {
            return Err(Error::Usage("--angle-tolerance must be in (0, 90) degrees, or negative for none".into()));
        }
        Ok(SymmetryOptions { backend, symprec: self.symprec, angle_tolerance: (angle > 0.0).then_some(angle) })
    }

    fn output_format(&self, path: &Path) -> Result<Format> {
        match &self.to {
            Some(name) => Format::from_name(name),
            None => Format::from_path(path)
                .ok_or_else(|| Error::Usage(format!("cannot tell the format of '{}': use --to", path.display()))),
        }
    }
}

/// Reduced cells collected for one output file.
struct CellOutput {
    path: PathBuf,
    format: Format,
    entries: Vec<Entry>,
}

pub fn run(args: Args) -> Result<Status> {
    let options = args.symmetry_options()?;
    let mut outputs: Vec<(CellKind, CellOutput)> = Vec::new();
    for (kind, path) in [(CellKind::Primitive, &args.primitive), (CellKind::Standard, &args.standard), (CellKind::Niggli, &args.niggli)] {
        if let Some(path) = path {
            let format = args.output_format(path)?;
            outputs.push((kind, CellOutput { path: path.clone(), format, entries: Vec::new() }));
        }
    }
    let inputs = expand_inputs(&args.files);
    let mut failed = 0usize;
    for_each_record(&inputs, &args.input, |path, record| match record {
        Ok(entry) => {
            let summary = summarize(path, &entry, &options);
            if args.json {
                println!("{summary}");
            } else {
                print_text(&summary);
            }
            for (kind, out) in &mut outputs {
                match reduced_entry(&entry, *kind, &options) {
                    Ok(e) => out.entries.push(e),
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {}: {} ({}): {e}", path.display(), entry.id, kind.name());
                    }
                }
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
    for (_, out) in &outputs {
        let refs: Vec<&Entry> = out.entries.iter().collect();
        let file = std::fs::File::create(&out.path).map_err(|e| Error::io(out.path.display(), e))?;
        let mut w = BufWriter::new(file);
        formats::write(&refs, out.format, &mut w)?;
        w.flush().map_err(|e| Error::io(out.path.display(), e))?;
    }
    Ok(if failed > 0 { Status::InputErrors } else { Status::Success })
}

#[derive(Clone, Copy)]
enum CellKind {
    Primitive,
    Standard,
    Niggli,
}

impl CellKind {
    fn name(self) -> &'static str {
        match self {
            CellKind::Primitive => "primitive cell",
            CellKind::Standard => "standard cell",
            CellKind::Niggli => "Niggli cell",
        }
    }
}

/// The entry with its crystal replaced by a reduced cell.
fn reduced_entry(entry: &Entry, kind: CellKind, options: &SymmetryOptions) -> std::result::Result<Entry, String> {
    let crystal: &Crystal = entry.structure.as_crystal().ok_or("a molecule has no cell to reduce")?;
    let reduced = match kind {
        CellKind::Primitive => reduction::primitive_cell(crystal, options),
        CellKind::Standard => reduction::conventional_cell(crystal, options),
        // The unique Niggli cell comes from spglib (moyo's reduction is Buerger's).
        CellKind::Niggli => reduction::reduce_cell(crystal, LatticeReduction::Niggli, Backend::Spglib),
    }
    .map_err(|e| e.to_string())?;
    Ok(Entry { id: entry.id.clone(), location: entry.location.clone(), structure: Structure::Crystal(reduced) })
}

/// The symmetry found in a crystal, for `--json`.
fn symmetry_json(crystal: &Crystal, options: &SymmetryOptions) -> Value {
    match SymmetryDataset::new(crystal, options) {
        Ok(d) => {
            let orbits: Vec<Value> = d
                .wyckoff_orbits()
                .iter()
                .map(|o| {
                    json!({
                        "species": species_label(&o.species),
                        "wyckoff": o.label(),
                        "site_symmetry": o.site_symmetry,
                        "sites": o.sites,
                    })
                })
                .collect();
            json!({
                "number": d.number,
                "symbol": d.international,
                "hall_symbol": d.hall_symbol,
                "point_group": d.point_group,
                "n_operations": d.num_operations(),
                "wyckoff_sequence": d.wyckoff_sequence(),
                "orbits": orbits,
                "backend": d.backend.name(),
                "symprec": d.symprec,
                "angle_tolerance": d.angle_tolerance,
            })
        }
        Err(e) => json!({"error": e.to_string(), "backend": options.backend.name(), "symprec": options.symprec}),
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The machine-readable description of one structure (`--json`).
fn summarize(path: &Path, entry: &Entry, options: &SymmetryOptions) -> Value {
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
            v["space_group"] = symmetry_json(c, options);
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
        let sg = &v["space_group"];
        if let Some(err) = sg["error"].as_str() {
            println!("  space group  not found ({err})");
        } else if sg.is_object() {
            let angle = sg["angle_tolerance"].as_f64().map(|a| format!(", {a}°")).unwrap_or_default();
            println!(
                "  space group  {} (No. {}), {} operations, found by {} at symprec {} Å{angle}",
                sg["symbol"].as_str().unwrap_or("?"),
                sg["number"],
                sg["n_operations"],
                sg["backend"].as_str().unwrap_or("?"),
                sg["symprec"]
            );
            let orbits: Vec<String> = sg["orbits"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| format!("{} {}", o["species"].as_str().unwrap_or("?"), o["wyckoff"].as_str().unwrap_or("?")))
                        .collect()
                })
                .unwrap_or_default();
            println!("  wyckoff      {} ({})", sg["wyckoff_sequence"].as_str().unwrap_or(""), orbits.join(", "));
        }
        if let Some(sg) = v.get("declared_space_group") {
            let symbol = sg["symbol"].as_str().unwrap_or("(no symbol)");
            let number = sg["number"].as_u64().map(|n| format!(" (No. {n})")).unwrap_or_default();
            println!("  declared     {symbol}{number}, {} operations, as declared in the file", sg["n_operations"]);
        }
        if let Some(props) = v.get("site_properties") {
            println!("  site props   {}", props.as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default());
        }
    } else {
        println!("  molecule     no lattice (non-periodic)");
    }
}
