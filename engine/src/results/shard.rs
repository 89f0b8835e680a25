//! `--shard i/N`: which records a worker of an array job scores.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (0-based). Records are cut by position into blocks of a fixed
/// size (the commit batch of `screen score`), and the shard owns the blocks `b` with
/// `b % count == index`. Whole blocks, not single records, because a packed forward pass
/// rounds differently with different batch-mates (last bits of f32): a shard then predicts
/// exactly the batches an unsharded run does, and the union of shards equals it bit for bit.
/// Round-robin by position is balanced (shard sizes differ by at most one block), needs no
/// hashing, and is stable under re-runs because positions are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole input.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn new(index: u64, count: u64) -> Result<Shard> {
        if count == 0 || index >= count {
            return Err(Error::Usage(format!("shard {index}/{count}: expected i/N with 0 <= i < N")));
        }
        Ok(Shard { index, count })
    }

    /// Whether the shard owns block `block` (0-based).
    pub fn owns(self, block: u64) -> bool {
        block % self.count == self.index
    }

    /// Whether the shard holds the record at `position`, with blocks of `block_size` records.
    pub fn contains(self, position: u64, block_size: u64) -> bool {
        self.owns(position / block_size.max(1))
    }

    /// How many of the records `0..total` this shard holds, with blocks of `block_size`.
    pub fn size_of(self, total: u64, block_size: u64) -> u64 {
        let b = block_size.max(1);
        let (full, rest) = (total / b, total % b);
        let owned_full = (full + self.count - 1 - self.index) / self.count;
        owned_full * b + if rest > 0 && self.owns(full) { rest } else { 0 }
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// Parses `i/N` (0-based `i`; Slurm's `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`
    /// with `--array=0-(N-1)`).
    fn from_str(s: &str) -> Result<Shard> {
        let bad = || Error::Usage(format!("--shard '{s}': expected i/N, e.g. 0/8 (0-based i < N)"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        Shard::new(i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_records_evenly() {
        for n in [1u64, 3, 7] {
            let shards: Vec<Shard> = (0..n).map(|i| Shard::new(i, n).unwrap()).collect();
            for block in [1u64, 10, 64] {
                for r in 0..1000u64 {
                    assert_eq!(shards.iter().filter(|s| s.contains(r, block)).count(), 1);
                }
                let sizes: Vec<u64> = shards.iter().map(|s| s.size_of(1000, block)).collect();
                assert_eq!(sizes.iter().sum::<u64>(), 1000);
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= block);
                for s in &shards {
                    assert_eq!(s.size_of(1000, block), (0..1000).filter(|&r| s.contains(r, block)).count() as u64);
                }
            }
        }
        assert_eq!("2/7".parse::<Shard>().unwrap(), Shard { index: 2, count: 7 });
        assert!("7/7".parse::<Shard>().is_err() && "1/0".parse::<Shard>().is_err() && "x".parse::<Shard>().is_err());
    }
}
