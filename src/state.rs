//! UI logic in plain structs, testable without a browser: store selection,
//! a task's progress line and the restore card's flow (file, passphrase
//! and key prompts, checking, preview, confirmation).

use coffer_protocol::{
    DbInfo, ErrorCode, Failure, Lang, Part, PartsInfo, Phase, Preview, ProgressInfo, SelectedDb,
    SelectedParts, Selection,
};

/// One part beyond IndexedDB that can be ticked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartItem {
    /// All of localStorage.
    LocalStorage,
    /// The whole OPFS tree.
    Opfs,
    /// One cache of Cache Storage.
    Cache(String),
}

impl PartItem {
    /// Its accessible name in `lang`: what its checkbox does.
    pub fn label(&self, lang: Lang, restore: bool) -> String {
        match self {
            PartItem::LocalStorage => lang.select_part(restore, Part::LocalStorage),
            PartItem::Opfs => lang.select_part(restore, Part::Opfs),
            PartItem::Cache(c) => lang.select_cache(restore, c),
        }
    }
}

/// Which stores of which databases, and which parts beyond IndexedDB,
/// are ticked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelectionState {
    /// `(database, store, ticked)` in display order.
    pub items: Vec<(String, String, bool)>,
    /// `(part, ticked)` in display order: localStorage, the file system,
    /// each cache.
    pub parts: Vec<(PartItem, bool)>,
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
            parts: Vec::new(),
        }
    }

    /// The same with every part present in `parts` ticked too.
    pub fn with_parts(mut self, parts: &PartsInfo) -> Self {
        self.parts.clear();
        if parts.local_storage.is_some() {
            self.parts.push((PartItem::LocalStorage, true));
        }
        if parts.opfs.is_some() {
            self.parts.push((PartItem::Opfs, true));
        }
        for c in parts.caches.iter().flatten() {
            self.parts.push((PartItem::Cache(c.name.clone()), true));
        }
        self
    }

    /// Keeps the ticks of `self` for stores and parts still present in
    /// `dbs` and `parts`; new ones start ticked.
    pub fn refreshed(&self, dbs: &[DbInfo], parts: &PartsInfo) -> Self {
        let mut next = Self::all(dbs).with_parts(parts);
        for (d, s, on) in &mut next.items {
            if let Some((_, _, old)) = self.items.iter().find(|(od, os, _)| od == d && os == s) {
                *on = *old;
            }
        }
        for (p, on) in &mut next.parts {
            if let Some((_, old)) = self.parts.iter().find(|(op, _)| op == p) {
                *on = *old;
            }
        }
        next
    }

    /// Whether a part is ticked.
    pub fn is_part_on(&self, item: &PartItem) -> bool {
        self.parts.iter().any(|(p, on)| p == item && *on)
    }

    /// Ticks or unticks a part.
    pub fn set_part(&mut self, item: &PartItem, on: bool) {
        for (p, o) in &mut self.parts {
            if p == item {
                *o = on;
            }
        }
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
        let mut parts = SelectedParts::default();
        for (p, on) in &self.parts {
            match (p, on) {
                (_, false) => {}
                (PartItem::LocalStorage, true) => parts.local_storage = true,
                (PartItem::Opfs, true) => parts.opfs = true,
                (PartItem::Cache(c), true) => parts.caches.push(c.clone()),
            }
        }
        Selection {
            databases: out,
            parts,
        }
    }

    /// Whether nothing is ticked.
    pub fn is_empty(&self) -> bool {
        !self.items.iter().any(|(_, _, on)| *on) && !self.parts.iter().any(|(_, on)| *on)
    }

    /// The ticked stores as `database / store`, then the ticked parts by
    /// name, in `lang`.
    pub fn ticked(&self, lang: Lang) -> Vec<String> {
        self.items
            .iter()
            .filter(|(_, _, on)| *on)
            .map(|(d, s, _)| format!("{d} / {s}"))
            .chain(
                self.parts
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(p, _)| match p {
                        PartItem::LocalStorage => lang.part_label(Part::LocalStorage).to_owned(),
                        PartItem::Opfs => lang.part_label(Part::Opfs).to_owned(),
                        PartItem::Cache(c) => format!("{} / {c}", lang.part_label(Part::Caches)),
                    }),
            )
            .collect()
    }
}

