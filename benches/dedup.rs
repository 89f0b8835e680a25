//! Structure matching at scale: the structures of `../shared/data/mp_flla2015.jsonl.gz`, each
//! with five copies (rotated, origin-shifted, 2×1×1 supercell, sites shuffled, all at once in
//! another basis; `symmetry::setting::equivalent_copies`), grouped with
//! `symmetry::matcher::group_structures` (moyo, default tolerances), then again in a shuffled
//! order. Checks that every original groups with exactly its own copies and that both orders
//! give the same partition; prints wall time and pairs/s. Writes the input as JSON Lines for
//! `benches/pymatgen_dedup.py`, which times pymatgen's `group_structures` on the same records.
//!
//!     cargo bench -p screen-engine --bench dedup                   # all 3,938 originals
//!     SCREEN_DEDUP_N=300 cargo bench -p screen-engine --bench dedup  # the first 300
//!     python3 benches/pymatgen_dedup.py target/dedup/flla_copies_300.jsonl

use screen_engine::crystal::{Crystal, Entry, Structure};
use screen_engine::formats::{self, Format, ReadOptions};
use screen_engine::symmetry::matcher::{MatcherOptions, group_structures};
use screen_engine::symmetry::setting::equivalent_copies;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn main() {
    let n: usize = std::env::var("SCREEN_DEDUP_N").ok().and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mp_flla2015.jsonl.gz");
    let records = formats::open(&data, None, &ReadOptions::default()).expect("mp_flla2015 present");
    let originals: Vec<Entry> = records.filter_map(Result::ok).take(n).collect();
    let mut entries: Vec<Entry> = originals.clone();
    for e in &originals {
        let c = e.structure.as_crystal().expect("crystal");
        for (suffix, copy) in equivalent_copies(c, 42).expect("copies") {
            let mut copy = copy;
            copy.properties.remove("id");
            entries.push(Entry { id: format!("{}~{suffix}", e.id), location: e.location.clone(), structure: Structure::Crystal(copy) });
        }
    }
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dedup");
    std::fs::create_dir_all(&out_dir).expect("target/dedup");
    let label = if n == usize::MAX { "all".to_string() } else { n.to_string() };
    let out = out_dir.join(format!("flla_copies_{label}.jsonl"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out).expect("output"));
    let refs: Vec<&Entry> = entries.iter().collect();
    formats::write(&refs, Format::Jsonl, &mut file).expect("write");
    file.flush().expect("flush");
    println!("{} originals + {} copies written to {}", originals.len(), entries.len() - originals.len(), out.display());

    let crystals: Vec<Crystal> = entries.iter().map(|e| e.structure.as_crystal().cloned().expect("crystal")).collect();
    let base = |i: usize| entries[i].id.split('~').next().unwrap_or("").to_string();
    let options = MatcherOptions::default();
    let start = Instant::now();
    let g = group_structures(&crystals, &options);
    let wall = start.elapsed().as_secs_f64();
    let wrong: Vec<String> = g
        .groups
        .iter()
        .filter(|grp| grp.iter().map(|&i| base(i)).collect::<BTreeSet<_>>().len() != 1 || grp.len() != 6)
        .map(|grp| grp.iter().map(|&i| entries[i].id.clone()).collect::<Vec<_>>().join(" "))
        .collect();
    println!(
        "screen group_structures: {} structures → {} groups ({} failures), {} buckets, {} pairs compared, {wall:.2} s wall, {:.0} pairs/s, {:.0} structures/s ({} threads)",
        crystals.len(),
        g.groups.len(),
        g.failures.len(),
        g.buckets,
        g.pairs_compared,
        g.pairs_compared as f64 / wall,
        crystals.len() as f64 / wall,
        rayon::current_num_threads()
    );
    println!("groups that are not exactly one original with its 5 copies: {}", wrong.len());
    for w in wrong.iter().take(50) {
        println!("  {w}");
    }
    // Shuffled order: same partition.
    let mut order: Vec<usize> = (0..crystals.len()).collect();
    let mut state = 12345u64;
    for i in (1..order.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        order.swap(i, (state >> 33) as usize % (i + 1));
    }
    let shuffled: Vec<Crystal> = order.iter().map(|&i| crystals[i].clone()).collect();
    let h = group_structures(&shuffled, &options);
    let canon = |groups: &[Vec<usize>], map: &dyn Fn(usize) -> usize| -> BTreeSet<BTreeSet<usize>> {
        groups.iter().map(|grp| grp.iter().map(|&i| map(i)).collect()).collect()
    };
    let same = canon(&g.groups, &|i| i) == canon(&h.groups, &|i| order[i]);
    println!("shuffled order gives the identical grouping: {same}");
}
