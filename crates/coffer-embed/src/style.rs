//! The stylesheet of the embedded UI. The app's own stylesheet
//! (`style/app.css`) is reused, scoped to the root element inside the
//! Shadow DOM, plus a reset of everything the host page could pass down by
//! inheritance, the dark theme and the compact layout.

/// The app's stylesheet as written for the standalone page.
pub const APP_CSS: &str = include_str!("../../../style/app.css");

/// Class of the element inside the shadow root that the UI mounts into.
pub const ROOT_CLASS: &str = "coffer-root";

const EMBED_CSS: &str = r#"
:host { all: initial; display: block; contain: content; }
:host([hidden]) { display: none; }
.coffer-root { text-align: left; min-height: 0; }
.coffer-root[data-theme=dark] { --fg: #ece7e1; --muted: #b3aba2; --accent: #c9a27e; --bg: #1c1a18; --card: #262320; --danger: #ef7b80; --line: #3d3833; }
@media (prefers-color-scheme: dark) {
  .coffer-root[data-theme=auto] { --fg: #ece7e1; --muted: #b3aba2; --accent: #c9a27e; --bg: #1c1a18; --card: #262320; --danger: #ef7b80; --line: #3d3833; }
}
.coffer-root .dialog { background: var(--card); color: var(--fg); }
.coffer-root button { color: var(--card); }
.coffer-root button.secondary { background: var(--card); color: var(--accent); }
.coffer-root .field-row { background: color-mix(in srgb, var(--card) 92%, var(--accent)); }
.coffer-root .badge { background: color-mix(in srgb, var(--card) 80%, var(--accent)); }
.coffer-root .status { background: color-mix(in srgb, var(--card) 88%, #3c8c3c); border-color: color-mix(in srgb, var(--card) 70%, #3c8c3c); }
.coffer-root .status.error { background: color-mix(in srgb, var(--card) 88%, var(--danger)); border-color: color-mix(in srgb, var(--card) 65%, var(--danger)); }
.coffer-root input { color: inherit; }
.coffer-root.compact { font-size: 14px; }
.coffer-root.compact main.coffer { padding: 8px; }
.coffer-root.compact h1 { font-size: 20px; }
.coffer-root.compact .intro, .coffer-root.compact .risk { font-size: 13px; }
.coffer-root.compact .cards { grid-template-columns: 1fr; gap: 8px; }
.coffer-root.compact .overview, .coffer-root.compact .card { padding: 10px 12px; margin: 8px 0; }
"#;

/// The complete stylesheet for the shadow root: the app's rules with
/// `:root` and `body` mapped to the root element, then the embed rules.
pub fn shadow_css() -> String {
    let root = format!(".{ROOT_CLASS}");
    let app = APP_CSS
        .replace(":root", &root)
        .replace("body {", &format!("{root} {{"));
    format!("{app}\n{EMBED_CSS}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_selectors_are_scoped() {
        let css = super::shadow_css();
        assert!(!css.contains(":root"));
        assert!(!css.contains("\nbody {") && !css.starts_with("body {"));
        assert!(css.contains(":host { all: initial;"));
        // The app's dark colours, scoped: an element set to the light
        // theme keeps its light colours on a dark system.
        assert!(css.contains(".coffer-root:not([data-theme=light])"));
    }
}
