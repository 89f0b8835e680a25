//! Structure file formats: readers and writers.
//!
//! | format | read | write | grammar |
//! |---|---|---|---|
//! | CIF 1.1 / 2.0 (`.cif`, `.mcif`) | every data block → one crystal or a per-block error; symmetry expansion | P1 or asymmetric unit + operations | `grammars/cif.pest` |
//! | POSCAR / CONTCAR (VASP 4, 5, 6) | yes | VASP 5 | `grammars/poscar.pest` |
//! | XYZ / extended XYZ | every frame; plain XYZ → molecule | extXYZ | `grammars/xyz.pest` |
//! | JSON Lines (`../shared/data` records, `.gz` optional) | streaming | yes | serde_json |
//! | pymatgen `Structure.as_dict()` JSON | yes | yes | serde_json |
//!
//! Readers never panic and never allocate in proportion to a number written in the file;
//! every error names the file and (for text formats) the line and column.

pub mod ase_db;
pub mod cif;
pub mod jsonl;
pub mod many;
pub mod poscar;
pub mod pymatgen;
mod text;
pub mod xyz;

pub use text::decode_text;

use crate::chem::Element;
use crate::crystal::{CrystalError, DEFAULT_MIN_DISTANCE, Entry, Structure};
use crate::error::{Error, ParseError, Result};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

/// A structure file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Cif,
    Poscar,
    /// XYZ and extended XYZ (one reader: extXYZ is a superset).
    Xyz,
    /// One JSON record per line in the `../shared/data` layout.
    Jsonl,
    /// pymatgen's `Structure.as_dict()` JSON (one structure per file).
    PymatgenJson,
}

impl Format {
    pub const ALL: [Format; 5] =
        [Format::Cif, Format::Poscar, Format::Xyz, Format::Jsonl, Format::PymatgenJson];

    /// Name used on the command line (`--from`, `--to`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Cif => "cif",
            Format::Poscar => "poscar",
            Format::Xyz => "xyz",
            Format::Jsonl => "jsonl",
            Format::PymatgenJson => "json",
        }
    }

    /// Parses a format name: cif, poscar (vasp, contcar), xyz (extxyz), jsonl, json (pymatgen).
    pub fn from_name(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "cif" | "mcif" => Ok(Format::Cif),
            "poscar" | "contcar" | "vasp" => Ok(Format::Poscar),
            "xyz" | "extxyz" => Ok(Format::Xyz),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "json" | "pymatgen" => Ok(Format::PymatgenJson),
            other => Err(Error::Usage(format!(
                "unknown format '{other}' (expected one of: cif, poscar, xyz, jsonl, json)"
            ))),
        }
    }

    /// Guesses the format from a file name: extensions `.cif .mcif .vasp .poscar .xyz
    /// .extxyz .jsonl .json` (optionally followed by `.gz`), or names containing `POSCAR` /
    /// `CONTCAR` as VASP writes them.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_string();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e);
        match ext {
            Some("cif") | Some("mcif") => return Some(Format::Cif),
            Some("vasp") | Some("poscar") | Some("contcar") => return Some(Format::Poscar),
            Some("xyz") | Some("extxyz") => return Some(Format::Xyz),
            Some("jsonl") | Some("ndjson") => return Some(Format::Jsonl),
            Some("json") => return Some(Format::PymatgenJson),
            _ => {}
        }
        (lower.contains("poscar") || lower.contains("contcar")).then_some(Format::Poscar)
    }

    /// Guesses the format from the first bytes of a file (used when the name says nothing).
    pub fn sniff(text: &str) -> Format {
        let first = text.trim_start_matches('\u{feff}').lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let first = first.trim();
        if first.starts_with('{') {
            if text.lines().filter(|l| !l.trim().is_empty()).nth(1).is_some_and(|l| l.trim_start().starts_with('{')) {
                Format::Jsonl
            } else {
                Format::PymatgenJson
            }
        } else if first.starts_with("data_") || first.starts_with("#\\#CIF") || text.contains("_cell_length_a") {
            Format::Cif
        } else if first.parse::<u64>().is_ok() {
            Format::Xyz
        } else {
            Format::Poscar
        }
    }

    /// Whether one file of this format holds at most one structure.
    pub fn single_structure(self) -> bool {
        matches!(self, Format::Poscar | Format::PymatgenJson)
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Cif => "cif",
            Format::Poscar => "vasp",
            Format::Xyz => "xyz",
            Format::Jsonl => "jsonl",
            Format::PymatgenJson => "json",
        }
    }
}

