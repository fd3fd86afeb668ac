//! Forward auth: whether a request that a proxy asks about may pass, by the `[[access]]`
//! rules and the roles the proxy asks for, and where a browser may be sent back to after
//! logging in.

use super::accounts::Account;
use crate::config::{AccessPolicy, AccessRule, Config, ForwardAuthConfig};

pub struct ForwardAuth {
    rules: Vec<AccessRule>,
    returns: ForwardAuthConfig,
    /// Whether latch is served over HTTPS: then a browser is sent back over HTTPS only.
    secure: bool,
}

/// The request the proxy guards, as the proxy reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginalRequest {
    /// Host (no port) and normalised path; a part not reported is `None`.
    Known {
        host: Option<String>,
        path: Option<String>,
    },
    /// The report cannot be trusted to name one request: a path that does not decode, or two
    /// headers that name different requests.
    Unreadable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// A live session is needed and the request has none.
    NoSession,
    /// The session lacks the roles asked for, or the request could not be read.
    Forbidden,
}

impl ForwardAuth {
    pub fn new(config: &Config) -> Self {
        Self {
            rules: config.access.clone(),
            returns: config.forward_auth.clone(),
            secure: config.public_url.starts_with("https://"),
        }
    }

    /// The first matching rule decides what the request needs; with none, a live session.
    /// A report that names no one request is refused when there are rules to apply.
    /// Roles the proxy asks for (`?role=`) apply on top, whatever the rule says: a `bypass`
    /// rule does not lift a requirement written into the proxy's own configuration.
    pub fn verdict(
        &self,
        original: &OriginalRequest,
        asked_roles: &[String],
        account: Option<&Account>,
    ) -> Verdict {
        let rule = match original {
            // Without rules the original request does not matter, however it was reported.
            _ if self.rules.is_empty() => None,
            OriginalRequest::Known { host, path } => self
                .rules
                .iter()
                .find(|rule| rule.matches(host.as_deref(), path.as_deref())),
            OriginalRequest::Unreadable => return Verdict::Forbidden,
        };
        let (needs_session, rule_roles): (bool, &[String]) = match rule {
            None => (true, &[]),
            Some(rule) => match rule.policy {
                Some(AccessPolicy::Bypass) => (false, &[]),
                Some(AccessPolicy::Authenticated) => (true, &[]),
                None => (true, &rule.roles),
            },
        };
        if !needs_session && asked_roles.is_empty() {
            return Verdict::Pass;
        }
        let Some(account) = account else {
            return Verdict::NoSession;
        };
        let held = account.all_roles();
        let holds_any =
            |roles: &[String]| roles.is_empty() || roles.iter().any(|r| held.contains(&r.as_str()));
        if holds_any(rule_roles) && holds_any(asked_roles) {
            Verdict::Pass
        } else {
            Verdict::Forbidden
        }
    }

    /// `url` if the login page may send a browser there: an absolute `http(s)` URL (only
    /// `https` when latch itself is) to a host on `forward_auth.return_hosts`.
    pub fn return_target(&self, url: &str) -> Option<String> {
        let url = url.trim();
        if url.chars().any(|c| c.is_control() || c == '\\') {
            return None;
        }
        let (scheme, rest) = url.split_once("://")?;
        let scheme_ok = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => !self.secure,
            _ => false,
        };
        let netloc = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if !scheme_ok || netloc.contains(['@', '[']) {
            return None;
        }
        let host = netloc.split(':').next().unwrap_or_default();
        self.returns.allows_return_to(host).then(|| url.to_string())
    }
}

/// The path of a request target as the proxy routes it: the query dropped, `%XX` decoded,
/// repeated slashes merged and `.`/`..` segments resolved, so `/public/../admin` and
/// `/%61dmin` are matched as `/admin`. `None` if it does not decode to UTF-8 without control
/// characters, or climbs above the root.
pub fn normalise_path(target: &str) -> Option<String> {
    let raw = target.split(['?', '#']).next().unwrap_or_default();
    if !raw.starts_with('/') {
        return None;
    }
    let decoded = String::from_utf8(percent_decode(raw)?).ok()?;
    if decoded.chars().any(char::is_control) {
        return None;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if segment == ".." {
            segments.pop()?;
        } else {
            segments.push(segment);
        }
    }
    let trailing = decoded.ends_with('/') && !segments.is_empty();
    let mut path = format!("/{}", segments.join("/"));
    if trailing {
        path.push('/');
    }
    Some(path)
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_matched_as_the_proxy_routes_them() {
        for (target, path) in [
            ("/admin?x=1", Some("/admin")),
            ("/public/../admin", Some("/admin")),
            ("/%61dmin/", Some("/admin/")),
            ("//admin//users", Some("/admin/users")),
            ("/./a/./b", Some("/a/b")),
            ("/", Some("/")),
            ("/..", None),
            ("/a%zz", None),
            ("/a%0a", None),
            ("/%ff", None),
            ("admin", None),
        ] {
            assert_eq!(normalise_path(target).as_deref(), path, "{target}");
        }
    }

    #[test]
    fn browsers_return_only_to_allowed_hosts() {
        let config = Config {
            forward_auth: ForwardAuthConfig {
                return_hosts: vec!["app.test".into(), "*.apps.test".into()],
            },
            ..Config::default()
        };
        let auth = ForwardAuth::new(&config);
        assert!(auth.return_target("http://app.test/x?y=1").is_some());
        assert!(auth.return_target("https://a.apps.test:8443/").is_some());
        for refused in [
            "https://evil.test/",
            "https://app.test@evil.test/",
            "https://evil.test\\@app.test/",
            "javascript://app.test/%0aalert(1)",
            "//app.test/",
            "https://apps.test/",
        ] {
            assert!(auth.return_target(refused).is_none(), "{refused}");
        }
    }
}
