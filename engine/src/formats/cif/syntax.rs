//! CIF syntax: the pest grammar (`grammars/cif.pest`) turned into data blocks of tagged values
//! and loops, borrowing the source text. Knows nothing about crystals.

use crate::error::ParseError;
use pest::Parser;
use pest::iterators::Pair;
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammars/cif.pest"]
pub(super) struct CifGrammar;

/// Deepest nesting of CIF 2.0 lists and tables accepted. Real data nest 2–3 deep; the bound
/// keeps the recursive grammar far from the stack limit on hostile input.
pub const MAX_NESTING: usize = 32;

/// CIF syntax version, from the magic comment on the first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Cif1,
    Cif2,
}

/// A parsed file: its data blocks (global_ blocks are parsed but not kept).
#[derive(Debug)]
pub struct Document<'a> {
    pub text: &'a str,
    pub version: Version,
    pub blocks: Vec<Block<'a>>,
    lines: OnceLock<Vec<usize>>,
}

/// A data name with its byte offset in the file.
#[derive(Clone, Copy, Debug)]
pub struct Tag<'a> {
    pub name: &'a str,
    pub pos: usize,
}

/// A value with its byte offset in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Value<'a> {
    pub pos: usize,
    pub kind: Kind<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    /// Unquoted: numbers, words, `?` (unknown) and `.` (inapplicable).
    Bare(&'a str),
    /// Quoted string without its delimiters.
    Quoted(&'a str),
    /// Semicolon text field: the text between the delimiting lines.
    Text(&'a str),
    /// CIF 2.0 list.
    List(Vec<Value<'a>>),
    /// CIF 2.0 table (key, value) in file order.
    Table(Vec<(&'a str, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The text of a string value (any quoting); `None` for lists and tables.
    pub fn text(&self) -> Option<&'a str> {
        match self.kind {
            Kind::Bare(s) | Kind::Quoted(s) | Kind::Text(s) => Some(s),
            Kind::List(_) | Kind::Table(_) => None,
        }
    }

    /// True for an unquoted `?` (unknown) or `.` (inapplicable).
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Bare("?") | Kind::Bare("."))
    }
}

/// A loop: its tags and values, row by row.
#[derive(Debug)]
pub struct Loop<'a> {
    pub tags: Vec<Tag<'a>>,
    pub values: Vec<Value<'a>>,
}

impl Loop<'_> {
    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.tags.len()).unwrap_or(0)
    }
}

/// Where a data name's values sit.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Pair(usize),
    Loop(usize, usize),
}

/// A data block: single-valued items, loops, and a case-insensitive index of data names in
/// which DDLm's `_category.item` and CIF 1.1's `_category_item` spellings are the same name.
#[derive(Debug)]
pub struct Block<'a> {
    pub name: &'a str,
    pub pos: usize,
    pub pairs: Vec<(Tag<'a>, Value<'a>)>,
    pub loops: Vec<Loop<'a>>,
    index: HashMap<Key<'a>, Slot, foldhash::fast::RandomState>,
    /// The first structural problem (duplicate data name, ragged loop, unbalanced save
    /// frame): byte offset and message. A block with a problem yields no structure.
    pub problem: Option<(usize, String)>,
    /// Stray values that follow an item's value (`_a 'R 3' ccc`): the index in `pairs` of the
    /// item they follow (`None` before any item) and their byte offset.
    pub strays: Vec<(Option<usize>, usize)>,
}

/// The values of one data name: one value, or a loop column.
#[derive(Clone, Copy)]
pub struct Column<'b, 'a> {
    pub tag: Tag<'a>,
    inner: ColumnInner<'b, 'a>,
}

#[derive(Clone, Copy)]
enum ColumnInner<'b, 'a> {
    Single(&'b Value<'a>),
    Loop(&'b Loop<'a>, usize),
}

impl<'b, 'a> Column<'b, 'a> {
    pub fn len(&self) -> usize {
        match self.inner {
            ColumnInner::Single(_) => 1,
            ColumnInner::Loop(l, _) => l.rows(),
        }
    }

