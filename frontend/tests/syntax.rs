//! Parser tests driven by files: every program in `tests/corpus/` parses
//! without errors and unparses to text that parses back to the same tree;
//! `tests/parse/*.py` match their tree dumps (`*.ast`); `tests/diag/*.py`
//! match their rendered diagnostics (`*.stderr`). `TSC_BLESS=1` rewrites
//! the expected files.

use std::fs;
use std::path::{Path, PathBuf};

use tsc_frontend::diag::render_all;
use tsc_frontend::syntax::printer::{dump, unparse};
use tsc_frontend::syntax::span::SourceFile;
use tsc_frontend::syntax::{has_errors, parse};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(name)
}

fn py_files(name: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir(name))
        .expect("test directory exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    v.sort();
    v
}

fn load(path: &Path) -> SourceFile {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    SourceFile::new(name, fs::read_to_string(path).expect("readable test file"))
}

/// Compares `actual` with the file `expected`, or rewrites it under `TSC_BLESS=1`.
fn check(expected: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("TSC_BLESS").is_some() {
        fs::write(expected, actual).expect("writable golden file");
        return;
    }
    let want = fs::read_to_string(expected).unwrap_or_default();
    if want != actual {
        failures.push(format!("{} differs; got:\n{actual}", expected.display()));
    }
}

#[test]
fn corpus_parses_without_errors() {
    let files = py_files("corpus");
    assert!(files.len() >= 70, "corpus has {} files", files.len());
    for path in files {
        let file = load(&path);
        let (module, diags) = parse(&file);
        assert!(diags.is_empty(), "{}:\n{}", path.display(), render_all(&diags, &file));
        assert!(!module.body.is_empty(), "{}", path.display());
    }
}

#[test]
fn corpus_unparse_round_trips() {
    for path in py_files("corpus") {
        let file = load(&path);
        let first = unparse(&parse(&file).0);
        let again = SourceFile::new("unparsed.py", first.clone());
        let (module, diags) = parse(&again);
        assert!(!has_errors(&diags), "{}:\n{first}\n{}", path.display(), render_all(&diags, &again));
        assert_eq!(unparse(&module), first, "{}", path.display());
    }
}

#[test]
fn parse_goldens() {
    let mut failures = Vec::new();
    let files = py_files("parse");
    assert!(!files.is_empty());
    for path in files {
        let file = load(&path);
        let (module, diags) = parse(&file);
        let mut out = dump(&module);
        if !diags.is_empty() {
            out.push_str("--- diagnostics\n");
            out.push_str(&render_all(&diags, &file));
        }
        check(&path.with_extension("ast"), &out, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diagnostic_goldens() {
    let mut failures = Vec::new();
    let files = py_files("diag");
    assert!(files.len() >= 10);
    for path in files {
        let file = load(&path);
        let (_, diags) = parse(&file);
        if !has_errors(&diags) {
            failures.push(format!("{}: no error reported", path.display()));
        }
        check(&path.with_extension("stderr"), &render_all(&diags, &file), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `(source, canonical unparse)`: one line each, no diagnostics expected.
const SNIPPETS: &[(&str, &str)] = &[
    ("-x**2", "(-(x ** 2))"),
    ("-2**-1", "(-(2 ** (-1)))"),
    ("a**b**c", "(a ** (b ** c))"),
    ("not a == b", "(not (a == b))"),
    ("a | b ^ c & d << e + f * g", "(a | (b ^ (c & (d << (e + (f * g))))))"),
    ("a - b - c", "((a - b) - c)"),
    ("a @ b.T // c", "((a @ b.T) // c)"),
    ("0 <= k < 3", "(0 <= k < 3)"),
    ("a is not b", "(a is not b)"),
    ("a not in b", "(a not in b)"),
    ("x if c else y if d else z", "(x if c else (y if d else z))"),
    ("a or b and not c", "(a or (b and (not c)))"),
    ("lambda x, *a, k=1, **kw: x", "(lambda x, *a, k = 1, **kw: x)"),
    ("f(*xs, key=1, **kw)", "f(*xs, key=1, **kw)"),
    ("1if x else 2", "(1 if x else 2)"),
    ("x = R'a\\n' if 0 else U'b'", "x = ('a\\\\n' if 0 else 'b')"),
    ("résumé = 1", "résumé = 1"),
    ("a[1:2, ::2, None, ..., idx]", "a[1:2, ::2, None, ..., idx]"),
    ("(yield)", "(yield)"),
    ("x = *a, b", "x = (*a, b)"),
    ("for x, in y: pass", "for (x,) in y:\n    pass"),
    ("[x for x in y if x if z for w in x]", "[x for x in y if x if z for w in x]"),
    ("{**a, 'k': 1}", "{**a, 'k': 1}"),
    ("x = 'a' 'b' \"c\"", "x = 'abc'"),
    ("x = '\\x41\\u00e9\\n'", "x = 'Aé\\n'"),
    ("x = 0o17 + 0b11 + 0xF_F + 1_0", "x = (((15 + 3) + 255) + 10)"),
    ("x = 1e-5 + 1. + .5 + 1_0.0_1", "x = (((1e-5 + 1.0) + 0.5) + 10.01)"),
    ("x = (\n  1 +\n  2\n)", "x = (1 + 2)"),
    ("x = 1 + \\\n    2", "x = (1 + 2)"),
    ("if a:\n  pass\nelif b:\n  pass\nelse:\n  x", "if a:\n    pass\nelif b:\n    pass\nelse:\n    x"),
    ("async_ = await_ = 1", "async_ = await_ = 1"),
    ("x = [1, 2,]; f(a, b,)", "x = [1, 2]\nf(a, b)"),
    ("def f(self,): return", "def f(self):\n    return"),
    ("class A(): pass", "class A:\n    pass"),
    ("not not x", "(not (not x))"),
    ("x[..., 0] = y[...]", "x[..., 0] = y[...]"),
    ("assert isinstance(x, int), f'{x}'", "assert isinstance(x, int), f'{x}'"),
    ("print(*a, sep='')", "print(*a, sep='')"),
    ("a, b = c, = d", "(a, b) = (c,) = d"),
    ("x = -1 - -1", "x = ((-1) - (-1))"),
];

#[test]
fn snippets_unparse_canonically() {
    let mut failures = Vec::new();
    for (src, want) in SNIPPETS {
        let file = SourceFile::new("s.py", *src);
        let (module, diags) = parse(&file);
        let got = unparse(&module);
        if !diags.is_empty() || got.trim_end() != *want {
            failures.push(format!("{src:?}\n  got  {got:?}\n  want {want:?}\n{}", render_all(&diags, &file)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
