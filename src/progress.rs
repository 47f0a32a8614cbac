//! Progress bars on stderr (indicatif), hidden when stderr is not a terminal or with `--quiet`.

use indicatif::{ProgressBar, ProgressStyle};

use crate::input::InputSource;

/// A bar over the raw bytes of all file inputs; hidden when `enabled` is false.
pub fn bytes_bar(enabled: bool, sources: &[InputSource]) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let total: u64 = sources
        .iter()
        .filter_map(|s| match s {
            InputSource::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            InputSource::Stdin => None,
        })
        .sum();
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {bytes}/{total_bytes} {bytes_per_sec} {wide_bar} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// A bar over a known number of records (`generate`); hidden when stderr is not a terminal.
pub fn records_bar(total: u64) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {human_pos}/{human_len} records {per_sec} {wide_bar} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}
