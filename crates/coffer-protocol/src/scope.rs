//! Which databases an embedding allows: sent with every request that lists
//! or touches databases, and applied by the worker (never by rewriting its
//! answers on the page). The parts beyond IndexedDB have reserved names
//! ([`crate::Part::scope_name`]): `@local-storage`, `@opfs`, `@caches`
//! and `@caches/<name>`; a database list in `include` that names none of
//! them leaves them out.

use serde::{Deserialize, Serialize};

use crate::parts::Part;

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

    /// Whether a part is in scope (for [`Part::Caches`]: whether any cache
    /// may be; see [`Scope::allows_cache`]).
    pub fn allows_part(&self, part: Part) -> bool {
        let name = part.scope_name();
        let one_cache = |p: &String| part == Part::Caches && p.starts_with("@caches/");
        (self.include.is_empty()
            || self
                .include
                .iter()
                .any(|p| matches(p, name) || one_cache(p)))
            && !self.exclude.iter().any(|p| matches(p, name))
    }

    /// Whether cache `name` of Cache Storage is in scope: `@caches` or
    /// `@caches/<name>` (or a prefix pattern matching either).
    pub fn allows_cache(&self, name: &str) -> bool {
        let all = Part::Caches.scope_name();
        let one = format!("{all}/{name}");
        let m = |p: &String| matches(p, all) || matches(p, &one);
        (self.include.is_empty() || self.include.iter().any(m)) && !self.exclude.iter().any(m)
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

    #[test]
    fn parts_have_reserved_names() {
        // A database list leaves the parts out; naming them brings them in.
        let s = Scope {
            include: parse_list("app @opfs @caches/v2"),
            exclude: vec![],
        };
        assert!(s.allows_part(Part::Opfs) && !s.allows_part(Part::LocalStorage));
        assert!(s.allows_part(Part::Caches));
        assert!(s.allows_cache("v2") && !s.allows_cache("v1"));
        assert!(!s.allows("@local-storage"));
        // Everything by default; exclude wins.
        let s = Scope {
            include: vec![],
            exclude: parse_list("@caches/big, @local-storage"),
        };
        assert!(!s.allows_part(Part::LocalStorage) && s.allows_part(Part::Opfs));
        assert!(s.allows_cache("small") && !s.allows_cache("big"));
        let s = Scope {
            include: parse_list("*"),
            exclude: parse_list("@caches"),
        };
        assert!(s.allows_part(Part::LocalStorage) && !s.allows_part(Part::Caches));
        assert!(!s.allows_cache("any"));
    }
}
