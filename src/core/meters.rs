//! The measurements the core and the delivery workers keep for Prometheus: logins, flood
//! blocks, password hashing, session checks, mail and webhook delivery. They go to whatever recorder is
//! installed (`http::metrics`, when `metrics.listen` is set); with none they cost next to
//! nothing. Each name is documented in the README's Metrics section.

use std::time::Duration;

pub const LOGINS: &str = "latch_logins_total";
pub const FLOOD_BLOCKS: &str = "latch_flood_blocks_total";
pub const HASH_DURATION: &str = "latch_password_hash_duration_seconds";
pub const HASH_QUEUE: &str = "latch_password_hash_queue";
pub const SESSION_CHECKS: &str = "latch_session_checks_total";
pub const MAIL_DELIVERIES: &str = "latch_mail_deliveries_total";
pub const WEBHOOK_DELIVERIES: &str = "latch_webhook_deliveries_total";

/// Every measurement here with its help text, for the exporter to describe.
pub const DESCRIPTIONS: [(&str, &str); 7] = [
    (
        LOGINS,
        "Password logins by dialect and result (success, bad_credentials, inactive, flooded, \
         error; second_factor, bad_code with a second factor).",
    ),
    (
        FLOOD_BLOCKS,
        "Requests refused by flood control, by what was limited (login, password_request).",
    ),
    (
        HASH_DURATION,
        "Time one password hash or verification took on the hashing threads, in seconds.",
    ),
    (
        HASH_QUEUE,
        "Password hashes waiting for a hashing thread (password.max_queued_hashes at most).",
    ),
    (
        SESSION_CHECKS,
        "Session lookups by where they were answered: cache (memory) or database.",
    ),
    (
        MAIL_DELIVERIES,
        "Delivery attempts by outcome: sent, logged (no SMTP), failed (retried), dead.",
    ),
    (
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts by outcome: delivered, failed (retried), dead.",
    ),
];

/// A login attempt's end, by the dialect it came through.
pub fn login(dialect: Option<&'static str>, result: &'static str) {
    metrics::counter!(LOGINS, "dialect" => dialect.unwrap_or("latch"), "result" => result)
        .increment(1);
}

/// A request flood control refused: a `login` or a `password_request`.
pub fn flood_block(limited: &'static str) {
    metrics::counter!(FLOOD_BLOCKS, "limited" => limited).increment(1);
}

pub fn hash_time(took: Duration) {
    metrics::histogram!(HASH_DURATION).record(took.as_secs_f64());
}

/// A hash waiting for a thread, counted in the queue gauge until it gets one or is
/// abandoned (its request ended).
pub struct HashWaiting(());

impl HashWaiting {
    pub fn start() -> Self {
        metrics::gauge!(HASH_QUEUE).increment(1.0);
        Self(())
    }
}

impl Drop for HashWaiting {
    fn drop(&mut self) {
        metrics::gauge!(HASH_QUEUE).decrement(1.0);
    }
}

pub fn session_check(from_cache: bool) {
    let source = if from_cache { "cache" } else { "database" };
    metrics::counter!(SESSION_CHECKS, "source" => source).increment(1);
}

/// How one delivery attempt ended: `sent`, `logged`, `failed` or `dead`.
pub fn mail_delivery(outcome: &'static str) {
    metrics::counter!(MAIL_DELIVERIES, "outcome" => outcome).increment(1);
}

/// How one webhook delivery attempt ended: `delivered`, `failed` or `dead`.
pub fn webhook_delivery(outcome: &'static str) {
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}