    pub fn get(&self, row: usize) -> Option<&'b Value<'a>> {
        match self.inner {
            ColumnInner::Single(v) => (row == 0).then_some(v),
            ColumnInner::Loop(l, col) => l.values.get(row.checked_mul(l.tags.len())?.checked_add(col)?),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'b Value<'a>> + '_ {
        (0..self.len()).filter_map(|r| self.get(r))
    }

    /// The single value of a non-looped item (or a one-row loop).
    #[cfg(test)]
    pub fn single(&self) -> Option<&'b Value<'a>> {
        (self.len() == 1).then(|| self.get(0)).flatten()
    }

}

impl<'a> Block<'a> {
    /// The values of `tag` (case-insensitive; '.' and '_' after the leading '_' are equal).
    pub fn get<'b>(&'b self, tag: &str) -> Option<Column<'b, 'a>> {
        let slot = self.index.get(&Key(tag))?;
        Some(match *slot {
            Slot::Pair(i) => {
                let (tag, value) = self.pairs.get(i)?;
                Column { tag: *tag, inner: ColumnInner::Single(value) }
            }
            Slot::Loop(l, c) => {
                let lp = self.loops.get(l)?;
                Column { tag: *lp.tags.get(c)?, inner: ColumnInner::Loop(lp, c) }
            }
        })
    }

    /// The first of `tags` present in the block.
    pub fn get_any<'b>(&'b self, tags: &[&str]) -> Option<Column<'b, 'a>> {
        tags.iter().find_map(|t| self.get(t))
    }

    /// The byte offset of a stray value after the single-valued item `tag`, if any: such an
    /// item was probably meant to hold a value with spaces, so it cannot be trusted.
    pub fn stray_after(&self, tag: &str) -> Option<usize> {
        if self.strays.is_empty() {
            return None;
        }
        let Some(Slot::Pair(i)) = self.index.get(&Key(tag)).copied() else { return None };
        self.strays.iter().find(|(after, _)| *after == Some(i)).map(|(_, pos)| *pos)
    }
}

/// Data names a block's index holds before it grows: structure blocks have 30-60, and
/// growing a hash map rehashes every name.
const INDEX_CAPACITY: usize = 64;

/// A data name compared case-insensitively with '.' read as '_'.
#[derive(Clone, Copy, Debug)]
struct Key<'a>(&'a str);

fn fold(b: u8) -> u8 {
    if b == b'.' { b'_' } else { b.to_ascii_lowercase() }
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.bytes().zip(other.0.bytes()).all(|(a, b)| fold(a) == fold(b))
    }
}
impl Eq for Key<'_> {}

impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buf = [0u8; 64];
        let n = self.0.len().min(64);
        for (d, s) in buf.iter_mut().zip(self.0.bytes()) {
            *d = fold(s);
        }
        state.write(&buf[..n]);
        state.write_usize(self.0.len());
    }
}

