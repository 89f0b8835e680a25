use super::*;
use crate::candidate::{Origin, Rejection, Value};
use crate::chem::Element;
use crate::crystal::{Crystal, Lattice};
use crate::plugin::{Failure, Filter};
use crate::pipeline::sources::Indexed;
use std::sync::Mutex;

fn rocksalt(a: &str, b: &str, scale: f64) -> Crystal {
    let lattice = Lattice::new([[scale, 0.0, 0.0], [0.0, scale, 0.0], [0.0, 0.0, scale]]).unwrap();
    let (a, b) = (Element::from_symbol(a).unwrap(), Element::from_symbol(b).unwrap());
    Crystal::from_elements(lattice, &[a, b], &[[0.0; 3], [0.5; 3]])
}

/// 0..n: candidate i is a binary whose lattice encodes i; every 7th cannot be built.
fn source(n: u64) -> Box<dyn crate::plugin::Generator> {
    Box::new(Indexed::new("test", n, |i| {
        if i % 7 == 3 {
            return Err(Failure { index: i, id: format!("c{i}"), rejection: Rejection::new("cannot build"), error: true });
        }
        let c = rocksalt(["Na", "K", "Mg"][(i % 3) as usize], "Cl", 4.0 + (i % 11) as f64 * 0.1);
        Ok(Candidate::new(format!("c{i}"), i, c, Origin::Record { source: "t".into(), location: String::new() }))
    }))
}

struct NoMagnesium;
impl Filter for NoMagnesium {
    fn name(&self) -> String {
        "no Mg".into()
    }
    fn check(&self, c: &Candidate) -> Result<(), Rejection> {
        if c.index == 40 {
            panic!("boom");
        }
        if c.crystal.elements().contains(&Element::from_symbol("Mg").unwrap()) {
            Err(Rejection::new("contains Mg"))
        } else {
            Ok(())
        }
    }
}

struct Volume;
impl crate::plugin::Property for Volume {
    fn name(&self) -> String {
        "volume".into()
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("volume", Some("Å^3"))]
    }
    fn compute(&self, c: &mut Candidate) -> Result<(), Rejection> {
        let v = c.crystal.volume();
        c.fields.set("volume", Value::Float(v), Some("Å^3"));
        Ok(())
    }
}

/// A sink that keeps ids in memory.
struct Collect(std::sync::Arc<Mutex<Vec<String>>>);
impl Sink for Collect {
    fn name(&self) -> String {
        "memory".into()
    }
    fn begin(&mut self, _: &[Column]) -> crate::Result<()> {
        Ok(())
    }
    fn write(&mut self, c: &Candidate) -> crate::Result<()> {
        let v = c.fields.number("volume").unwrap_or(f64::NAN);
        self.0.lock().unwrap().push(format!("{} {v:.3}", c.id));
        Ok(())
    }
    fn flush(&mut self) -> crate::Result<()> {
        Ok(())
    }
}

fn run(n: u64, threads: usize, ranking: Option<Ranking>) -> (Summary, Vec<String>) {
    let out = std::sync::Arc::new(Mutex::new(Vec::new()));
    let mut p = Pipeline::new(source(n));
    p.stages = vec![Stage::Filter(std::sync::Arc::new(NoMagnesium)), Stage::Property(std::sync::Arc::new(Volume))];
    p.ranking = ranking;
    p.sinks.push(Box::new(Collect(out.clone())));
    let options = RunOptions { threads, chunk_size: 16, ..RunOptions::default() };
    let summary = p.run(&options, &Quiet).unwrap();
    let ids = out.lock().unwrap().clone();
    (summary, ids)
}

#[test]
fn output_is_in_index_order_whatever_the_thread_count() {
    let (s1, one) = run(1000, 1, None);
    let (s4, four) = run(1000, 4, None);
    assert_eq!(one, four);
    assert_eq!(s1.stages, s4.stages);
    let failed = (0..1000).filter(|i| i % 7 == 3).count() as u64;
    assert_eq!(s1.stages[0].input, 1000);
    assert_eq!(s1.stages[0].removed["cannot build"], failed);
    // One candidate panicked in the filter: counted, not fatal.
    assert_eq!(s1.stages[1].removed["filter crashed"], 1);
    let mg = (0..1000u64).filter(|i| i % 7 != 3 && i % 3 == 2 && *i != 40).count() as u64;
    assert_eq!(s1.stages[1].removed["contains Mg"], mg);
    assert_eq!(s1.written as usize, one.len());
    let indices: Vec<u64> = one.iter().map(|s| s[1..s.find(' ').unwrap()].parse().unwrap()).collect();
    assert!(indices.windows(2).all(|w| w[0] < w[1]));
    assert!(!indices.contains(&40));
}

#[test]
fn ranking_keeps_the_top_k_with_ties_by_index() {
    let (s, top) = run(5000, 3, Some(Ranking::new("volume", true, Some(5))));
    // Largest lattice (4 + 10·0.1 Å) first; among equal volumes, lowest index first.
    assert_eq!(top.len(), 5);
    assert!(top.iter().all(|t| t.ends_with("125.000")), "{top:?}");
    assert_eq!(top[0], "c21 125.000"); // c10 (10 % 7 == 3) failed to build
    let rank = s.stages.last().unwrap();
    assert_eq!(rank.output(), 5);
    assert_eq!(s.written, 5);
}

#[test]
fn stop_flag_ends_the_run_early_with_complete_output() {
    let out = std::sync::Arc::new(Mutex::new(Vec::new()));
    let mut p = Pipeline::new(source(u64::MAX / 2));
    p.sinks.push(Box::new(Collect(out.clone())));
    let options = RunOptions { threads: 2, chunk_size: 64, ..RunOptions::default() };
    let stop = options.stop.clone();
    struct StopAfter(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Observer for StopAfter {
        fn progress(&self, s: &Summary) {
            if s.generated() > 10_000 {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    let summary = p.run(&options, &StopAfter(stop)).unwrap();
    assert!(summary.interrupted);
    let written = out.lock().unwrap().len() as u64;
    assert_eq!(written, summary.written);
    assert_eq!(summary.generated() % 64, 0, "whole chunks only");
    assert!(summary.generated() < 100_000);
}