/// Where a running task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Sent, nothing heard yet.
    Starting,
    /// Waiting for another tab or connection.
    Waiting,
    /// Working.
    Phase(Phase),
}

/// A running task's progress line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskState {
    /// Where it is.
    pub stage: Stage,
    /// Its figures.
    pub progress: ProgressInfo,
}

impl TaskState {
    /// A task that has just started.
    pub fn starting() -> Self {
        TaskState {
            stage: Stage::Starting,
            progress: ProgressInfo::default(),
        }
    }

    /// Completion in `0.0..=1.0`: bytes when known, else records.
    pub fn fraction(&self) -> f64 {
        let p = &self.progress;
        if p.total_bytes > 0 {
            (p.done_bytes as f64 / p.total_bytes as f64).clamp(0.0, 1.0)
        } else if p.total_records > 0 {
            (p.done_records as f64 / p.total_records as f64).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// "Reading: 3.0 MiB of 12.0 MiB · 120 of 500 records", in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let phase = match self.stage {
            Stage::Starting => return lang.t("Starting").to_owned(),
            Stage::Waiting => return lang.t(coffer_protocol::strings::WAITING_SHORT).to_owned(),
            Stage::Phase(p) => lang.t(match p {
                Phase::Reading => "Reading",
                Phase::Writing => "Writing",
                Phase::Verifying => "Checking",
                Phase::Restoring => "Restoring",
                Phase::Resealing => "Re-sealing",
            }),
        };
        let p = &self.progress;
        let r = if p.total_records > 0 {
            lang.records(&lang.of(&p.done_records.to_string(), &p.total_records.to_string()))
        } else {
            lang.records(&p.done_records.to_string())
        };
        // Restoring and re-sealing count records only: no "0 B".
        if p.total_bytes == 0 && p.done_bytes == 0 {
            return format!("{phase}: {r}");
        }
        let b = if p.total_bytes > 0 {
            lang.of(
                &coffer_protocol::strings::bytes(p.done_bytes),
                &coffer_protocol::strings::bytes(p.total_bytes),
            )
        } else {
            coffer_protocol::strings::bytes(p.done_bytes)
        };
        format!("{phase}: {b} · {r}")
    }
}

/// What the restore card shows and asks for, between picking a file and
/// restoring it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreFlow {
    /// The picked file's name.
    pub file_name: String,
    /// Whether the backup's passphrase is asked for.
    pub need_passphrase: bool,
    /// Whether a key file is asked for: `Some(key id)` (empty when the id
    /// is unknown).
    pub need_key: Option<String>,
    /// Whether the worker is checking the file.
    pub checking: bool,
    /// The checked backup.
    pub preview: Option<Preview>,
    /// What to restore.
    pub selection: SelectionState,
    /// Whether the "Restore now" confirmation is open.
    pub confirming: bool,
    /// Whether the user trusts an unauthenticated backup enough to
    /// restore it.
    pub trusted: bool,
}

impl RestoreFlow {
    /// A new file was picked: everything about the previous one goes.
    pub fn chose(&mut self, file_name: String) {
        *self = RestoreFlow {
            file_name,
            ..RestoreFlow::default()
        };
    }

    /// The file is being checked (again, e.g. with a passphrase).
    pub fn checking(&mut self) {
        self.preview = None;
        self.checking = true;
    }

    /// The file checked out.
    pub fn checked(&mut self, p: Preview) {
        self.checking = false;
        self.trusted = false;
        self.selection = SelectionState::all(&p.databases).with_parts(&p.parts);
        if !p.key_ok {
            self.need_key = Some(p.backup_key_id.clone().unwrap_or_default());
        }
        self.preview = Some(p);
    }

    /// Checking or restoring failed: ask for what would help.
    pub fn failed(&mut self, f: &Failure) {
        self.checking = false;
        match f.code {
            ErrorCode::PassphraseRequired | ErrorCode::WrongPassphrase => {
                self.need_passphrase = true
            }
            ErrorCode::KeyRequired | ErrorCode::WrongKey | ErrorCode::MacMismatch
                if self.need_key.is_none() =>
            {
                self.need_key = Some(f.key_id.clone().unwrap_or_default());
            }
            _ => {}
        }
    }

