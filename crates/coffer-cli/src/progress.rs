//! A progress bar on standard error, shown only on a terminal.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress of a long operation, drawn on standard error when it is a
/// terminal and `--quiet` was not given; otherwise it does nothing.
pub struct Bar {
    bar: Option<ProgressBar>,
    ticking: std::cell::Cell<bool>,
}

impl Bar {
    /// A bar for `what` (such as "verifying"), counting uncompressed bytes.
    pub fn new(quiet: bool, what: &'static str) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar {
                bar: None,
                ticking: Default::default(),
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            // `wide_bar` takes what the other fields leave of the line, so
            // the bar never wraps on a narrow terminal.
            "{prefix} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(what);
        Bar {
            bar: Some(bar),
            ticking: Default::default(),
        }
    }

    /// Reports the engine's progress.
    pub fn update(&self, p: coffer_engine::Progress) {
        if let Some(b) = &self.bar {
            b.set_length(p.total_bytes);
            b.set_position(p.done_bytes);
            b.set_message(format!("{}/{} records", p.done_records, p.total_records));
            if !self.ticking.replace(true) {
                // Start redrawing on a timer only once there is something to show.
                b.enable_steady_tick(Duration::from_millis(250));
            }
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}