impl<'a> Document<'a> {
    /// 1-based (line, column) of a byte offset; the column counts characters.
    pub fn line_col(&self, pos: usize) -> (usize, usize) {
        let lines = self.lines.get_or_init(|| line_starts(self.text));
        let line = lines.partition_point(|&start| start <= pos).max(1);
        let start = lines.get(line - 1).copied().unwrap_or(0);
        let end = pos.min(self.text.len());
        let column = self.text.get(start..end).map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// A parse error at a byte offset.
    pub fn error_at(&self, file: &str, pos: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = self.line_col(pos);
        ParseError::at_column(file, line, column, message)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut starts = vec![0];
    for (i, &c) in b.iter().enumerate() {
        // "\r\n" counts once (at the '\n'); a lone '\r' ends a line too.
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

/// Parses a whole file into blocks; `text` must have "\n" line endings (see
/// [`normalize_newlines`]). Syntax errors are file-level errors.
pub fn parse<'a>(text: &'a str, file: &str) -> Result<Document<'a>, ParseError> {
    let version = if is_cif2(text) { Version::Cif2 } else { Version::Cif1 };
    let mut doc = Document { text, version, blocks: Vec::new(), lines: OnceLock::new() };
    if version == Version::Cif2
        && let Some(pos) = too_deep(text)
    {
        return Err(doc.error_at(file, pos, format!("lists/tables nested deeper than {MAX_NESTING} levels")));
    }
    let rule = if version == Version::Cif2 { Rule::cif2 } else { Rule::cif1 };
    let mut pairs = CifGrammar::parse(rule, text).map_err(|e| syntax_error(&doc, file, e))?;
    let Some(top) = pairs.next() else { return Ok(doc) };
    let mut blocks = Vec::new();
    for block in top.into_inner() {
        match block.as_rule() {
            Rule::data_block1 | Rule::data_block2 => blocks.push(build_block(block)),
            // global_ blocks hold defaults for dictionaries, never structures.
            _ => {}
        }
    }
    doc.blocks = blocks;
    Ok(doc)
}

/// CIF 2.0 files start with the magic comment `#\#CIF_2.0`.
fn is_cif2(text: &str) -> bool {
    text.strip_prefix("#\\#CIF_2.0").is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
}

fn build_block<'a>(pair: Pair<'a, Rule>) -> Block<'a> {
    let pos = pair.as_span().start();
    let mut inner = pair.into_inner();
    let name = inner.next().map_or("", |h| &h.as_str()[5..]);
    let mut block =
        Block { name, pos, pairs: Vec::new(), loops: Vec::new(), index: HashMap::with_capacity_and_hasher(INDEX_CAPACITY, Default::default()), problem: None, strays: Vec::new() };
    let mut pending_tag: Option<Tag<'a>> = None;
    // The item that stray values would follow (none right after a loop or frame heading).
    let mut last_pair: Option<usize> = None;
    let mut save_depth = 0usize;
    let mut save_start = 0;
    for p in inner {
        let start = p.as_span().start();
        match p.as_rule() {
            Rule::save_begin => {
                last_pair = None;
                if save_depth == 0 {
                    save_start = start;
                }
                save_depth += 1;
            }
            Rule::save_end => {
                if save_depth == 0 {
                    block.note_problem(start, "save_ frame end without a matching save_NAME heading");
                }
                save_depth = save_depth.saturating_sub(1);
            }
            Rule::stop | Rule::eof_marker | Rule::comment => {}
            _ if save_depth > 0 => {}
            Rule::tag => pending_tag = Some(Tag { name: p.as_str(), pos: start }),
            Rule::loop1 | Rule::loop2 => {
                block.add_loop(p);
                last_pair = None;
            }
            _ => match pending_tag.take() {
                Some(tag) => {
                    last_pair = Some(block.pairs.len());
                    block.add_pair(tag, to_value(p, 0));
                }
                None => block.strays.push((last_pair, start)),
            },
        }
    }
    if save_depth > 0 {
        block.note_problem(save_start, "save_ frame is never closed (no 'save_' line ends it)");
    }
    block
}

impl<'a> Block<'a> {
    fn note_problem(&mut self, pos: usize, message: impl Into<String>) {
        if self.problem.is_none() {
            self.problem = Some((pos, message.into()));
        }
    }

    fn index_tag(&mut self, tag: Tag<'a>, slot: Slot) {
        match self.index.entry(Key(tag.name)) {
            Entry::Vacant(e) => {
                e.insert(slot);
            }
            Entry::Occupied(e) => {
                let first = match *e.get() {
                    Slot::Pair(i) => self.pairs.get(i).map(|p| p.0),
                    Slot::Loop(l, c) => self.loops.get(l).and_then(|l| l.tags.get(c).copied()),
                };
                // '_a.b' and '_a_b' are the same DDLm name but may both appear in a file
                // mixing dictionaries; only an exact repeat is an error, and a repeated item
                // with the same value is redundant rather than ambiguous, so it is accepted.
                let same_value = match (*e.get(), slot) {
                    (Slot::Pair(i), Slot::Pair(j)) => match (self.pairs.get(i), self.pairs.get(j)) {
                        (Some(a), Some(b)) => same_value(&a.1, &b.1),
                        _ => false,
                    },
                    _ => false,
                };
                if !same_value && first.is_none_or(|f| f.name.eq_ignore_ascii_case(tag.name)) {
                    let message = format!("duplicate data name {} (each may appear once per data block)", tag.name);
                    self.note_problem(tag.pos, message);
                }
            }
        }
    }

