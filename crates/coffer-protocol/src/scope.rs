//! Which databases an embedding allows: sent with every request that lists
//! or touches databases, and applied by the worker (never by rewriting its
//! answers on the page).

use serde::{Deserialize, Serialize};

/// Databases to include and exclude. The default allows every database.
/// Patterns are names; a trailing `*` matches a prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Databases to show and back up (empty: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Databases to leave out (wins over `include`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

impl Scope {
    /// Everything.
    pub fn all() -> Self {
        Scope::default()
    }

    /// Whether database `name` is in scope.
    pub fn allows(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| matches(p, name)))
            && !self.exclude.iter().any(|p| matches(p, name))
    }
}

/// Splits an attribute list: names separated by commas or whitespace.
pub fn parse_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_exclude_and_prefixes() {
        let s = Scope {
            include: parse_list("app, cache-*"),
            exclude: parse_list("cache-big"),
        };
        assert!(s.allows("app") && s.allows("cache-small"));
        assert!(!s.allows("cache-big") && !s.allows("other"));
        assert!(Scope::all().allows("anything"));
        assert_eq!(parse_list(" a,b  c ,"), ["a", "b", "c"]);
    }
}
