//! Sources of candidates that read structures: files, directories (recursively, sorted) and
//! JSON Lines datasets (streamed). Substitution sources live with the script layer that
//! builds them ([`crate::script`]).

use crate::candidate::{Candidate, Origin, Rejection};
use crate::crystal::Structure;
use crate::formats::many::{FileRecord, ManyFiles};
use crate::formats::{Format, ReadOptions};
use crate::plugin::{Chunk, Failure, Generator};
use std::path::{Path, PathBuf};

/// Expands directories into the structure files they contain (recursively, sorted by path,
/// files whose format is recognised from the name); files are kept as given.
pub fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else if Format::from_path(&path).is_some() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found);
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Every structure of a list of files, in order. Small files are parsed in parallel batches
/// ([`formats::many`]), JSON Lines one line at a time; a record that cannot be read is a
/// failed candidate.
pub struct Files {
    name: String,
    records: ManyFiles,
    index: u64,
}

impl Files {
    pub fn new(name: impl Into<String>, files: Vec<PathBuf>, options: ReadOptions) -> Self {
        Files { name: name.into(), records: ManyFiles::new(files, None, options), index: 0 }
    }

    fn next_record(&mut self) -> Option<std::result::Result<Candidate, Failure>> {
        let FileRecord { path, record } = self.records.next()?;
        let index = self.index;
        self.index += 1;
        let source = path.display().to_string();
        Some(match record {
            Ok(entry) => match entry.structure {
                Structure::Crystal(c) => Ok(Candidate::new(
                    entry.id,
                    index,
                    c,
                    Origin::Record { source, location: entry.location },
                )),
                Structure::Molecule(_) => Err(Failure {
                    index,
                    id: entry.id,
                    rejection: Rejection::new("not a crystal")
                        .with_detail(format!("{source}: {}: a molecule has no lattice", entry.location)),
                    error: true,
                }),
            },
            Err(e) => Err(Failure {
                index,
                id: source,
                rejection: Rejection::new("unreadable record").with_detail(e.to_string()),
                error: true,
            }),
        })
    }
}

impl Generator for Files {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn len(&self) -> Option<u64> {
        None
    }

    fn next_chunk(&mut self, size: usize) -> Option<Chunk> {
        let items: Vec<_> = std::iter::from_fn(|| self.next_record()).take(size).collect();
        if items.is_empty() { None } else { Some(Box::new(move || items)) }
    }
}

/// Candidates already in memory (tests, small scripted sets).
pub struct InMemory {
    name: String,
    items: std::vec::IntoIter<Candidate>,
    len: u64,
}

impl InMemory {
    pub fn new(name: impl Into<String>, candidates: Vec<Candidate>) -> Self {
        let len = candidates.len() as u64;
        InMemory { name: name.into(), items: candidates.into_iter(), len }
    }
}

impl Generator for InMemory {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn len(&self) -> Option<u64> {
        Some(self.len)
    }

    fn next_chunk(&mut self, size: usize) -> Option<Chunk> {
        let items: Vec<_> = self.items.by_ref().take(size).map(Ok).collect();
        if items.is_empty() { None } else { Some(Box::new(move || items)) }
    }
}

/// A source of random-access candidates `0..len`, built on the workers: `build(i)` makes
/// candidate `i` (or says why it cannot be made). Chunks are ranges of indices.
pub struct Indexed<F> {
    name: String,
    len: u64,
    next: u64,
    build: std::sync::Arc<F>,
}

impl<F> Indexed<F>
where
    F: Fn(u64) -> std::result::Result<Candidate, Failure> + Send + Sync + 'static,
{
    pub fn new(name: impl Into<String>, len: u64, build: F) -> Self {
        Indexed { name: name.into(), len, next: 0, build: std::sync::Arc::new(build) }
    }
}

impl<F> Generator for Indexed<F>
where
    F: Fn(u64) -> std::result::Result<Candidate, Failure> + Send + Sync + 'static,
{
    fn name(&self) -> String {
        self.name.clone()
    }

    fn len(&self) -> Option<u64> {
        Some(self.len)
    }

    fn next_chunk(&mut self, size: usize) -> Option<Chunk> {
        if self.next >= self.len {
            return None;
        }
        let (start, end) = (self.next, (self.next + size as u64).min(self.len));
        self.next = end;
        let build = self.build.clone();
        Some(Box::new(move || (start..end).map(|i| build(i)).collect()))
    }
}
