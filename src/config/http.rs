//! Limits and protections of the HTTP server: sizes, timeouts, connection caps, the origins
//! trusted by browsers and the proxies whose `X-Forwarded-For` is believed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::origin::Origin;
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
    /// Origins (`https://app.example.com`, `capacitor://localhost`) whose browsers may send
    /// unsafe requests besides the server's own origin.
    pub trusted_origins: Vec<Origin>,
    /// Origins whose pages may call latch from the browser with credentials (CORS); each is
    /// trusted for unsafe requests too.
    pub cors_origins: Vec<Origin>,
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
        Ok(())
    }
}
