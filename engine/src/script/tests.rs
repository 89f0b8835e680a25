use super::*;
use crate::candidate::{Rejection, Value};
use crate::plugin::{Column, Filter, Property};
use std::sync::Mutex as StdMutex;

struct Capture(StdMutex<Vec<String>>);
impl Host for Capture {
    fn observer(&self, _: &str) -> Box<dyn Observer> {
        Box::new(crate::pipeline::Quiet)
    }
    fn finished(&self, s: &Summary) {
        self.0.lock().unwrap().push(s.to_string());
    }
    fn print(&self, t: &str) {
        self.0.lock().unwrap().push(t.to_string());
    }
}

struct Heavier(f64);
impl Filter for Heavier {
    fn name(&self) -> String {
        format!("mass > {}", self.0)
    }
    fn check(&self, c: &crate::candidate::Candidate) -> Result<(), Rejection> {
        if c.crystal.composition().mass() > self.0 { Ok(()) } else { Err(Rejection::new("too light")) }
    }
}

struct Mass;
impl Property for Mass {
    fn name(&self) -> String {
        "mass".into()
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("mass", Some("u"))]
    }
    fn compute(&self, c: &mut crate::candidate::Candidate) -> Result<(), Rejection> {
        let m = c.crystal.composition().mass();
        c.fields.set("mass", Value::Float((m * 1000.0).round() / 1000.0), Some("u"));
        Ok(())
    }
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.add_filter("heavier", "mass above a threshold", |o| {
        Ok(Arc::new(Heavier(o.float("than")?.ok_or("option 'than' is required")?)) as Arc<dyn Filter>)
    });
    r.add_property("mass", "formula mass", |_| Ok(Arc::new(Mass) as Arc<dyn Property>));
    r
}

/// A temporary project: a directory with a few POSCARs under data/.
fn project(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-script-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for (i, (a, b)) in [("Na", "Cl"), ("K", "Br"), ("Li", "F"), ("Cs", "I"), ("Mg", "O")].iter().enumerate() {
        let poscar = format!("{a}{b}\n1.0\n4 0 0\n0 4 0\n0 0 4\n{a} {b}\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n");
        std::fs::write(dir.join(format!("data/{i}_{a}{b}.vasp")), poscar).unwrap();
    }
    dir
}

fn settings(host: Arc<dyn Host>, threads: usize) -> Settings {
    Settings {
        registry: registry(),
        config: Some(Config::default()),
        threads,
        values: BTreeMap::new(),
        allow: Vec::new(),
        stop: Arc::new(AtomicBool::new(false)),
        repository: None,
        host,
    }
}

fn run(dir: &Path, script: &str, threads: usize) -> (Result<Vec<Summary>, ScriptError>, Vec<String>) {
    let host = Arc::new(Capture(StdMutex::new(Vec::new())));
    let r = run_source(script, "test.rhai", dir, settings(host.clone(), threads));
    let out = host.0.lock().unwrap().clone();
    (r, out)
}

