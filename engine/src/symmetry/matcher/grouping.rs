//! Grouping many structures into sets of matching ones: invariant buckets, then connected
//! components of the match graph inside each bucket (independent of the input order).

use super::{MatcherOptions, ReducedStructure, StructureMatcher};
use crate::crystal::Crystal;
use crate::symmetry::SymmetryError;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The result of [`group_structures`].
#[derive(Clone, Debug, Default)]
pub struct Grouping {
    /// Groups of input indices: each group sorted, groups ordered by their first member. The
    /// first member of a group is the one to keep when deduplicating.
    pub groups: Vec<Vec<usize>>,
    /// Inputs that could not be prepared for matching, with the reason; they are in no group.
    pub failures: Vec<(usize, SymmetryError)>,
    /// Pairs actually compared (both directions of a fit count as one pair).
    pub pairs_compared: usize,
    /// Number of invariant buckets.
    pub buckets: usize,
}

/// Prepares every crystal (in parallel) and groups them; see [`group_reduced`].
pub fn group_structures(crystals: &[Crystal], options: &MatcherOptions) -> Grouping {
    let matcher = StructureMatcher::new(*options);
    let reduced: Vec<Result<ReducedStructure, SymmetryError>> = crystals.par_iter().map(|c| matcher.reduce(c)).collect();
    group_reduced(reduced, options)
}

/// Groups prepared structures. Buckets by [`super::InvariantKey`]; inside a bucket compares
/// pairs (skipping pairs already connected) and returns the connected components. The
/// partition depends only on the structures, never on their order.
pub fn group_reduced(reduced: Vec<Result<ReducedStructure, SymmetryError>>, options: &MatcherOptions) -> Grouping {
    let matcher = StructureMatcher::new(*options);
    let mut failures = Vec::new();
    let mut ok: Vec<Option<ReducedStructure>> = Vec::with_capacity(reduced.len());
    for (i, r) in reduced.into_iter().enumerate() {
        match r {
            Ok(s) => ok.push(Some(s)),
            Err(e) => {
                failures.push((i, e));
                ok.push(None);
            }
        }
    }
    let mut buckets: BTreeMap<super::InvariantKey, Vec<usize>> = BTreeMap::new();
    for (i, s) in ok.iter().enumerate() {
        if let Some(s) = s {
            buckets.entry(s.key(options.comparison)).or_default().push(i);
        }
    }
    let n_buckets = buckets.len();
    let bucket_list: Vec<Vec<usize>> = buckets.into_values().collect();
    let results: Vec<(Vec<Vec<usize>>, usize)> = bucket_list
        .par_iter()
        .map(|members| components(members, &ok, &matcher))
        .collect();
    let mut groups = Vec::new();
    let mut pairs = 0;
    for (g, p) in results {
        groups.extend(g);
        pairs += p;
    }
    groups.sort_by_key(|g| g[0]);
    Grouping { groups, failures, pairs_compared: pairs, buckets: n_buckets }
}

/// Largest volume-per-site ratio two unscaled structures can have and still match: each
/// length may differ by (1 + ltol), and 5° of angle changes a cell volume by < 10%.
fn volume_window(options: &MatcherOptions) -> f64 {
    (1.0 + options.ltol).powi(3) * 1.1
}

/// Connected components of the match graph on one bucket (members sorted ascending).
fn components(members: &[usize], all: &[Option<ReducedStructure>], matcher: &StructureMatcher) -> (Vec<Vec<usize>>, usize) {
    let m = members.len();
    let mut parent: Vec<usize> = (0..m).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut pairs = 0;
    let window = volume_window(&matcher.options);
    for a in 0..m {
        for b in a + 1..m {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra == rb {
                continue;
            }
            let (Some(sa), Some(sb)) = (&all[members[a]], &all[members[b]]) else { continue };
            if !matcher.options.scale {
                let r = sa.volume_per_site() / sb.volume_per_site();
                if r > window || r < 1.0 / window {
                    continue;
                }
            }
            pairs += 1;
            if matcher.matches(sa, sb) {
                let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                parent[hi] = lo;
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for a in 0..m {
        let r = find(&mut parent, a);
        by_root.entry(r).or_default().push(members[a]);
    }
    let mut groups: Vec<Vec<usize>> = by_root.into_values().collect();
    for g in &mut groups {
        g.sort_unstable();
    }
    (groups, pairs)
}
