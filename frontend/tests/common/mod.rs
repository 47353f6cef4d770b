//! Shared helpers of the frontend's golden tests: listing a folder's `.py`
//! programs and reading their `# entry: EXPR` header line.

/// The `.py` files of `dir`, sorted.
pub fn py_files(dir: &str) -> Vec<String> {
    let mut paths: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path().to_string_lossy().into_owned()))
        .filter(|p| p.ends_with(".py"))
        .collect();
    paths.sort();
    paths
}

/// The entry expression a test program names on its first line (`# entry: EXPR`).
#[allow(dead_code)] // not every test binary reads entries
pub fn entry_of(path: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# entry: "))
        .map(str::to_string)
        .ok_or_else(|| format!("{path}: first line must be `# entry: EXPR`"))
}
