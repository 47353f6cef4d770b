//! Hostile input: the parser returns (an AST, diagnostics) for anything,
//! never panics, never overflows the stack (the default 2 MiB test thread
//! stack is the budget), and the AST it returns can be dumped, unparsed and
//! dropped.

use proptest::prelude::*;
use tsc_frontend::diag::{render_all, Diagnostic};
use tsc_frontend::syntax::printer::{dump, unparse};
use tsc_frontend::syntax::span::SourceFile;
use tsc_frontend::syntax::{has_errors, parse, source_from_bytes};

/// Parses, renders, dumps and unparses; returns the diagnostics.
fn run(text: &str) -> Vec<Diagnostic> {
    let file = SourceFile::new("h.py", text);
    let (module, diags) = parse(&file);
    let _ = render_all(&diags, &file);
    let _ = dump(&module);
    let _ = unparse(&module);
    diags
}

fn has_message(diags: &[Diagnostic], needle: &str) -> bool {
    diags.iter().any(|d| d.message.contains(needle))
}

#[test]
fn ten_thousand_nested_parens() {
    let src = format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    let d = run(&src);
    assert!(has_message(&d, "too deeply nested"), "{d:?}");
    assert_eq!(d.len(), 1);
    for open in ["(", "[", "{", "f("] {
        let d = run(&format!("x = {}\n", open.repeat(10_000)));
        assert!(has_message(&d, "too deeply nested"), "{open}: {d:?}");
    }
    let lists = format!("x = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(has_message(&run(&lists), "too deeply nested"));
}

#[test]
fn long_operator_chains_are_cut() {
    let n = 200_000;
    for (src, why) in [
        (format!("x = 1{}\n", "+1".repeat(n)), "left-nested +"),
        (format!("x = {}1\n", "-".repeat(n)), "unary minus"),
        (format!("x = {}y\n", "not ".repeat(n)), "not"),
        (format!("x = a{}\n", ".b".repeat(n)), "attributes"),
        (format!("x = f{}\n", "()".repeat(n)), "calls"),
        (format!("x = a{}\n", "[0]".repeat(n)), "subscripts"),
        (format!("x = 2{}\n", "**2".repeat(n)), "power"),
        (format!("x = {}0\n", "lambda: ".repeat(n)), "lambda"),
        (format!("x = {}0\n", "1 if c else ".repeat(n)), "conditional"),
    ] {
        let d = run(&src);
        assert!(has_message(&d, "expression too deeply nested"), "{why}: {d:?}");
    }
}

#[test]
fn deep_blocks_are_cut() {
    let mut src = String::new();
    for i in 0..1000 {
        src.push_str(&" ".repeat(i));
        src.push_str("if x:\n");
    }
    src.push_str(&" ".repeat(1000));
    src.push_str("pass\n");
    let d = run(&src);
    assert!(has_message(&d, "too deeply nested"), "{d:?}");
}

#[test]
fn one_megabyte_line() {
    let items = vec!["0.5"; 250_000].join(", ");
    let src = format!("x = [{items}]\n");
    assert!(src.len() > 1_000_000);
    let d = run(&src);
    assert!(d.is_empty(), "{d:?}");
    let garbage = "a = = ".repeat(200_000);
    assert!(has_errors(&run(&garbage)));
}

#[test]
fn floods_of_errors_stay_bounded() {
    let d = run(&"$".repeat(1_000_000));
    assert_eq!(d.len(), 1, "a run of invalid characters is one diagnostic");
    let d = run(&")\n".repeat(100_000));
    assert_eq!(d.len(), tsc_frontend::syntax::MAX_DIAGNOSTICS + 1);
    assert!(has_message(&d, "too many errors"));
    let d = run(&"x = = 1\n".repeat(50_000));
    assert_eq!(d.len(), tsc_frontend::syntax::MAX_DIAGNOSTICS + 1);
}

#[test]
fn literals_and_bytes() {
    let d = run("x = 99999999999999999999999999999\n");
    assert!(has_message(&d, "integer literal too large"));
    let d = run("x = 0xfffffffffffffffffff\n");
    assert!(has_message(&d, "integer literal too large"));
    let d = run("s = '''never closed\nx = 1\n");
    assert!(has_message(&d, "unterminated triple-quoted string literal"));
    let d = run("x = 1\0\ny = \0 2\n");
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(has_message(&d, "U+0000"));
    let d = run("\u{feff}x = 1\r\ny = 2\rz = 3\n");
    assert!(d.is_empty(), "{d:?}");
    assert!(run("").is_empty());
    assert!(run("\n\n   \n# only a comment").is_empty());
    assert!(has_errors(&run("x = \\")));
    assert!(has_errors(&run("x = 'a\\")));
}

#[test]
fn invalid_utf8_names_the_offset() {
    let err = source_from_bytes("bad.py", b"x = 1\ny = '\xff'\n").expect_err("invalid UTF-8");
    assert!(err.contains("byte offset 11"), "{err}");
    assert!(err.starts_with("bad.py"), "{err}");
    assert!(source_from_bytes("ok.py", "é = 1\n".as_bytes()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        match source_from_bytes("r.py", &bytes) {
            Ok(file) => { run(&file.text); }
            Err(e) => prop_assert!(e.contains("byte offset")),
        }
        run(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_python_like(src in "[a-z0-9 ()\\[\\]{}:=+*/.,@\\-\n\t'\"#\\\\]{0,200}") {
        run(&src);
    }

    #[test]
    fn random_keyword_soup(words in proptest::collection::vec(
        prop::sample::select(vec![
            "def", "class", "if", "else", "elif", "for", "in", "while", "try", "except", "finally",
            "with", "as", "lambda", "yield", "return", "import", "from", "not", "and", "or", "is",
            "x", "y", "1", "2.5", "'s'", "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "+=",
            "*", "**", "-", "@", "\n", "\n    ", "\n        ", "\t", "...", ";", "->", "pass",
        ]),
        0..80,
    )) {
        run(&words.join(" "));
    }
}
