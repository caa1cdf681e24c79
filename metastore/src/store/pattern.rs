//! Hive name patterns: alternatives separated by `|`, `*` matches anything, case-insensitive,
//! whole-name match (`ObjectStore.getDatabases`). `.` and other regex characters are taken as
//! Hive takes them, i.e. as regex.

use regex::Regex;

use crate::error::{Error, Result};

/// A compiled pattern; `None` (no pattern, or `*`) matches everything.
#[derive(Debug)]
pub(crate) struct Pattern(Option<Regex>);

impl Pattern {
    pub(crate) fn new(pattern: Option<&str>) -> Result<Self> {
        let Some(p) = pattern
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "*")
        else {
            return Ok(Pattern(None));
        };
        let alts: Vec<String> = p
            .split('|')
            .map(|alt| alt.trim().replace(".*", "*").replace('*', ".*"))
            .collect();
        let re = format!("(?i)^(?:{})$", alts.join("|"));
        Regex::new(&re)
            .map(|r| Pattern(Some(r)))
            .map_err(|e| Error::InvalidInput(format!("bad name pattern '{p}': {e}")))
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|r| r.is_match(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_patterns() {
        let p = Pattern::new(Some("sales*|Ops")).unwrap();
        assert!(p.matches("sales_2024") && p.matches("ops") && !p.matches("xops"));
        assert!(Pattern::new(Some("*")).unwrap().matches("anything"));
        assert!(Pattern::new(None).unwrap().matches("x"));
        assert!(Pattern::new(Some(".*x.*")).unwrap().matches("axb"));
        assert!(Pattern::new(Some("(?i)a.*")).unwrap().matches("ab"));
        assert!(Pattern::new(Some("(")).is_err());
    }
}