#[test]
fn builtin_closure_and_plugin_filters_rank_and_write() {
    let dir = project("e2e");
    std::fs::create_dir_all(dir.join("plugins.d")).unwrap();
    std::fs::write(
        dir.join("plugins.d/no_halide_of.rhai"),
        "fn filter(c, options) {\n  let x = options.get(\"element\") ?? \"F\";\n  if c.elements.contains(x) { `contains ${x}` } else { true }\n}\n",
    )
    .unwrap();
    let script = r#"
        let s = read("data");
        s.filter("heavier", #{ than: 40 });
        s.filter("no_halide_of", #{ element: "I" });
        s.compute("mass");
        s.compute("cells", |c| c.num_sites * 2);
        s.filter(|c| c.mass < 200.0);
        s.sort_by("mass", "desc");
        s.write("out/ranked.csv");
        let r = s.run();
        print(`accepted ${r.accepted}`);
    "#;
    let (r, out) = run(&dir, script, 2);
    let summaries = r.unwrap();
    assert_eq!(summaries.len(), 1);
    let csv = std::fs::read_to_string(dir.join("out/ranked.csv")).unwrap();
    // NaCl 58.4, KBr 119.0, LiF 25.9 (too light), CsI 259.8 (iodide), MgO 40.3.
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "id,formula,mass[u],cells");
    assert!(lines[1].contains("KBr") && lines[2].contains("NaCl") && lines[3].contains("MgO"), "{csv}");
    assert_eq!(lines.len(), 4);
    let s = &summaries[0];
    assert_eq!(s.stages[1].removed["too light"], 1);
    assert_eq!(s.stages[2].removed["contains I"], 1);
    assert!(out.iter().any(|l| l == "accepted 3"), "{out:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sandbox_refuses_files_outside_processes_and_endless_loops() {
    let dir = project("sandbox");
    let (r, _) = run(&dir, "let s = read(\"../../../etc\");", 1);
    let e = r.unwrap_err();
    assert!(e.to_string().starts_with("test.rhai:1:"), "{e}");
    assert!(e.message.contains("sandbox: cannot read '../../../etc'"), "{e}");

    let (r, _) = run(&dir, "let s = read(\"data\");\ns.write(\"/tmp/elsewhere.csv\");", 1);
    let e = r.unwrap_err().to_string();
    assert!(e.contains("test.rhai:2:3: sandbox: cannot write"), "{e}");

    let (r, _) = run(&dir, "\n\nsystem(\"rm -rf /\");", 1);
    let e = r.unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("cannot run processes"), "{e}");

    let host = Arc::new(Capture(StdMutex::new(Vec::new())));
    let mut st = settings(host, 1);
    st.config.as_mut().unwrap().sandbox.max_operations = 10_000;
    let e = run_source("let x = 0;\nloop { x += 1; }", "loop.rhai", &dir, st).unwrap_err();
    assert!(e.message.contains("operation limit (10000 operations"), "{e}");
    assert_eq!(e.line, Some(2));

    let (r, _) = run(&dir, "import \"x\" as y;", 1);
    assert!(r.is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn errors_point_at_the_script_line() {
    let dir = project("errors");
    let (r, _) = run(&dir, "let s = read(\"data\");\n\ns.filter(\"no_such_filter\");", 1);
    let e = r.unwrap_err();
    assert_eq!((e.line, e.column), (Some(3), Some(3)));
    assert!(e.message.contains("unknown filter 'no_such_filter' (known: heavier"), "{e}");
    let (r, _) = run(&dir, "let s = read(\"data\");\ns.filter(\"heavier\", #{ thn: 3, than: 1 });", 1);
    assert!(r.unwrap_err().message.contains("unknown option thn"));
    let (r, _) = run(&dir, "let x = ;", 1);
    assert!(r.unwrap_err().to_string().starts_with("test.rhai:1:"));
    // A closure that fails for some candidates rejects those, with the line, and goes on.
    let (r, _) = run(&dir, "let s = read(\"data\");\ns.filter(|c| if c.formula == \"NaCl\" { c.nope } else { true });\ns.run();", 1);
    let s = &r.unwrap()[0];
    assert_eq!(s.accepted(), 4);
    assert_eq!(s.stages[1].removed.keys().next().unwrap(), "script error in closure (line 2)");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn same_output_with_one_and_three_threads() {
    let dir = project("threads");
    let script = "let s = read(\"data\");\ns.compute(\"mass\");\ns.write(setting(\"out\", \"x.csv\"));\ns.write(`${setting(\"out\", \"x.csv\")}.jsonl`);\ns.run();";
    let mut outs = Vec::new();
    for t in [1, 3] {
        let host = Arc::new(Capture(StdMutex::new(Vec::new())));
        let mut st = settings(host, t);
        st.values.insert("out".into(), dir.join(format!("t{t}.csv")).display().to_string());
        run_source(script, "t.rhai", &dir, st).unwrap();
        outs.push((
            std::fs::read(dir.join(format!("t{t}.csv"))).unwrap(),
            std::fs::read(dir.join(format!("t{t}.csv.jsonl"))).unwrap(),
        ));
    }
    assert_eq!(outs[0], outs[1]);
    std::fs::remove_dir_all(&dir).ok();
}
