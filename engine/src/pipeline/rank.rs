//! Sorting by a field, optionally keeping only the best `limit` (top-k in bounded memory).

use crate::candidate::Candidate;
use std::cmp::Ordering;
use std::fmt;

/// Order by a numeric field; ties and candidates without the field (last) go by index, so the
/// order is total and reproducible.
#[derive(Clone, Debug)]
pub struct Ranking {
    pub field: String,
    pub descending: bool,
    /// Keep only the first `limit` after sorting.
    pub limit: Option<usize>,
    buffer: Vec<Candidate>,
    dropped: u64,
}

impl Ranking {
    pub fn new(field: impl Into<String>, descending: bool, limit: Option<usize>) -> Self {
        Ranking { field: field.into(), descending, limit, buffer: Vec::new(), dropped: 0 }
    }

    fn compare(&self, a: &Candidate, b: &Candidate) -> Ordering {
        let key = |c: &Candidate| c.fields.number(&self.field).filter(|x| !x.is_nan());
        let by_value = match (key(a), key(b)) {
            (Some(x), Some(y)) => {
                let o = x.total_cmp(&y);
                if self.descending { o.reverse() } else { o }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_value.then(a.index.cmp(&b.index))
    }

    fn sort_and_cut(&mut self) {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.sort_by(|a, b| self.compare(a, b));
        if let Some(k) = self.limit
            && buffer.len() > k
        {
            self.dropped += (buffer.len() - k) as u64;
            buffer.truncate(k);
        }
        self.buffer = buffer;
    }

    /// Adds candidates; with a limit, memory stays within about twice the limit.
    pub fn push(&mut self, candidates: Vec<Candidate>) {
        self.buffer.extend(candidates);
        if let Some(k) = self.limit
            && self.buffer.len() > 2 * k.max(512)
        {
            self.sort_and_cut();
        }
    }

    /// The kept candidates in rank order, and how many were cut by the limit.
    pub fn finish(&mut self) -> (Vec<Candidate>, u64) {
        self.sort_and_cut();
        (std::mem::take(&mut self.buffer), std::mem::take(&mut self.dropped))
    }
}

impl fmt::Display for Ranking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = if self.descending { "descending" } else { "ascending" };
        match self.limit {
            Some(k) => write!(f, "top {k} by {} ({dir})", self.field),
            None => write!(f, "sort by {} ({dir})", self.field),
        }
    }
}