/// Options for readers.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Species for VASP 4 POSCARs, which have no element line (one per atom type, in order).
    pub poscar_species: Option<Vec<Element>>,
    /// Closest approach (Å) of two sites whose occupancies sum above 1; closer pairs are
    /// rejected as overlapping atoms. 0 disables the check.
    pub min_distance: f64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions { poscar_species: None, min_distance: DEFAULT_MIN_DISTANCE }
    }
}

/// Largest input read into memory at once (bytes); JSONL streams and has no such limit.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// The records of one file: each is a structure or the error that stopped that record. A
/// file-level problem (unreadable, not the format at all) is the outer `Err`.
pub type Records = Vec<Result<Entry>>;

/// Reads every structure in `text`. `file` names the source in errors.
pub fn read_str(text: &str, file: &str, format: Format, opts: &ReadOptions) -> Result<Records> {
    match format {
        Format::Cif => cif::read(text, file, opts),
        Format::Poscar => Ok(vec![poscar::read(text, file, opts)]),
        Format::Xyz => xyz::read(text, file, opts),
        Format::Jsonl => Ok(jsonl::read_str(text, file, opts)),
        Format::PymatgenJson => Ok(vec![pymatgen::read(text, file, opts)]),
    }
}

/// Reads raw bytes: decodes the text (BOM, UTF-8 with a Latin-1 fallback, NUL bytes
/// rejected; see [`decode_text`]) and parses it.
pub fn read_bytes(bytes: &[u8], file: &str, format: Format, opts: &ReadOptions) -> Result<Records> {
    let text = decode_text(bytes, file)?;
    read_str(&text, file, format, opts)
}

/// Reads a file, detecting the format from its name (or content) unless `format` is given;
/// `.gz` files are decompressed.
pub fn read_path(path: &Path, format: Option<Format>, opts: &ReadOptions) -> Result<Records> {
    let name = path.display().to_string();
    let bytes = read_file_bytes(path)?;
    let text = decode_text(&bytes, &name)?;
    let format = format.or_else(|| Format::from_path(path)).unwrap_or_else(|| Format::sniff(&text));
    read_str(&text, &name, format, opts)
}

/// Opens a file as a stream of records. JSON Lines files (plain or gzipped) are read one line
/// at a time, so memory stays flat however many records they hold; other formats are read
/// whole.
pub fn open(
    path: &Path,
    format: Option<Format>,
    opts: &ReadOptions,
) -> Result<Box<dyn Iterator<Item = Result<Entry>> + Send>> {
    let name = path.display().to_string();
    if format.is_none() && Format::from_path(path).is_none() && ase_db::is_ase_db(path) {
        return Ok(Box::new(ase_db::open(path, opts)?));
    }
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            let bytes = read_file_bytes(path)?;
            Format::sniff(&decode_text(&bytes, &name)?)
        }
    };
    if format == Format::Jsonl {
        let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
        let reader: Box<dyn BufRead + Send> = if is_gzip(path) {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        return Ok(Box::new(jsonl::JsonlReader::new(reader, name, opts.clone())));
    }
    if format == Format::Xyz {
        let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
        let reader: Box<dyn BufRead + Send> = if is_gzip(path) {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        return Ok(Box::new(xyz::FrameStream::new(reader, name, opts.clone())));
    }
    Ok(Box::new(read_path(path, Some(format), opts)?.into_iter()))
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

fn read_file_bytes(path: &Path) -> Result<Vec<u8>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(&name, e))?;
    // Sized from the file's length, so a small file is one read instead of a growing series
    // (a third of the time of reading a 3 KB CIF from the page cache went to those).
    let size = file.metadata().map(|m| m.len()).unwrap_or(0).min(MAX_FILE_BYTES) as usize;
    let mut bytes = Vec::with_capacity(size + 1);
    let read = if is_gzip(path) {
        flate2::read::MultiGzDecoder::new(file).take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)
    } else {
        file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)
    };
    read.map_err(|e| Error::io(&name, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ParseError::new(&name, format!("file larger than {MAX_FILE_BYTES} bytes")).into());
    }
    Ok(bytes)
}

