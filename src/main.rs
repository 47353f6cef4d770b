//! The `tsc` command-line tool (contract: `shared/DESIGN.md` §5).
fn main() {
    println!("tsc {}", env!("CARGO_PKG_VERSION"));
}
