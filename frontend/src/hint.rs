//! "Did you mean ...?" suggestions: the closest known name by edit distance.

/// The candidate closest to `name` (Levenshtein distance at most a third of
/// its length, at least 1), if any.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .filter(|c| *c != name)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c.to_string())
}

/// Levenshtein distance on characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["fc1", "fc2", "dropout", "weight"];
        assert_eq!(did_you_mean("fc", names.iter().copied()), Some("fc1".into()));
        assert_eq!(did_you_mean("dropuot", names.iter().copied()), Some("dropout".into()));
        assert_eq!(did_you_mean("bias", names.iter().copied()), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
