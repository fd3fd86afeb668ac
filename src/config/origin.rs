//! Browser origins as settings: `scheme://host[:port]`, parsed once at load. A browser sends
//! its origin in this normal form (lowercase, no default port, no trailing slash), so matching
//! a request against them is a comparison, never a re-parse.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An origin such as `https://app.example.com`, `http://localhost:5173` or
/// `capacitor://localhost`. Its scheme and host are lowercase; the scheme's default port is
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// Parses an origin as a browser sends it in `Origin` or as an operator writes it; a single
    /// trailing slash is forgiven.
    pub fn parse(text: &str) -> Result<Self, OriginError> {
        let (scheme, authority) = split_origin(text)?;
        let (host, port) = split_authority(authority)?;
        if host.contains('*') {
            return Err(OriginError::Wildcard);
        }
        Ok(Self::new(scheme, host, port))
    }

    /// The origin `scheme://authority` names, as a request's `Host` header gives `authority`.
    pub fn from_parts(scheme: &str, authority: &str) -> Result<Self, OriginError> {
        if !is_scheme(scheme) {
            return Err(OriginError::Scheme);
        }
        let (host, port) = split_authority(authority)?;
        if host.contains('*') {
            return Err(OriginError::Wildcard);
        }
        Ok(Self::new(scheme, host, port))
    }

    fn new(scheme: &str, host: &str, port: Option<u16>) -> Self {
        let scheme = scheme.to_ascii_lowercase();
        let port = port.filter(|p| default_port(&scheme) != Some(*p));
        Self {
            host: host.to_ascii_lowercase(),
            scheme,
            port,
        }
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, unless it is the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

impl std::str::FromStr for Origin {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, OriginError> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Origin {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| e.explain(&text, "https://app.example.com"))
    }
}

impl From<Origin> for String {
    fn from(origin: Origin) -> Self {
        origin.to_string()
    }
}

/// An entry of Django's `CSRF_TRUSTED_ORIGINS`: an origin, or `scheme://*.domain[:port]` for
/// every subdomain of `domain` (and `domain` itself, as Django's `is_same_domain` has it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum OriginPattern {
    Exact(Origin),
    Subdomains {
        scheme: String,
        /// Lowercase, without the `*.`.
        domain: String,
        port: Option<u16>,
    },
}