    fn add_pair(&mut self, tag: Tag<'a>, value: Value<'a>) {
        let slot = Slot::Pair(self.pairs.len());
        self.pairs.push((tag, value));
        self.index_tag(tag, slot);
    }

    fn add_loop(&mut self, pair: Pair<'a, Rule>) {
        let pos = pair.as_span().start();
        let inner = pair.into_inner();
        let mut tags = Vec::new();
        // Every child but the keyword and the data names is a value (comments are few).
        let mut values = Vec::with_capacity(inner.len());
        for p in inner {
            match p.as_rule() {
                Rule::loop_kw | Rule::comment => {}
                Rule::tag => tags.push(Tag { name: p.as_str(), pos: p.as_span().start() }),
                _ => values.push(to_value(p, 0)),
            }
        }
        if !values.len().is_multiple_of(tags.len().max(1)) {
            let message = format!(
                "loop has {} values, not a multiple of its {} data names ({} complete rows and {} values left over)",
                values.len(),
                tags.len(),
                values.len() / tags.len().max(1),
                values.len() % tags.len().max(1)
            );
            self.note_problem(pos, message);
        }
        let index = self.loops.len();
        for (c, tag) in tags.iter().enumerate() {
            self.index_tag(*tag, Slot::Loop(index, c));
        }
        self.loops.push(Loop { tags, values });
    }
}

/// Equal values, numbers compared by value without their uncertainty ("298" = "298(2)").
fn same_value(a: &Value, b: &Value) -> bool {
    if a.kind == b.kind {
        return true;
    }
    match (a.text().map(super::number::parse), b.text().map(super::number::parse)) {
        (Some(Ok(x)), Some(Ok(y))) => x == y,
        _ => false,
    }
}

fn to_value<'a>(p: Pair<'a, Rule>, depth: usize) -> Value<'a> {
    let pos = p.as_span().start();
    let s = p.as_str();
    let kind = match p.as_rule() {
        Rule::sq1 | Rule::dq1 | Rule::sq2 | Rule::dq2 | Rule::sq_lines | Rule::dq_lines => {
            Kind::Quoted(s.get(1..s.len() - 1).unwrap_or(""))
        }
        Rule::tsq | Rule::tdq => Kind::Quoted(s.get(3..s.len() - 3).unwrap_or("")),
        Rule::text_field => Kind::Text(text_field_content(s)),
        // The nesting was bounded before parsing (see `too_deep`); this guard only keeps the
        // recursion finite if that check and the grammar ever disagree.
        Rule::list if depth < MAX_NESTING => Kind::List(
            p.into_inner().filter(|v| v.as_rule() != Rule::comment).map(|v| to_value(v, depth + 1)).collect(),
        ),
        Rule::table if depth < MAX_NESTING => Kind::Table(
            p.into_inner()
                .filter(|entry| entry.as_rule() == Rule::table_entry)
                .filter_map(|entry| {
                    let mut parts = entry.into_inner().filter(|v| v.as_rule() != Rule::comment);
                    let key = parts.next()?;
                    let k = key.as_str();
                    let k = if matches!(key.as_rule(), Rule::tsq | Rule::tdq) {
                        k.get(3..k.len() - 3).unwrap_or("")
                    } else {
                        k.get(1..k.len() - 1).unwrap_or("")
                    };
                    Some((k, to_value(parts.next()?, depth + 1)))
                })
                .collect(),
        ),
        Rule::list | Rule::table => Kind::List(Vec::new()),
        _ => Kind::Bare(s),
    };
    Value { pos, kind }
}

