//! Parsing throughput of the structure readers (criterion). Every file is read into memory
//! first, so the numbers measure parsing (text decoding, grammar, model building, symmetry
//! expansion, validation), not disk access. Groups:
//!
//! - `cif_all`: every file of `../shared/corpus/structures/cif` (files/s);
//! - `cif_small`: the corpus CIFs under 4 KB (files/s; the target is ≥ 34,000 files/s):
//!   `parse` on one thread from memory, `many_files` from disk through `formats::many` (what
//!   `screen convert DIR` and `screen run` do) on every core (rayon; `RAYON_NUM_THREADS`);
//! - `poscar`, `xyz`: every corpus file of that format (files/s);
//! - `jsonl`: the 1,000 records of `../shared/data/tiny_mp_flla_1000.jsonl.gz` (records/s),
//!   from decompressed text and streaming from the gzip bytes.
//!
//! Run: `cargo bench -p screen-engine --bench parse [-- GROUP]`. `SCREEN_CORPUS` and
//! `SCREEN_DATA` override the corpus and dataset folders. See benches/README.md.

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use screen_engine::formats::{self, Format, ReadOptions, jsonl::JsonlReader};
use std::hint::black_box;
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// CIFs below this size (bytes) form the `cif_small` group.
const SMALL_CIF_BYTES: usize = 4096;

fn shared(var: &str, sub: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(sub))
}

/// Every file of a corpus folder, sorted by name, as (name, bytes).
fn corpus_files(format: &str) -> Vec<(String, Vec<u8>)> {
    let dir = shared("SCREEN_CORPUS", "corpus/structures").join(format);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    files.sort();
    files
}

/// Parses every file; returns the number of structures read (so nothing is optimised away).
fn parse_all(files: &[(String, Vec<u8>)], format: Format, opts: &ReadOptions) -> usize {
    files
        .iter()
        .map(|(name, bytes)| match formats::read_bytes(bytes, name, format, opts) {
            Ok(records) => records.iter().filter(|r| r.is_ok()).count(),
            Err(_) => 0,
        })
        .sum()
}

/// Prints what a group parses, so that a throughput can be judged (errors are fast).
fn describe(group: &str, files: &[(String, Vec<u8>)], format: Format, opts: &ReadOptions) {
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    // A file is refused when it yields no structure (a syntax error, or only bad records).
    let failed = files.iter().filter(|(n, b)| parse_all(&[(n.clone(), b.clone())], format, opts) == 0).count();
    let structures = parse_all(files, format, opts);
    eprintln!(
        "{group}: {} files, {:.1} KB, {structures} structures read, {failed} files without a structure",
        files.len(),
        bytes as f64 / 1e3
    );
}

fn bench_files(c: &mut Criterion, group: &str, files: &[(String, Vec<u8>)], format: Format) {
    if files.is_empty() {
        eprintln!("{group}: no files, skipped");
        return;
    }
    let opts = ReadOptions::default();
    describe(group, files, format, &opts);
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(files.len() as u64));
    // One iteration parses the whole set: tens of milliseconds, so sample flat and few.
    g.sampling_mode(SamplingMode::Flat).sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("parse", |b| b.iter(|| black_box(parse_all(black_box(files), format, &opts))));
    g.finish();
}

fn cif(c: &mut Criterion) {
    let files = corpus_files("cif");
    let small: Vec<_> = files.iter().filter(|(_, b)| b.len() < SMALL_CIF_BYTES).cloned().collect();
    bench_files(c, "cif_all", &files, Format::Cif);
    bench_files(c, "cif_small", &small, Format::Cif);
    let dir = shared("SCREEN_CORPUS", "corpus/structures").join("cif");
    let paths: Vec<PathBuf> = small.iter().map(|(name, _)| dir.join(name)).collect();
    bench_many_files(c, "cif_small", &paths);
}

/// Reads files from disk (page cache) with `formats::many`: parallel batches, input order.
fn bench_many_files(c: &mut Criterion, group: &str, paths: &[PathBuf]) {
    let read = || {
        formats::many::ManyFiles::new(paths.to_vec(), None, ReadOptions::default())
            .filter(|r| r.record.is_ok())
            .count()
    };
    eprintln!("{group}/many_files: {} files, {} structures read, {} threads", paths.len(), read(), rayon::current_num_threads());
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(paths.len() as u64));
    g.sampling_mode(SamplingMode::Flat).sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("many_files", |b| b.iter(|| black_box(read())));
    g.finish();
}

fn poscar(c: &mut Criterion) {
    bench_files(c, "poscar", &corpus_files("poscar"), Format::Poscar);
}

fn xyz(c: &mut Criterion) {
    bench_files(c, "xyz", &corpus_files("xyz"), Format::Xyz);
}

fn jsonl(c: &mut Criterion) {
    let path = shared("SCREEN_DATA", "data").join("tiny_mp_flla_1000.jsonl.gz");
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(gz.as_slice())
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = ReadOptions::default();
    let records = formats::read_str(&text, "tiny", Format::Jsonl, &opts).map(|r| r.len()).unwrap_or(0);
    let ok = formats::read_str(&text, "tiny", Format::Jsonl, &opts)
        .map(|r| r.iter().filter(|r| r.is_ok()).count())
        .unwrap_or(0);
    eprintln!("jsonl: {records} records ({ok} read), {:.1} KB text, {:.1} KB gzip", text.len() as f64 / 1e3, gz.len() as f64 / 1e3);
    let mut g = c.benchmark_group("jsonl");
    g.throughput(Throughput::Elements(records as u64));
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("read_str", |b| {
        b.iter(|| black_box(formats::read_str(black_box(&text), "tiny", Format::Jsonl, &opts).map(|r| r.len())))
    });
    g.bench_function("stream_gz", |b| {
        b.iter(|| {
            let reader = BufReader::new(flate2::read::MultiGzDecoder::new(Cursor::new(gz.clone())));
            black_box(JsonlReader::new(Box::new(reader), "tiny".into(), opts.clone()).filter(|r| r.is_ok()).count())
        })
    });
    g.finish();
}

criterion_group!(benches, cif, poscar, xyz, jsonl);
criterion_main!(benches);
