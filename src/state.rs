//! UI logic in plain structs, testable without a browser: store selection
//! and progress text.

use crate::protocol::{DbInfo, ProgressInfo, SelectedDb, Selection};
use crate::strings::bytes;

/// Which stores of which databases are ticked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionState {
    /// `(database, store, ticked)` in display order.
    pub items: Vec<(String, String, bool)>,
}

impl SelectionState {
    /// Everything in `dbs` ticked.
    pub fn all(dbs: &[DbInfo]) -> Self {
        SelectionState {
            items: dbs
                .iter()
                .flat_map(|d| {
                    d.stores
                        .iter()
                        .map(move |s| (d.name.clone(), s.name.clone(), true))
                })
                .collect(),
        }
    }

    /// Keeps the ticks of `self` for stores still present in `dbs`; new
    /// stores start ticked.
    pub fn refreshed(&self, dbs: &[DbInfo]) -> Self {
        let mut next = Self::all(dbs);
        for (d, s, on) in &mut next.items {
            if let Some((_, _, old)) = self.items.iter().find(|(od, os, _)| od == d && os == s) {
                *on = *old;
            }
        }
        next
    }

    /// Whether a store is ticked.
    pub fn is_on(&self, db: &str, store: &str) -> bool {
        self.items
            .iter()
            .any(|(d, s, on)| d == db && s == store && *on)
    }

    /// Whether every store of `db` is ticked (`Some(true)`), none
    /// (`Some(false)`), or some (`None`).
    pub fn db_state(&self, db: &str) -> Option<bool> {
        let mut it = self
            .items
            .iter()
            .filter(|(d, _, _)| d == db)
            .map(|(_, _, on)| *on);
        let first = it.next()?;
        if it.all(|x| x == first) {
            Some(first)
        } else {
            None
        }
    }

    /// Ticks or unticks one store.
    pub fn set(&mut self, db: &str, store: &str, on: bool) {
        for (d, s, o) in &mut self.items {
            if d == db && s == store {
                *o = on;
            }
        }
    }

    /// Ticks or unticks every store of `db`.
    pub fn set_db(&mut self, db: &str, on: bool) {
        for (d, _, o) in &mut self.items {
            if d == db {
                *o = on;
            }
        }
    }

    /// The protocol selection.
    pub fn selection(&self) -> Selection {
        let mut out: Vec<SelectedDb> = Vec::new();
        for (d, s, on) in &self.items {
            if !on {
                continue;
            }
            match out.iter_mut().find(|x| x.name == *d) {
                Some(x) => x.stores.push(s.clone()),
                None => out.push(SelectedDb {
                    name: d.clone(),
                    stores: vec![s.clone()],
                }),
            }
        }
        Selection { databases: out }
    }

    /// Whether nothing is ticked.
    pub fn is_empty(&self) -> bool {
        !self.items.iter().any(|(_, _, on)| *on)
    }
}

/// Completion in `0.0..=1.0`: bytes when known, else records.
pub fn fraction(p: &ProgressInfo) -> f64 {
    if p.total_bytes > 0 {
        (p.done_bytes as f64 / p.total_bytes as f64).clamp(0.0, 1.0)
    } else if p.total_records > 0 {
        (p.done_records as f64 / p.total_records as f64).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// "3.0 MiB of 12.0 MiB · 120 of 500 records".
pub fn progress_text(p: &ProgressInfo) -> String {
    let b = if p.total_bytes > 0 {
        crate::strings::of(&bytes(p.done_bytes), &bytes(p.total_bytes))
    } else {
        bytes(p.done_bytes)
    };
    let r = if p.total_records > 0 {
        crate::strings::records(&crate::strings::of(
            &p.done_records.to_string(),
            &p.total_records.to_string(),
        ))
    } else {
        crate::strings::records(&p.done_records.to_string())
    };
    format!("{b} · {r}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::StoreInfo;

    fn dbs() -> Vec<DbInfo> {
        let st = |n: &str| StoreInfo {
            name: n.into(),
            ..StoreInfo::default()
        };
        vec![
            DbInfo {
                name: "a".into(),
                stores: vec![st("x"), st("y")],
                ..DbInfo::default()
            },
            DbInfo {
                name: "b".into(),
                stores: vec![st("z")],
                ..DbInfo::default()
            },
        ]
    }

    #[test]
    fn selection_ticks_and_exports() {
        let mut s = SelectionState::all(&dbs());
        assert_eq!(s.db_state("a"), Some(true));
        s.set("a", "y", false);
        assert_eq!(s.db_state("a"), None);
        s.set_db("b", false);
        assert_eq!(s.db_state("b"), Some(false));
        let sel = s.selection();
        assert!(sel.contains("a", "x"));
        assert!(!sel.contains("a", "y"));
        assert_eq!(sel.databases.len(), 1);
        s.set_db("a", false);
        assert!(s.is_empty());
    }

    #[test]
    fn refresh_keeps_ticks() {
        let mut s = SelectionState::all(&dbs());
        s.set("a", "x", false);
        let mut more = dbs();
        more[1].stores.push(StoreInfo {
            name: "new".into(),
            ..StoreInfo::default()
        });
        let r = s.refreshed(&more);
        assert!(!r.is_on("a", "x"));
        assert!(r.is_on("b", "new"));
    }

    #[test]
    fn progress_maths() {
        let p = ProgressInfo {
            done_bytes: 512,
            total_bytes: 1024,
            done_records: 1,
            total_records: 4,
        };
        assert_eq!(fraction(&p), 0.5);
        assert_eq!(progress_text(&p), "512 B of 1.0 KiB · 1 of 4 records");
        let r = ProgressInfo {
            done_records: 1,
            total_records: 4,
            ..ProgressInfo::default()
        };
        assert_eq!(fraction(&r), 0.25);
        assert_eq!(fraction(&ProgressInfo::default()), 0.0);
    }
}
