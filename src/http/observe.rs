//! What each request leaves behind for operators: a request id (taken from `X-Request-Id` or
//! made up, and returned in it), a span that every log line of the request carries, one log
//! line when it ends (route, status, latency; never a secret), and the HTTP metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::redact::redacted_uri;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a client; a longer one is replaced by our own.
const MAX_REQUEST_ID: usize = 128;

pub const HTTP_REQUESTS: &str = "latch_http_requests_total";
pub const HTTP_DURATION: &str = "latch_http_request_duration_seconds";

/// The HTTP measurements with their help texts, for the exporter to describe.
pub const DESCRIPTIONS: [(&str, &str); 2] = [
    (
        HTTP_REQUESTS,
        "Requests answered, by route template, dialect, method and status.",
    ),
    (
        HTTP_DURATION,
        "Time from a request's arrival to its answer, in seconds, by route template and \
         dialect.",
    ),
];

/// The request's id, for handlers that want to quote it.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

/// Which route template and dialect answered, noted on the response by [`super::frame`]
/// inside the router, where they are known, for [`observe`] outside it.
#[derive(Clone)]
pub(super) struct Answered {
    pub(super) route: Option<MatchedPath>,
    pub(super) dialect: Option<&'static str>,
}

/// Outermost: gives the request its id and span, logs it when answered and measures it.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id: Arc<str> = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| acceptable_id(id))
        .map_or_else(new_request_id, Arc::from);
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        uri = %redacted_uri(request.uri()),
    );
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).instrument(span.clone()).await;
    let latency = started.elapsed();
    let answered = response.extensions_mut().remove::<Answered>();
    let route = answered
        .as_ref()
        .and_then(|a| a.route.as_ref())
        .map_or("unmatched", MatchedPath::as_str);
    let dialect = answered.as_ref().and_then(|a| a.dialect).unwrap_or("latch");
    let status = response.status().as_u16();
    metrics::counter!(
        HTTP_REQUESTS,
        "route" => route.to_string(),
        "dialect" => dialect,
        "method" => method.to_string(),
        "status" => status.to_string(),
    )
    .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route.to_string(), "dialect" => dialect)
        .record(latency.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            target: "latch::request",
            request_id = %id,
            route,
            dialect,
            status,
            latency_ms = (latency.as_secs_f64() * 1e6).round() / 1e3,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A client's id is kept only if it is short and plain, so it cannot forge log lines or
/// carry much of anything.
fn acceptable_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> Arc<str> {
    uuid::Uuid::new_v4().to_string().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_taken_from_clients() {
        for good in [
            "abc-123",
            "9f1c2e7a-0d4b-4c1e-9a77-1f0e2d3c4b5a",
            "trace:1.2_3",
        ] {
            assert!(acceptable_id(good), "{good}");
        }
        let long = "a".repeat(MAX_REQUEST_ID + 1);
        for bad in ["", "two words", "line\nbreak", "quote\"", long.as_str()] {
            assert!(!acceptable_id(bad), "{bad:?}");
        }
    }
}
