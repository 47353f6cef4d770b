//! Build script: generates the LR(1) parser from `src/syntax/grammar.lalrpop`
//! into `OUT_DIR` (the generated file is never checked in).

fn main() {
    println!("cargo:rerun-if-changed=src/syntax/grammar.lalrpop");
    if let Err(e) = lalrpop::process_src() {
        panic!("lalrpop failed to generate the parser: {e}");
    }
}
