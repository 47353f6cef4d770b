//! Golden tests for the passes: each `passes/*.ir` file is a header line
//! `; pass: NAME`, an input graph, a `; expect:` line and the expected
//! graph after running the pass (then the verifier). `TSC_BLESS=1`
//! rewrites the expectations. Every file's two halves must also round-trip
//! through the text form.

use std::path::{Path, PathBuf};
use tsc_compiler::passes::{pass_by_name, run_pass};
use tsc_compiler::{parse, verify};

const SEP: &str = "; expect:\n";

struct Golden {
    path: PathBuf,
    pass: String,
    input: String,
    expect: String,
}

fn goldens() -> Vec<Golden> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/passes");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "ir")).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let (header, rest) = text.split_once('\n').unwrap_or_else(|| panic!("{}: empty", path.display()));
            let pass = header.strip_prefix("; pass: ").unwrap_or_else(|| panic!("{}: first line must be `; pass: NAME`", path.display()));
            let (input, expect) = rest.split_once(SEP).unwrap_or_else(|| panic!("{}: no `{}`", path.display(), SEP.trim()));
            Golden { pass: pass.trim().to_string(), input: input.to_string(), expect: expect.to_string(), path }
        })
        .collect()
}

#[test]
fn pass_goldens() {
    let bless = std::env::var_os("TSC_BLESS").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut per_pass = std::collections::BTreeMap::<String, usize>::new();
    for gold in goldens() {
        let name = gold.path.display().to_string();
        let (pass_name, pass) = pass_by_name(&gold.pass).unwrap_or_else(|| panic!("{name}: unknown pass `{}`", gold.pass));
        *per_pass.entry(pass_name.to_string()).or_default() += 1;
        let mut g = parse(&gold.input).unwrap_or_else(|e| panic!("{name}: input: {e}"));
        verify(&g).unwrap_or_else(|e| panic!("{name}: input does not verify: {e}"));
        run_pass(pass_name, pass, &mut g).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = g.to_string();
        if got == gold.expect {
            continue;
        }
        if bless {
            std::fs::write(&gold.path, format!("; pass: {}\n{}{SEP}{got}", gold.pass, gold.input)).unwrap();
        } else {
            failures.push(format!("{name}:\n--- expected\n{}--- got\n{got}", gold.expect));
        }
    }
    assert!(failures.is_empty(), "{} golden(s) differ (TSC_BLESS=1 to accept):\n{}", failures.len(), failures.join("\n"));
    for (pass, _) in tsc_compiler::passes::PASSES {
        assert!(per_pass.get(*pass).copied().unwrap_or(0) >= 3, "pass `{pass}` needs at least 3 goldens");
    }
}

#[test]
fn goldens_round_trip() {
    for gold in goldens() {
        for (half, text) in [("input", &gold.input), ("expect", &gold.expect)] {
            let name = format!("{} ({half})", gold.path.display());
            let g = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&g.to_string(), text, "{name}: print(parse(text)) != text");
            assert_eq!(parse(&g.to_string()).unwrap(), g, "{name}: parse(print(g)) != g");
        }
    }
}