impl OriginPattern {
    pub fn parse(text: &str) -> Result<Self, OriginError> {
        let (scheme, authority) = split_origin(text)?;
        let (host, port) = split_authority(authority)?;
        let Some(domain) = host.strip_prefix("*.") else {
            return Origin::parse(text).map(Self::Exact);
        };
        if domain.is_empty() || domain.contains('*') {
            return Err(OriginError::Wildcard);
        }
        let Origin {
            scheme,
            host: domain,
            port,
        } = Origin::new(scheme, domain, port);
        Ok(Self::Subdomains {
            scheme,
            domain,
            port,
        })
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginPattern::Exact(origin) => origin.fmt(f),
            OriginPattern::Subdomains {
                scheme,
                domain,
                port,
            } => {
                write!(f, "{scheme}://*.{domain}")?;
                match port {
                    Some(port) => write!(f, ":{port}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::str::FromStr for OriginPattern {
    type Err = OriginError;

    fn from_str(text: &str) -> Result<Self, OriginError> {
        Self::parse(text)
    }
}

impl TryFrom<String> for OriginPattern {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| {
            e.explain(
                &text,
                "https://app.example.com, or https://*.example.com for its subdomains",
            )
        })
    }
}

impl From<OriginPattern> for String {
    fn from(pattern: OriginPattern) -> Self {
        pattern.to_string()
    }
}

/// What keeps a text from being an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("it has no scheme:// in front")]
    NoScheme,
    #[error("its scheme is not letters, digits, +, - and . starting with a letter")]
    Scheme,
    #[error("it has no host")]
    NoHost,
    #[error("it has a path, query, fragment or user name after the host")]
    Path,
    #[error("its host holds characters a host cannot")]
    Host,
    #[error("its port is not a number from 1 to 65535")]
    Port,
    #[error("a * may only stand for subdomains, as in https://*.example.com")]
    Wildcard,
}

impl OriginError {
    fn explain(self, text: &str, example: &str) -> String {
        format!("{text:?} is not an origin like {example}: {self}")
    }
}

/// `scheme` and `host[:port]` of `scheme://host[:port]` with at most a trailing slash.
fn split_origin(text: &str) -> Result<(&str, &str), OriginError> {
    let (scheme, rest) = text.split_once("://").ok_or(OriginError::NoScheme)?;
    if !is_scheme(scheme) {
        return Err(OriginError::Scheme);
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@']) {
        return Err(OriginError::Path);
    }
    Ok((scheme, authority))
}

fn is_scheme(scheme: &str) -> bool {
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Host and port of `host[:port]`, the host an IPv6 literal in brackets or a name of
/// letters, digits, `-`, `.`, `_`, `~` and `*` (the last for patterns).
fn split_authority(authority: &str) -> Result<(&str, Option<u16>), OriginError> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']').ok_or(OriginError::Host)? + 1;
        let (host, rest) = authority.split_at(end);
        let inner = &host[1..host.len() - 1];
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(OriginError::Host);
        }
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':').ok_or(OriginError::Host)?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(OriginError::NoHost);
    }
    if !host.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~*".contains(c))
    {
        return Err(OriginError::Host);
    }
    let port = match port {
        None => None,
        Some(digits) => {
            let valid = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
            let port = digits.parse::<u16>().ok().filter(|p| valid && *p > 0);
            Some(port.ok_or(OriginError::Port)?)
        }
    };
    Ok((host, port))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        for (text, normal) in [
            ("https://App.Example.com/", "https://app.example.com"),
            ("HTTP://localhost:5173", "http://localhost:5173"),
            ("https://a.test:443", "https://a.test"),
            ("http://a.test:80", "http://a.test"),
            ("capacitor://localhost", "capacitor://localhost"),
            ("ionic://localhost", "ionic://localhost"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ] {
            assert_eq!(Origin::parse(text).unwrap().to_string(), normal, "{text}");
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for (text, error) in [
            ("app.example.com", OriginError::NoScheme),
            ("null", OriginError::NoScheme),
            ("1https://a.test", OriginError::Scheme),
            ("https://", OriginError::NoHost),
            ("https://a.test/login", OriginError::Path),
            ("https://a.test//", OriginError::Path),
            ("https://user@a.test", OriginError::Path),
            ("https://a.test?x", OriginError::Path),
            ("https://a b.test", OriginError::Host),
            ("https://[nonsense]", OriginError::Host),
            ("https://a.test:0", OriginError::Port),
            ("https://a.test:99999", OriginError::Port),
            ("https://a.test:", OriginError::Port),
            ("https://*.example.com", OriginError::Wildcard),
        ] {
            assert_eq!(Origin::parse(text), Err(error), "{text}");
        }
    }

    #[test]
    fn patterns_take_subdomain_wildcards() {
        assert_eq!(
            OriginPattern::parse("https://*.Example.com:8443").unwrap(),
            OriginPattern::Subdomains {
                scheme: "https".into(),
                domain: "example.com".into(),
                port: Some(8443),
            }
        );
        assert_eq!(
            OriginPattern::parse("https://app.example.com/")
                .unwrap()
                .to_string(),
            "https://app.example.com"
        );
        for bad in [
            "https://*",
            "https://*.",
            "https://a.*.com",
            "https://*a.com",
        ] {
            assert!(OriginPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_round_trip_through_their_text() {
        for text in ["https://*.example.com", "http://localhost:5173"] {
            let pattern: OriginPattern = text.parse().unwrap();
            assert_eq!(String::from(pattern), text);
        }
    }
}
