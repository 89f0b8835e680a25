//! Multi-frame (extended) XYZ as a stream: frames are cut from the input one at a time by
//! their atom counts and parsed by [`read`](super::read), so memory holds one frame however
//! many the file has. Records, ids (`stem#n`), locations (`frame n`) and error lines are the
//! same as reading the whole file at once.

use crate::crystal::Entry;
use crate::error::{Error, ParseError, Result};
use crate::formats::{MAX_FILE_BYTES, ReadOptions, decode_text};
use std::io::BufRead;

/// Streams the frames of an XYZ / extXYZ file.
pub struct FrameStream {
    reader: Box<dyn BufRead + Send>,
    file: String,
    opts: ReadOptions,
    /// Lines consumed so far.
    line: usize,
    /// Frames yielded so far.
    frames: usize,
    done: bool,
}

impl FrameStream {
    pub fn new(reader: Box<dyn BufRead + Send>, file: String, opts: ReadOptions) -> Self {
        FrameStream { reader, file, opts, line: 0, frames: 0, done: false }
    }

    /// Appends the next line (with its newline) to `buf`; false at the end of the input.
    fn line_into(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        let before = buf.len();
        let limit = MAX_FILE_BYTES.saturating_sub(before as u64);
        let n = std::io::Read::take(&mut self.reader, limit + 1).read_until(b'\n', buf).map_err(|e| Error::io(&self.file, e))?;
        if n as u64 > limit {
            return Err(ParseError::at(&self.file, self.line + 1, format!("frame larger than {MAX_FILE_BYTES} bytes")).into());
        }
        if n > 0 {
            self.line += 1;
        }
        Ok(n > 0)
    }

    /// The next frame's text (count line, comment, atom lines), its first line, and whether
    /// it was whole: a bad count or a truncated frame ends the file, as in `read`.
    fn next_chunk(&mut self) -> Result<Option<(Vec<u8>, usize, bool)>> {
        let first_line = self.line + 1;
        let mut buf = Vec::new();
        if !self.line_into(&mut buf)? {
            return Ok(None);
        }
        let count_line = String::from_utf8_lossy(&buf);
        // ASE stops at a blank line where a count is expected; so does the whole-file reader.
        if count_line.trim().is_empty() {
            return Ok(None);
        }
        // An unreadable count is passed on as is: the frame parser words the error.
        let Ok(count) = count_line.trim().trim_start_matches('+').parse::<u64>() else {
            return Ok(Some((buf, first_line, false)));
        };
        let mut wanted = count.saturating_add(1);
        while wanted > 0 && self.line_into(&mut buf)? {
            wanted -= 1;
        }
        Ok(Some((buf, first_line, wanted == 0)))
    }
}

impl Iterator for FrameStream {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if self.done {
            return None;
        }
        let (bytes, first_line, whole) = match self.next_chunk() {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                self.done = true;
                let empty = ParseError::new(&self.file, "empty file: expected an XYZ atom count");
                return (self.frames == 0).then(|| Err(empty.into()));
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.frames += 1;
        let number = self.frames;
        let text = match decode_text(&bytes, &self.file) {
            Ok(t) => t,
            Err(e) => return Some(Err(e.into())),
        };
        let records = match super::read(&text, &self.file, &self.opts) {
            Ok(r) => r,
            // Only the first frame may make the file "not XYZ at all"; later it is a bad frame.
            Err(e) => {
                self.done = true;
                return Some(Err(relocate(e, first_line, number)));
            }
        };
        if !whole {
            self.done = true;
        }
        let record = records.into_iter().next()?;
        Some(match record {
            Ok(mut entry) => {
                if let Some((stem, _)) = entry.id.rsplit_once('#') {
                    entry.id = format!("{stem}#{number}");
                }
                entry.location = format!("frame {number}");
                Ok(entry)
            }
            Err(e) => Err(relocate(e, first_line, number)),
        })
    }
}

/// Moves an error of a one-frame text to where the frame sits in the file.
fn relocate(e: Error, first_line: usize, number: usize) -> Error {
    match e {
        Error::Parse(mut p) => {
            p.line = p.line.map(|l| l + first_line - 1);
            if p.context.is_some() {
                p.context = Some(format!("frame {number}"));
            }
            Error::Parse(p)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAMES: &str = "2\nLattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3\nNa 0 0 0\nCl 2 2 2\n\
                          2\nLattice=\"4 0 0 0 4 0 0 0 4\" Properties=species:S:1:pos:R:3\nNa 0 0 0\nXx 2 2 2\n\
                          1\nLattice=\"3 0 0 0 3 0 0 0 3\"\nCu 0 0 0\n\
                          3\ncomment\nH 0 0 0\n";

    fn stream(text: &str) -> Vec<std::result::Result<(String, String), String>> {
        let reader: Box<dyn BufRead + Send> = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
        FrameStream::new(reader, "f.xyz".into(), ReadOptions::default())
            .map(|r| r.map(|e| (e.id, e.location)).map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn streams_the_same_records_as_reading_the_whole_file() {
        let streamed = stream(FRAMES);
        let whole: Vec<_> = super::super::read(FRAMES, "f.xyz", &ReadOptions::default())
            .unwrap()
            .into_iter()
            .map(|r| r.map(|e| (e.id, e.location)).map_err(|e| e.to_string()))
            .collect();
        assert_eq!(streamed, whole);
        assert_eq!(streamed.len(), 4);
        assert_eq!(streamed[2], Ok(("f#3".to_string(), "frame 3".to_string())));
        let e = streamed[1].as_ref().unwrap_err();
        assert!(e.starts_with("f.xyz:8:") && e.contains("frame 2"), "{e}");
        assert!(streamed[3].as_ref().unwrap_err().contains("frame 4"), "{:?}", streamed[3]);
    }

    #[test]
    fn a_file_that_is_not_xyz_is_one_error() {
        let out = stream("hello\nworld\n");
        assert_eq!(out.len(), 1);
        assert!(out[0].is_err());
        assert!(stream("")[0].as_ref().unwrap_err().contains("empty file"));
    }
}