    /// The restore finished.
    pub fn restored(&mut self) {
        self.preview = None;
        self.confirming = false;
    }

    /// Whether the checked backup is unauthenticated (its restore needs
    /// [`RestoreFlow::trusted`]).
    pub fn unauthenticated(&self) -> bool {
        self.preview
            .as_ref()
            .is_some_and(|p| !p.authentication.is_verified())
    }

    /// Whether "Restore backup" may be pressed.
    pub fn can_restore(&self, busy: bool) -> bool {
        !busy
            && !self.checking
            && self.preview.is_some()
            && !self.selection.is_empty()
            && (self.trusted || !self.unauthenticated())
    }
}

/// Where Tab moves focus inside a modal dialog so that it never leaves
/// it: from the last focusable element (or from outside them) Tab goes to
/// the first, Shift+Tab from the first (or from outside) to the last.
/// `None` means the browser's own move stays inside the dialog.
pub fn trap_focus(count: usize, current: Option<usize>, backwards: bool) -> Option<usize> {
    let last = count.checked_sub(1)?;
    match (current, backwards) {
        (None, false) => Some(0),
        (None, true) => Some(last),
        (Some(i), false) if i >= last => Some(0),
        (Some(0), true) => Some(last),
        _ => None,
    }
}

#[cfg(test)]
mod focus_tests {
    use super::trap_focus;

