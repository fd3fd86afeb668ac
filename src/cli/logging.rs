//! The log: to stderr, filtered by `LATCH_LOG`, as text or as one JSON object a line
//! (`log.format`).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("LATCH_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"))
}

/// Runs `work` with text logging, for what happens before the configuration says which
/// format the log takes.
pub fn before_configuration<T>(work: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .finish();
    tracing::subscriber::with_default(subscriber, work)
}

/// Sends the program's log to stderr in `format`, so command output on stdout stays clean
/// for scripts.
pub fn init(format: LogFormat) {
    use std::io::IsTerminal;
    // Colours only for a person at a terminal, not in a file or a collector.
    let text = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => text.try_init(),
        // Each line one object: the event's fields at the top level beside `timestamp`,
        // `level` and `message`, and the request's span (its id and redacted URI) with it.
        LogFormat::Json => text
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