/// The text between the opening "\n;" and the closing "\n;".
fn text_field_content(s: &str) -> &str {
    let s = s.strip_prefix("\n;").unwrap_or(s);
    s.strip_suffix("\n;").unwrap_or(s)
}

/// The text with every line ending as "\n" ("\r\n" and a lone "\r" are replaced), which
/// is what [`parse`] expects. Line and column numbers do not change; text without '\r' is
/// not copied.
pub fn normalize_newlines(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The byte offset of the first list/table bracket nested deeper than [`MAX_NESTING`], found
/// by a light scan that skips comments, quoted strings and text fields the way the grammar
/// does (a conservative bound: the grammar is the authority on syntax).
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    if memchr::memchr2(b'[', b'{', b).is_none() {
        return None;
    }
    let mut i = 0;
    let mut depth = 0usize;
    let mut line_start = true;
    let mut token_start = true;
    while i < b.len() {
        let c = b[i];
        if line_start && c == b';' {
            // Text field: skip to the next line that starts with ';'.
            let mut j = i + 1;
            loop {
                match b.get(j) {
                    None => return None,
                    Some(b'\n' | b'\r') if b.get(j + 1) == Some(&b';') => break,
                    _ => j += 1,
                }
            }
            i = j + 2;
            line_start = false;
            token_start = false;
            continue;
        }
        line_start = false;
        match c {
            b'\n' | b'\r' => {
                line_start = true;
                token_start = true;
            }
            b' ' | b'\t' | b':' => token_start = true,
            b'#' if token_start => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'\'' | b'"' if token_start => {
                let triple = b.get(i..i + 3).is_some_and(|t| t.iter().all(|&x| x == c));
                if triple {
                    let close = [c, c, c];
                    i = b[i + 3..].windows(3).position(|w| w == close).map_or(b.len(), |p| i + 3 + p + 3);
                } else {
                    let end = b[i + 1..].iter().position(|&x| x == c || x == b'\n' || x == b'\r');
                    i = end.map_or(b.len(), |p| i + 1 + p + 1);
                }
                token_start = false;
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
                token_start = true;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                token_start = true;
            }
            _ => token_start = false,
        }
        i += 1;
    }
    None
}

/// Turns a pest failure into a located message that says what went wrong in CIF terms.
fn syntax_error(doc: &Document, file: &str, e: pest::error::Error<Rule>) -> ParseError {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((p, _)) => p,
    };
    let text = doc.text;
    let rest = text.get(pos..).unwrap_or("");
    // The separator stops before a newline that is followed by ';'.
    let (pos, rest) = match rest.strip_prefix("\r\n").or_else(|| rest.strip_prefix('\n')).or_else(|| rest.strip_prefix('\r')) {
        Some(after) if after.starts_with(';') => (text.len() - after.len(), after),
        _ => (pos, rest),
    };
    let at_line_start = pos == 0 || matches!(text.as_bytes().get(pos - 1), Some(b'\n' | b'\r'));
    let word: String = rest.chars().take_while(|c| !c.is_whitespace()).take(40).collect();
    let message = if rest.starts_with(';') && at_line_start {
        "unterminated text field: no later line starts with ';' to close it".to_string()
    } else if rest.starts_with(['\'', '"']) {
        let rule = match doc.version {
            Version::Cif1 => " (in CIF 1.1 a closing quote must be followed by whitespace)",
            Version::Cif2 => "",
        };
        format!("unterminated quoted string{rule}")
    } else if let pest::error::ErrorVariant::CustomError { message } = &e.variant {
        message.clone()
    } else if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        let mut wanted: Vec<&str> = positives.iter().map(|r| describe(*r)).collect();
        wanted.sort();
        wanted.dedup();
        let found = if rest.is_empty() { "end of file".to_string() } else { format!("'{word}'") };
        if wanted.is_empty() {
            format!("invalid CIF syntax at {found}")
        } else {
            format!("expected {}, found {found}", wanted.join(" or "))
        }
    } else {
        "invalid CIF syntax".to_string()
    };
    doc.error_at(file, pos, message)
}

