//! Finding where a value sits in JSON text, so that errors found after parsing (a bad
//! coordinate, an unknown element) can still name the line and column. serde_json's `Value`
//! keeps no positions; this scanner walks the text again along the path of the bad value.
//! It only runs when reporting an error, on text that serde_json has already accepted.

use std::fmt;

/// One step of a path into a JSON document: an object member or an array element.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Writes paths as `sites[3].species[0].element`.
pub(crate) struct PathDisplay<'a>(pub &'a [Seg]);

impl fmt::Display for PathDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Byte offset of the value at `path` in `text`, or of the deepest enclosing value found
/// when the path goes further than the document (a missing member). `None` only for text
/// that is not JSON at all.
pub(crate) fn locate(text: &str, path: &[Seg]) -> Option<usize> {
    let mut scan = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    scan.ws();
    if scan.i >= scan.b.len() {
        return None;
    }
    let mut found = scan.i;
    for seg in path {
        let step = match seg {
            Seg::Key(k) => scan.member(text, k),
            Seg::Index(n) => scan.element(*n),
        };
        match step {
            Some(at) => found = at,
            None => break,
        }
    }
    Some(found)
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let bytes = &text.as_bytes()[..offset.min(text.len())];
    let line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = bytes[start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
    (line, column)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// Skips a string starting at the opening quote; returns the raw content range.
    fn string(&mut self) -> Option<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.i;
        while let Some(c) = self.peek() {
            match c {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i - 1));
                }
                _ => self.i += 1,
            }
        }
        None
    }

    /// Skips one value of any depth (iteratively: nesting depth is unbounded here).
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                ) {
                    self.i += 1;
                }
                Some(())
            }
        }
    }

    /// Moves to the value of member `key` of the object here; returns its offset.
    fn member(&mut self, text: &str, key: &str) -> Option<usize> {
        self.eat(b'{')?;
        loop {
            self.ws();
            if self.peek() == Some(b'}') {
                return None;
            }
            let (start, end) = self.string()?;
            let raw = text.get(start..end)?;
            let matches = if raw.contains('\\') {
                serde_json::from_str::<String>(text.get(start - 1..end + 1)?).is_ok_and(|k| k == key)
            } else {
                raw == key
            };
            self.eat(b':')?;
            self.ws();
            if matches {
                return Some(self.i);
            }
            self.skip_value()?;
            self.eat(b',')?;
        }
    }

    /// Moves to element `n` of the array here; returns its offset.
    fn element(&mut self, n: usize) -> Option<usize> {
        self.eat(b'[')?;
        for k in 0.. {
            self.ws();
            if self.peek() == Some(b']') {
                return None;
            }
            if k == n {
                return Some(self.i);
            }
            self.skip_value()?;
            self.eat(b',')?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.to_string())
    }

    #[test]
    fn finds_nested_values() {
        let text = "{\"a\": \"x}]\\\"\", \"b\": [1, {\"c\": [[0,1],[2, 3]]}],\n \"d\": 7}";
        let at = locate(text, &[key("b"), Seg::Index(1), key("c"), Seg::Index(1), Seg::Index(1)]).unwrap();
        assert_eq!(&text[at..at + 1], "3");
        let at = locate(text, &[key("d")]).unwrap();
        assert_eq!(line_column(text, at), (2, 7));
        // A missing member points at the enclosing value.
        let at = locate(text, &[key("b"), Seg::Index(1), key("zzz")]).unwrap();
        assert_eq!(&text[at..at + 1], "{");
        assert_eq!(locate("   ", &[key("a")]), None);
        assert_eq!(
            PathDisplay(&[key("sites"), Seg::Index(3), key("abc")]).to_string(),
            "sites[3].abc"
        );
    }

    #[test]
    fn escaped_keys_and_unicode_columns() {
        let text = "{\"\\u0061\": 1, \"é\": [5]}";
        let at = locate(text, &[key("a")]).unwrap();
        assert_eq!(&text[at..at + 1], "1");
        let at = locate(text, &[key("é"), Seg::Index(0)]).unwrap();
        assert_eq!(line_column(text, at), (1, 21));
    }
}
