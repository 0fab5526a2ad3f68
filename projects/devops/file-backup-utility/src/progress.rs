//! Progress on a terminal (indicatif): a byte counter with a line of figures for `backup`, a
//! bar with the total for `restore` and `copy` (bytes), `verify` and `prune` (blobs). Drawn on standard error only when it is a terminal, so
//! logs, pipes and `--json` stay clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

#[derive(Debug, Clone)]
pub struct Progress(ProgressBar);

impl Default for Progress {
    fn default() -> Self {
        Progress::hidden()
    }
}

impl Progress {
    pub fn hidden() -> Progress {
        Progress(ProgressBar::hidden())
    }

    /// A counter of bytes read, for work of unknown size; `what` names it.
    pub fn bytes(what: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {what} {{elapsed}} {{bytes}} read ({{bytes_per_sec}}) {{msg}}"
            ))
            .expect("a valid template"),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Progress(bar)
    }

    /// A bar over `total` bytes.
    pub fn bar(what: &str, total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{what} [{{bar:30}}] {{bytes}}/{{total_bytes}} ({{bytes_per_sec}}, {{eta}} left)"
            ))
            .expect("a valid template")
            .progress_chars("=> "),
        );
        Progress(bar)
    }

    /// A bar over `total` items (`unit` names them: blobs, packs).
    pub fn items(what: &str, total: u64, unit: &str) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{what} [{{bar:30}}] {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left) {{msg}}"
            ))
            .expect("a valid template")
            .progress_chars("=> "),
        );
        Progress(bar)
    }

    /// Changes the total (work found on the way).
    pub fn set_total(&self, total: u64) {
        self.0.set_length(total);
    }

    pub fn inc(&self, n: u64) {
        self.0.inc(n);
    }

    pub fn set_message(&self, msg: String) {
        if !self.0.is_hidden() {
            self.0.set_message(msg);
        }
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}
