//! Limits and protections of the HTTP server: sizes, timeouts, connection caps, the origins
//! trusted by browsers and the proxies whose `X-Forwarded-For` is believed.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::origin::Origin;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Largest accepted total size of the request headers, in bytes.
    pub header_limit: usize,
    /// Seconds a whole request may take.
    pub request_timeout: u64,
    /// Origins (`https://app.example.com`, `capacitor://localhost`) whose browsers may send
    /// unsafe requests besides the server's own origin.
    pub trusted_origins: Vec<Origin>,
    /// Origins whose pages may call latch from the browser with credentials (CORS); each is
    /// trusted for unsafe requests too.
    pub cors_origins: Vec<Origin>,
    /// Addresses or networks (`10.0.0.0/8`) of proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Connections one client address may hold at once; past it a new one is closed at once.
    /// Trusted proxies are exempt.
    pub max_connections_per_ip: usize,
    /// `Strict-Transport-Security` max-age, sent when `public_url` is `https://`; 0: never.
    pub hsts_max_age: u64,
    /// Serves `GET /bench/hello` through the same middleware, as the benchmark's measure of
    /// what HTTP handling alone costs. For benchmarking only; leave off in production.
    pub bench_hello: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            header_limit: 32 * 1024,
            request_timeout: 30,
            trusted_origins: Vec::new(),
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_connections: 1024,
            max_connections_per_ip: 64,
            // A year, as the HSTS preload list asks.
            hsts_max_age: 31_536_000,
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
            ("http.request_timeout", self.request_timeout),
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
        for proxy in &self.trusted_proxies {
            if Network::parse(proxy).is_none() {
                return Err(Invalid::new(
                    "http.trusted_proxies",
                    format!(
                        "http.trusted_proxies: {proxy:?} is not an address or network like \
                         10.0.0.0/8"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// An address or a CIDR network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let base: IpAddr = address.trim().parse().ok()?;
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (ip, base, bits) = match (canonical_ip(ip), self.base) {
            (IpAddr::V4(ip), IpAddr::V4(base)) => {
                (u128::from(ip.to_bits()), u128::from(base.to_bits()), 32)
            }
            (IpAddr::V6(ip), IpAddr::V6(base)) => (ip.to_bits(), base.to_bits(), 128),
            _ => return false,
        };
        let host_bits = bits - u32::from(self.prefix);
        host_bits >= bits || (ip >> host_bits) == (base >> host_bits)
    }
}

/// IPv4 peers on a dual-stack socket show as `::ffff:a.b.c.d`.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_match_by_prefix() {
        let net = Network::parse("192.168.0.0/16").unwrap();
        assert!(net.contains("192.168.44.1".parse().unwrap()));
        assert!(!net.contains("192.169.0.1".parse().unwrap()));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert_eq!(Network::parse("10.0.0.0/33"), None);
        assert_eq!(Network::parse("example.com"), None);
    }
}
