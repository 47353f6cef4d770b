//! Rules enforced as tests: every Rust source file opens with a `//!` doc,
//! no test is hidden by an ignore or should-panic attribute, files stay under
//! 1,000 lines.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | ".git" | "fuzz" | "node_modules") && !name.starts_with('.') {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for d in ["src", "kernels", "runtime", "compiler", "frontend", "tests", "examples", "benches"] {
        rust_files(&root.join(d), &mut files);
    }
    files.retain(|p| !p.to_string_lossy().contains("/target/"));
    files
}

#[test]
fn every_file_has_a_module_doc() {
    let bad: Vec<String> = sources()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(bad.is_empty(), "files without a `//!` doc:\n{}", bad.join("\n"));
}

#[test]
fn no_hidden_tests() {
    let ignore = ["#[", "ignore]"].concat();
    let should_panic = ["#[", "should_panic"].concat();
    let bad: Vec<String> = sources()
        .into_iter()
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            text.contains(&ignore) || text.contains(&should_panic)
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(bad.is_empty(), "files with ignored or should_panic tests:\n{}", bad.join("\n"));
}

#[test]
fn files_stay_readable() {
    let bad: Vec<String> = sources()
        .into_iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(&p).unwrap_or_default().lines().count();
            (n > 1000).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(bad.is_empty(), "files over 1,000 lines (split them):\n{}", bad.join("\n"));
}
