//! A progress bar on stderr while layers download: one bar for all bytes
//! of the layers that are not in the cache.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tagwarden_engine::engine::Progress;

/// The bar; only made when stderr is a terminal.
#[derive(Debug)]
pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message("pulling layers");
        Self(bar)
    }

    /// Removes the bar once the scan is over.
    pub(crate) fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn layer_started(&self, _digest: &str, size: u64) {
        self.0.inc_length(size);
    }

    fn advanced(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn layer_finished(&self, _digest: &str, _size: u64, _from_cache: bool) {}
}
