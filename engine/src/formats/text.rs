//! Turning file bytes into text that the grammars can read.

use crate::error::ParseError;
use std::borrow::Cow;

/// Decodes a structure file: strips a UTF-8 byte-order mark, rejects NUL bytes (naming the
/// line: they mean binary data, never text), and reads invalid UTF-8 as Latin-1 (ISO 8859-1),
/// the encoding old CIF and POSCAR writers used for names and comments. A trailing DOS
/// end-of-file marker (Ctrl-Z, 0x1A) ends the text.
pub fn decode_text<'a>(bytes: &'a [u8], file: &str) -> Result<Cow<'a, str>, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // One vectorised scan finds both rare bytes; the common file has neither.
    let (mut eof, mut nul) = (None, None);
    for p in memchr::memchr2_iter(0x1A, 0, bytes) {
        if bytes[p] == 0x1A {
            eof.get_or_insert(p);
        } else {
            nul.get_or_insert(p);
        }
        if eof.is_some() && nul.is_some() {
            break;
        }
    }
    let bytes = match eof {
        Some(p) if bytes[p..].iter().all(|b| b.is_ascii_whitespace() || *b == 0x1A) => &bytes[..p],
        _ => bytes,
    };
    if let Some(p) = nul.filter(|&p| p < bytes.len()) {
        let line = memchr::memchr_iter(b'\n', &bytes[..p]).count() + 1;
        let column = p - memchr::memrchr(b'\n', &bytes[..p]).map_or(0, |n| n + 1) + 1;
        return Err(ParseError::at_column(file, line, column, "NUL byte: this is binary data, not a text structure file"));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(_) => Ok(Cow::Owned(bytes.iter().map(|&b| b as char).collect())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFdata_x", "f").unwrap(), "data_x");
        assert_eq!(decode_text(b"caf\xE9", "f").unwrap(), "caf\u{e9}");
        assert_eq!(decode_text(b"a\nb\x1A", "f").unwrap(), "a\nb");
        let e = decode_text(b"a\nbc\0d", "f").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(3)));
    }
}