    #[test]
    fn tab_wraps_inside_the_dialog() {
        assert_eq!(trap_focus(0, None, false), None, "nothing to focus");
        assert_eq!(trap_focus(3, None, false), Some(0));
        assert_eq!(trap_focus(3, None, true), Some(2));
        assert_eq!(trap_focus(3, Some(0), false), None);
        assert_eq!(trap_focus(3, Some(1), true), None);
        assert_eq!(trap_focus(3, Some(2), false), Some(0));
        assert_eq!(trap_focus(3, Some(0), true), Some(2));
        assert_eq!(trap_focus(1, Some(0), false), Some(0));
        assert_eq!(trap_focus(1, Some(0), true), Some(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_protocol::StoreInfo;

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
        assert_eq!(s.ticked(Lang::En), ["a / x"]);
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
        let r = s.refreshed(&more, &PartsInfo::default());
        assert!(!r.is_on("a", "x"));
        assert!(r.is_on("b", "new"));
    }

    fn parts() -> PartsInfo {
        use coffer_protocol::{CacheInfo, LocalStorageInfo, OpfsInfo};
        PartsInfo {
            local_storage: Some(LocalStorageInfo { items: 2, bytes: 8 }),
            opfs: Some(OpfsInfo::default()),
            caches: Some(vec![CacheInfo {
                name: "v1".into(),
                ..CacheInfo::default()
            }]),
        }
    }

    #[test]
    fn parts_are_chosen_like_stores() {
        let mut s = SelectionState::all(&dbs()).with_parts(&parts());
        assert!(s.is_part_on(&PartItem::Opfs));
        let sel = s.selection();
        assert!(sel.parts.local_storage && sel.parts.opfs);
        assert_eq!(sel.parts.caches, ["v1"]);
        s.set_part(&PartItem::Opfs, false);
        s.set_part(&PartItem::Cache("v1".into()), false);
        let sel = s.selection();
        assert!(!sel.parts.opfs && sel.parts.caches.is_empty() && sel.parts.local_storage);
        assert_eq!(
            s.ticked(Lang::En)[3..],
            ["Local storage (localStorage)".to_owned()]
        );
        assert_eq!(
            s.ticked(Lang::De)[3..],
            ["Lokaler Speicher (localStorage)".to_owned()]
        );
        // Only parts ticked is not nothing; a refresh keeps their ticks.
        s.set_db("a", false);
        s.set_db("b", false);
        assert!(!s.is_empty());
        let r = s.refreshed(&dbs(), &parts());
        assert!(!r.is_part_on(&PartItem::Opfs) && r.is_part_on(&PartItem::LocalStorage));
        s.set_part(&PartItem::LocalStorage, false);
        assert!(s.is_empty());
        assert_eq!(
            PartItem::Cache("v1".into()).label(Lang::En, true),
            "Restore cache v1"
        );
    }

    #[test]
    fn progress_maths_and_text() {
        let t = TaskState {
            stage: Stage::Phase(Phase::Reading),
            progress: ProgressInfo {
                done_bytes: 512,
                total_bytes: 1024,
                done_records: 1,
                total_records: 4,
            },
        };
        assert_eq!(t.fraction(), 0.5);
        assert_eq!(
            t.text(Lang::En),
            "Reading: 512 B of 1.0 KiB · 1 of 4 records"
        );
        assert_eq!(
            t.text(Lang::De),
            "Lesen: 512 B von 1.0 KiB · 1 von 4 Datensätze"
        );
        let r = TaskState {
            progress: ProgressInfo {
                done_records: 1,
                total_records: 4,
                ..ProgressInfo::default()
            },
            ..t
        };
        assert_eq!(r.fraction(), 0.25);
        // A phase that counts records only (restoring, re-sealing) shows no
        // byte figure (it read "Restoring: 0 B · 1 of 4 records").
        let restoring = TaskState {
            stage: Stage::Phase(Phase::Restoring),
            ..r
        };
        assert_eq!(restoring.text(Lang::En), "Restoring: 1 of 4 records");
        assert_eq!(TaskState::starting().fraction(), 0.0);
        let w = TaskState {
            stage: Stage::Waiting,
            ..t
        };
        assert_eq!(w.text(Lang::De), "Warte auf einen anderen Tab…");
    }

    fn preview(key_ok: bool) -> Preview {
        Preview {
            databases: dbs(),
            key_ok,
            backup_key_id: Some("k1".into()),
            parts: parts(),
            ..Preview::default()
        }
    }

    #[test]
    fn restore_flow_asks_for_what_helps() {
        let mut f = RestoreFlow::default();
        f.chose("b.zip".into());
        f.checking();
        assert!(!f.can_restore(false));
        f.failed(&Failure::new(ErrorCode::PassphraseRequired, "x"));
        assert!(f.need_passphrase && !f.checking);
        f.checking();
        f.failed(&Failure::new(ErrorCode::KeyRequired, "x").with_key_id("k9"));
        assert_eq!(f.need_key.as_deref(), Some("k9"));
        // A later wrong key keeps the key id asked for.
        f.failed(&Failure::new(ErrorCode::WrongKey, "x"));
        assert_eq!(f.need_key.as_deref(), Some("k9"));
        f.failed(&Failure::new(ErrorCode::HashMismatch, "x"));
        assert!(f.preview.is_none());
    }

    #[test]
    fn restore_flow_from_file_to_restored() {
        let mut f = RestoreFlow::default();
        f.chose("b.zip".into());
        f.checking();
        f.checked(preview(true));
        assert!(f.need_key.is_none());
        assert!(f.can_restore(false) && !f.can_restore(true));
        assert!(f.selection.is_part_on(&PartItem::Cache("v1".into())));
        f.selection.set_db("a", false);
        f.selection.set_db("b", false);
        for p in [
            PartItem::LocalStorage,
            PartItem::Opfs,
            PartItem::Cache("v1".into()),
        ] {
            f.selection.set_part(&p, false);
        }
        assert!(!f.can_restore(false));
        f.selection.set_db("b", true);
        f.confirming = true;
        f.restored();
        assert!(f.preview.is_none() && !f.confirming);
        // An unauthenticated backup needs the user's trust.
        f.checked(Preview {
            authentication: coffer_protocol::Authentication::NoMac,
            ..preview(true)
        });
        assert!(f.unauthenticated() && !f.can_restore(false));
        f.trusted = true;
        assert!(f.can_restore(false));
        f.checked(preview(true));
        assert!(!f.trusted && !f.unauthenticated(), "a new check asks again");
        // A backup whose key is not at hand asks for its key file.
        f.chose("c.zip".into());
        assert_eq!(f.file_name, "c.zip");
        f.checked(preview(false));
        assert_eq!(f.need_key.as_deref(), Some("k1"));
    }
}
