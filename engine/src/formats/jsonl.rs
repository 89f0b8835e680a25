//! JSON Lines datasets (NOT YET IMPLEMENTED: skeleton signature).
use super::ReadOptions;
use crate::crystal::Entry;
use crate::error::{Error, Result};
use std::io::{BufRead, Write};

/// Streams records from a JSONL reader, one line at a time.
pub struct JsonlReader {
    _reader: Box<dyn BufRead + Send>,
    _file: String,
    _opts: ReadOptions,
}

impl JsonlReader {
    pub fn new(reader: Box<dyn BufRead + Send>, file: String, opts: ReadOptions) -> Self {
        JsonlReader { _reader: reader, _file: file, _opts: opts }
    }
}

impl Iterator for JsonlReader {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(Err(Error::Usage("JSONL reader not implemented yet".into())))
    }
}

pub fn read_str(_text: &str, _file: &str, _opts: &ReadOptions) -> super::Records {
    vec![Err(Error::Usage("JSONL reader not implemented yet".into()))]
}

pub fn write(_entry: &Entry, _out: &mut dyn Write) -> std::io::Result<()> {
    Err(std::io::Error::other("JSONL writer not implemented yet"))
}
