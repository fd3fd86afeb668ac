//! Limits and protections of the HTTP server: sizes, timeouts, connection caps, the origins
//! trusted by browsers and the proxies whose `X-Forwarded-For` is believed.

use std::time::Duration;

use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};

use super::{Invalid, Network, duration};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Largest accepted total size of the request headers, in bytes.
    pub header_limit: usize,
    /// Time a whole request may take.
    #[serde(with = "duration::seconds")]
    pub request_timeout: Duration,
    /// Origins (`https://app.example.com`) whose browsers may send unsafe requests besides the
    /// server's own origin.
    pub trusted_origins: Vec<String>,
    /// Origins whose pages may call latch from the browser with credentials (CORS); each is
    /// trusted for unsafe requests too.
    pub cors_origins: Vec<String>,
    /// Addresses or networks (`10.0.0.0/8`) of proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<Network>,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Connections one client address may hold at once; past it a new one is closed at once.
    /// Trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// `Strict-Transport-Security` max-age, sent when `public_url` is `https://`; 0: never.
    #[serde(with = "duration::seconds")]
    pub hsts_max_age: Duration,
    /// Serves `GET /bench/hello` through the same middleware, as the benchmark's measure of
    /// what HTTP handling alone costs. For benchmarking only; leave off in production.
    pub bench_hello: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            header_limit: 32 * 1024,
            request_timeout: Duration::from_secs(30),
            trusted_origins: Vec::new(),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            max_connections_per_ip: 64,
            // A year, as the HSTS preload list asks.
            hsts_max_age: Duration::from_secs(31_536_000),
            bench_hello: false,
        }
    }
}

impl HttpConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        for (key, value) in [
            ("http.body_limit", self.body_limit),
            ("http.header_limit", self.header_limit),
        ] {
            if value < 1024 {
                return Err(Invalid::new(
                    key,
                    "http.body_limit and http.header_limit must be at least 1024 bytes",
                ));
            }
        }
        for (key, value) in [
            ("http.request_timeout", self.request_timeout.as_secs()),
            ("http.max_connections", self.max_connections as u64),
            (
                "http.max_connections_per_ip",
                self.max_connections_per_ip as u64,
            ),
        ] {
            if value == 0 {
                return Err(Invalid::new(
                    key,
                    "http.request_timeout, http.max_connections and \
                     http.max_connections_per_ip must be at least 1",
                ));
            }
        }
        for origin in &self.cors_origins {
            if !is_origin(origin) {
                return Err(Invalid::new(
                    "http.cors_origins",
                    format!(
                        "http.cors_origins: {origin:?} is not an origin like \
                         https://app.example.com (scheme and host, optional port, no path or \
                         trailing slash)"
                    ),
                ));
            }
        }
        // A trailing slash is forgiven here (it is dropped at start); a path or a pattern
        // would silently trust nothing.
        for origin in &self.trusted_origins {
            if !is_origin(origin.trim_end_matches('/')) {
                return Err(Invalid::new(
                    "http.trusted_origins",
                    format!(
                        "http.trusted_origins: {origin:?} is not an origin like \
                         https://app.example.com (scheme and host, optional port, no path)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Whether `text` is a bare origin: scheme and host, optional port, nothing else.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' ', '*'])
        && HeaderValue::from_str(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_origins_must_be_bare_origins() {
        assert!(is_origin("https://app.example.com"));
        assert!(is_origin("http://localhost:3000"));
        assert!(!is_origin("https://app.example.com/"));
        assert!(!is_origin("app.example.com"));
        assert!(!is_origin("https://*.example.com"));
    }

    #[test]
    fn trusted_origins_must_be_origins_with_at_most_a_trailing_slash() {
        let mut config = HttpConfig {
            trusted_origins: vec!["https://app.example.com/".into()],
            ..HttpConfig::default()
        };
        assert!(config.validate().is_ok());
        for bad in [
            "https://app.example.com/login",
            "app.example.com",
            "https://*.example.com",
        ] {
            config.trusted_origins = vec![bad.into()];
            let error = config.validate().unwrap_err();
            assert!(
                format!("{error:?}").contains("http.trusted_origins"),
                "{error:?}"
            );
        }
    }
}
