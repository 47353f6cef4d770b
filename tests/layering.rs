//! Architecture tests: the crate graph points one way
//! (`frontend → compiler → runtime → kernels`), checked with `cargo metadata`.

use std::process::Command;

/// The workspace crates in layer order; each may depend only on later ones.
const LAYERS: [&str; 4] = ["tsc-frontend", "tsc-compiler", "tsc-runtime", "tsc-kernels"];

#[test]
fn crate_dependencies_point_one_way() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let mut checked = 0;
    for pkg in meta["packages"].as_array().expect("packages") {
        let name = pkg["name"].as_str().unwrap_or_default();
        let Some(level) = LAYERS.iter().position(|l| *l == name) else { continue };
        for dep in pkg["dependencies"].as_array().expect("deps") {
            let dname = dep["name"].as_str().unwrap_or_default();
            if let Some(dlevel) = LAYERS.iter().position(|l| *l == dname) {
                assert!(dlevel > level, "{name} must not depend on {dname}: dependencies point frontend → compiler → runtime → kernels");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, LAYERS.len(), "every layer crate is in the workspace");
}