fn describe(rule: Rule) -> &'static str {
    match rule {
        Rule::data_heading | Rule::data_block1 | Rule::data_block2 | Rule::cif1 | Rule::cif2 => {
            "a data_ block heading"
        }
        Rule::global_heading | Rule::global_block1 | Rule::global_block2 => "a data_ block heading",
        Rule::tag => "a data name",
        Rule::loop_kw | Rule::loop1 | Rule::loop2 => "loop_",
        Rule::save_begin | Rule::save_end => "save_",
        Rule::EOI => "end of file",
        Rule::table_entry => "a table entry 'key':value",
        _ => "a value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Document<'_> {
        assert!(!text.contains('\r'), "normalise first");
        parse(text, "t.cif").unwrap_or_else(|e| panic!("{e}"))
    }

    fn text_of<'a>(b: &'a Block, tag: &str) -> &'a str {
        b.get(tag).unwrap().single().unwrap().text().unwrap()
    }

    #[test]
    fn blocks_items_and_loops() {
        let doc = parse_ok(
            "# comment\ndata_one\n_cell_length_a 3.5(2) # trailing\n_Name 'O'Brien' _t2 \"a b\"\n\
             loop_\n_atom_site_label\n_atom_site.fract_x\nFe1 0.5\nO1 .\n\ndata_two\n_x ?\n",
        );
        assert_eq!(doc.version, Version::Cif1);
        assert_eq!(doc.blocks.len(), 2);
        let b = &doc.blocks[0];
        assert_eq!(b.name, "one");
        assert_eq!(text_of(b, "_cell_length_a"), "3.5(2)");
        assert_eq!(text_of(b, "_name"), "O'Brien");
        assert_eq!(text_of(b, "_T2"), "a b");
        let col = b.get("_atom_site_fract_x").unwrap();
        assert_eq!(col.len(), 2);
        assert_eq!(col.get(1).unwrap().kind, Kind::Bare("."));
        assert!(col.get(1).unwrap().is_null());
        assert_eq!(doc.line_col(col.get(0).unwrap().pos), (8, 5));
        assert!(doc.blocks[1].get("_x").unwrap().single().unwrap().is_null());
        assert!(b.problem.is_none());
    }

    #[test]
    fn text_fields_and_crlf() {
        let text = normalize_newlines("data_x\r\n_a\r\n;\r\nline 1\r\nline 2\r\n;\r\n_b ;not-a-field\r_c\r\n;one;\r\n;\r\n");
        let doc = parse_ok(&text);
        let b = &doc.blocks[0];
        assert_eq!(text_of(b, "_a"), "\nline 1\nline 2");
        assert_eq!(text_of(b, "_b"), ";not-a-field");
        assert_eq!(doc.line_col(b.get("_b").unwrap().tag.pos), (7, 1));
        assert_eq!(text_of(b, "_c"), "one;");
    }

    #[test]
    fn save_frames_are_skipped() {
        let doc = parse_ok("data_d\nsave_a\n_x 1\nsave_b\n_x 2\nsave_\nsave_\n_x 3\n");
        assert_eq!(text_of(&doc.blocks[0], "_x"), "3");
        assert!(doc.blocks[0].problem.is_none());
        let doc = parse_ok("data_d\nsave_a\n_x 1\n");
        assert!(doc.blocks[0].problem.as_ref().unwrap().1.contains("never closed"));
    }

    #[test]
    fn cif2_values() {
        let doc = parse_ok("#\\#CIF_2.0\ndata_c\n_l [1 'a b' [x] {'k':v 'n':[]}]\n_t '''multi\nline'''\n");
        assert_eq!(doc.version, Version::Cif2);
        let b = &doc.blocks[0];
        let Kind::List(items) = &b.get("_l").unwrap().single().unwrap().kind else { panic!() };
        assert_eq!(items.len(), 4);
        assert_eq!(items[1].kind, Kind::Quoted("a b"));
        let Kind::Table(entries) = &items[3].kind else { panic!() };
        assert_eq!(entries[0].0, "k");
        assert_eq!(text_of(b, "_t"), "multi\nline");
        // CIF 2.0: a quote closes at the next quote ('it' then a bare s is a syntax error).
        assert!(parse("#\\#CIF_2.0\ndata_c\n_q 'it's'\n", "t.cif").is_err());
    }

    #[test]
    fn problems_are_located() {
        let doc = parse_ok("data_d\n_a 1\n_A 2\n");
        let (pos, msg) = doc.blocks[0].problem.clone().unwrap();
        assert!(msg.contains("duplicate data name _A"), "{msg}");
        assert_eq!(doc.line_col(pos).0, 3);
        let doc = parse_ok("data_d\nloop_\n_a\n_b\n1 2 3\n");
        let (pos, msg) = doc.blocks[0].problem.clone().unwrap();
        assert!(msg.contains("3 values, not a multiple of its 2"), "{msg}");
        assert_eq!(doc.line_col(pos).0, 2);
        assert!(parse_ok("data_d\n_a 1\n_a 1\n").blocks[0].problem.is_none());
        assert!(parse_ok("data_d\n_a 298\n_a 298(2)\n").blocks[0].problem.is_none());
        assert!(parse_ok("data_d\n_a 1\n_b 2\n_eof\n\ndata_e\n_a 1\n_eof\n").blocks[0].problem.is_none());
        // Dotted and underscored spellings of one DDLm name are not duplicates.
        assert!(parse_ok("data_d\n_a.b 1\n_a_b 1\n").blocks[0].problem.is_none());
    }

    #[test]
    fn syntax_errors_are_located_and_explained() {
        let e = parse("data_x\n_a 'open\n_b 1\n", "t.cif").unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(4)));
        assert!(e.message.contains("unterminated quoted string"), "{e}");
        let e = parse("data_x\n_a\n;text\nnever closed\n", "t.cif").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("unterminated text field"), "{e}");
        let e = parse("data_x\n_a\n_b 1\n", "t.cif").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("expected a value"), "{e}");
        let e = parse("_a 1\n", "t.cif").unwrap_err();
        assert!(e.message.contains("data_"), "{e}");
        let deep = format!("#\\#CIF_2.0\ndata_x\n_a {}{}\n", "[".repeat(20000), "]".repeat(20000));
        let e = parse(&deep, "t.cif").unwrap_err();
        assert!(e.message.contains("nested deeper"), "{e}");
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn tolerated_deviations() {
        // Banner before the first block, a quoted value over several lines, stray values.
        let doc = parse_ok(
            "Supplementary Material (ESI)\nThis journal is (c) 2002\ndata_x\n_t 'two\n  lines\n'\n\
             _sg 'R 3' ccc\n_other 1\ncomputing_graphics ?\n_z 2\n",
        );
        let b = &doc.blocks[0];
        assert_eq!(text_of(b, "_t"), "two\n  lines\n");
        assert_eq!(text_of(b, "_sg"), "R 3");
        assert_eq!(b.stray_after("_sg").map(|p| doc.line_col(p)), Some((7, 11)));
        assert!(b.stray_after("_z").is_none());
        assert_eq!(b.strays.len(), 3);
        // ... but a quote left open before a data name is still an error at its line.
        let e = parse("data_x\n_a 'open\n_b 1\n'\n", "t.cif").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("_a 1\ndata_x\n", "t.cif").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn empty_and_comment_only_files_have_no_blocks() {
        assert!(parse_ok("").blocks.is_empty());
        assert!(parse_ok("# just a comment").blocks.is_empty());
        assert!(parse_ok("#\\#CIF_2.0\n").blocks.is_empty());
        assert_eq!(parse_ok("data_\n_a 1\n").blocks[0].name, "");
    }
}
