//! Reading many structure files, as a screening run or `screen convert` over a COD or ICSD
//! export does: tens of thousands of small CIFs or POSCARs. Parsing is most of the cost, so
//! runs of consecutive small whole-file inputs (CIF, POSCAR, pymatgen JSON) are parsed in
//! parallel on rayon's pool, a batch at a time, and handed out in input order: the output is
//! identical to a sequential read, record for record. Streams (JSON Lines, XYZ trajectories,
//! ASE databases), large files and files whose format must be sniffed are read lazily on the
//! caller's thread, so memory stays flat however many records they hold.

use super::{Format, ReadOptions};
use crate::Result;
use crate::crystal::Entry;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files per parallel batch: enough to keep every core busy on small files, few enough that
/// the first records come out quickly.
const BATCH_FILES: usize = 256;
/// A batch holds at most this many bytes of input files (64 MiB), bounding memory.
const BATCH_BYTES: u64 = 64 << 20;
/// Whole-file inputs larger than this (8 MiB) are read alone on the caller's thread.
const LARGE_FILE_BYTES: u64 = 8 << 20;

type Records = Box<dyn Iterator<Item = Result<Entry>> + Send>;

/// One record of a multi-file read: the file it came from, and the structure or the error.
pub struct FileRecord {
    pub path: Arc<Path>,
    pub record: Result<Entry>,
}

/// Every record of a list of files, in input order (file by file, then record by record). A
/// file that cannot be opened gives one `Err` record, and the read goes on with the next file.
pub struct ManyFiles {
    files: std::vec::IntoIter<PathBuf>,
    /// A file held back when it ended a batch (it is not batchable).
    pending: Option<PathBuf>,
    format: Option<Format>,
    options: ReadOptions,
    /// Records already parsed by a parallel batch.
    ready: VecDeque<FileRecord>,
    /// The stream being read lazily.
    current: Option<(Arc<Path>, Records)>,
}

impl ManyFiles {
    /// `format` overrides the format of every file (`--from`); `None` tells it from each name.
    pub fn new(files: Vec<PathBuf>, format: Option<Format>, options: ReadOptions) -> Self {
        ManyFiles {
            files: files.into_iter(),
            pending: None,
            format,
            options,
            ready: VecDeque::new(),
            current: None,
        }
    }

    /// The size of a file that is read whole and is small enough to share a batch, else
    /// `None` (streams, large files, formats known only from the content, unreadable paths:
    /// [`super::open`] reports those on the caller's thread).
    fn batchable(&self, path: &Path) -> Option<u64> {
        let format = self.format.or_else(|| Format::from_path(path))?;
        if matches!(format, Format::Jsonl | Format::Xyz) {
            return None;
        }
        let size = std::fs::metadata(path).ok()?.len();
        (size <= LARGE_FILE_BYTES).then_some(size)
    }

    fn next_path(&mut self) -> Option<PathBuf> {
        self.pending.take().or_else(|| self.files.next())
    }

    /// Parses the next run of batchable files in parallel into `ready`, or opens the next
    /// file as a stream. `false` once every file is done.
    fn refill(&mut self) -> bool {
        let Some(first) = self.next_path() else { return false };
        let Some(size) = self.batchable(&first) else {
            let path: Arc<Path> = first.into();
            match super::open(&path, self.format, &self.options) {
                Ok(records) => self.current = Some((path, records)),
                Err(e) => self.ready.push_back(FileRecord { path, record: Err(e) }),
            }
            return true;
        };
        let mut batch = vec![first];
        let mut bytes = size;
        while batch.len() < BATCH_FILES && bytes < BATCH_BYTES {
            let Some(path) = self.files.next() else { break };
            match self.batchable(&path) {
                Some(size) => {
                    bytes += size;
                    batch.push(path);
                }
                None => {
                    self.pending = Some(path);
                    break;
                }
            }
        }
        let (format, options) = (self.format, &self.options);
        let parsed: Vec<(Arc<Path>, Vec<Result<Entry>>)> = batch
            .into_par_iter()
            .map(|path| {
                let records = match super::read_path(&path, format, options) {
                    Ok(records) => records,
                    Err(e) => vec![Err(e)],
                };
                (Arc::from(path), records)
            })
            .collect();
        for (path, records) in parsed {
            self.ready.extend(records.into_iter().map(|record| FileRecord { path: path.clone(), record }));
        }
        true
    }
}

impl Iterator for ManyFiles {
    type Item = FileRecord;

    fn next(&mut self) -> Option<FileRecord> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                return Some(record);
            }
            if let Some((path, records)) = &mut self.current {
                if let Some(record) = records.next() {
                    return Some(FileRecord { path: path.clone(), record });
                }
                self.current = None;
            }
            if !self.refill() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats;

    fn shared(sub: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(sub)
    }

    /// What a plain sequential read gives: the reference for the parallel one.
    fn sequential(files: &[PathBuf]) -> Vec<(PathBuf, std::result::Result<String, String>)> {
        let mut out = Vec::new();
        for path in files {
            match formats::open(path, None, &ReadOptions::default()) {
                Ok(records) => out.extend(records.map(|r| (path.clone(), describe(r)))),
                Err(e) => out.push((path.clone(), Err(e.to_string()))),
            }
        }
        out
    }

    fn describe(record: Result<Entry>) -> std::result::Result<String, String> {
        record.map(|e| format!("{} {} {:?}", e.id, e.location, e.structure)).map_err(|e| e.to_string())
    }

    /// Batches, streams, unreadable and missing files mixed: the same records in the same order
    /// as reading one file after the other.
    #[test]
    fn parallel_read_matches_the_sequential_read_record_for_record() {
        let mut files = crate::pipeline::sources::expand(&[shared("corpus/structures/cif"), shared("corpus/structures/poscar")]);
        files.truncate(600);
        assert!(files.len() > 2 * BATCH_FILES, "the corpus gives several batches");
        // A stream in the middle of a batch run, a malformed file, and a missing one.
        files.insert(100, shared("data/tiny_mp_flla_1000.jsonl.gz"));
        files.insert(300, shared("corpus/malformed/cif_unterminated_text_field.cif"));
        files.insert(301, PathBuf::from("/nonexistent/file.cif"));
        let expected = sequential(&files);
        let got: Vec<_> = ManyFiles::new(files, None, ReadOptions::default())
            .map(|r| (r.path.to_path_buf(), describe(r.record)))
            .collect();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g, e);
        }
        assert!(expected.iter().any(|(_, r)| r.is_err()), "errors are records too");
    }
}