/// Writes structures in `format`. CIF gives one data block per structure, XYZ one frame per
/// structure, JSONL one line per structure; POSCAR and pymatgen JSON hold exactly one.
pub fn write(entries: &[&Entry], format: Format, out: &mut dyn Write) -> Result<()> {
    if format.single_structure() && entries.len() != 1 {
        return Err(Error::Usage(format!(
            "{} files hold exactly one structure, got {}: write a directory or use cif/xyz/jsonl",
            format.name(),
            entries.len()
        )));
    }
    for entry in entries {
        check_writable(entry, format)?;
        let io = |e: std::io::Error| Error::io("output", e);
        let written = match (&entry.structure, format) {
            (s, Format::Xyz) => xyz::write(s, out),
            (_, Format::Jsonl) => jsonl::write(entry, out),
            (Structure::Crystal(c), Format::Cif) => cif::write(c, &entry.id, out),
            (Structure::Crystal(c), Format::Poscar) => poscar::write(c, &entry.id, out),
            (Structure::Crystal(c), Format::PymatgenJson) => pymatgen::write(c, out),
            // Refused by `check_writable` above.
            (Structure::Molecule(_), _) => Ok(()),
        };
        written.map_err(io)?;
    }
    Ok(())
}

/// Whether `format` can hold `entry`: CIF, POSCAR and pymatgen JSON need a lattice; POSCAR
/// and XYZ have no way to write partial occupancies. The error names the structure.
pub fn check_writable(entry: &Entry, format: Format) -> Result<()> {
    let refuse = |source| Err(Error::Crystal { context: format!("cannot write '{}'", entry.id), source });
    let what = match format {
        Format::Cif => "CIF",
        Format::Poscar => "POSCAR",
        Format::PymatgenJson => "pymatgen Structure JSON",
        Format::Xyz => "XYZ",
        Format::Jsonl => return Ok(()),
    };
    match &entry.structure {
        Structure::Molecule(_) if format != Format::Xyz => {
            refuse(CrystalError::NotPeriodic(entry.id.clone(), what))
        }
        Structure::Crystal(c) if matches!(format, Format::Poscar | Format::Xyz) && !c.is_ordered() => {
            refuse(CrystalError::Disordered(entry.id.clone(), what))
        }
        _ => Ok(()),
    }
}

/// Convenience: the structure of an entry as a crystal, with an error naming the entry.
pub fn entry_crystal<'a>(entry: &'a Entry, operation: &'static str) -> Result<&'a crate::crystal::Crystal> {
    entry.structure.crystal(&entry.id, operation).map_err(|source| Error::Crystal {
        context: entry.location.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_and_paths() {
        assert_eq!(Format::from_path(Path::new("a/b/POSCAR-JVASP-1")), Some(Format::Poscar));
        assert_eq!(Format::from_path(Path::new("CONTCAR")), Some(Format::Poscar));
        assert_eq!(Format::from_path(Path::new("x.mcif")), Some(Format::Cif));
        assert_eq!(Format::from_path(Path::new("d.jsonl.gz")), Some(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("frames.extxyz")), Some(Format::Xyz));
        assert_eq!(Format::from_path(Path::new("README")), None);
        assert!(Format::from_name("pdb").is_err());
        assert_eq!(Format::sniff("3\ncomment\nH 0 0 0\n"), Format::Xyz);
        assert_eq!(Format::sniff("data_x\n_cell_length_a 3\n"), Format::Cif);
    }
}
