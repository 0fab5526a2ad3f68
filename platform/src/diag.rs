//! Problems found in the repository, reported as `path:line: message`.
//!
//! Every check in `portfolio` produces [`Diagnostic`]s instead of failing on the first one,
//! so a single run shows everything that is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One problem in one file. `path` is relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn new(path: impl Into<PathBuf>, line: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.into(),
            line: line.max(1),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// Sorts diagnostics by file and line and drops exact duplicates.
pub fn normalize(diags: &mut Vec<Diagnostic>) {
    diags.sort();
    diags.dedup();
}

/// The 1-based line of a byte offset in `src`.
pub fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `path` relative to `root`, or `path` itself when it lies elsewhere.
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// The closest candidate to `word` when it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_path_line_message() {
        let d = Diagnostic::new("projects/a/b/project.toml", 3, "unknown key `nam`");
        assert_eq!(
            d.to_string(),
            "projects/a/b/project.toml:3: unknown key `nam`"
        );
    }

    #[test]
    fn line_of_counts_newlines_before_offset() {
        let src = "a = 1\nb = 2\nc = 3\n";
        assert_eq!(line_of(src, 0), 1);
        assert_eq!(line_of(src, 6), 2);
        assert_eq!(line_of(src, 13), 3);
        assert_eq!(line_of(src, 999), 4);
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["depends_on", "domain", "summary"];
        assert_eq!(suggest("depends-on", keys), Some("depends_on"));
        assert_eq!(suggest("sumary", keys), Some("summary"));
        assert_eq!(suggest("zzzz", keys), None);
    }
}
