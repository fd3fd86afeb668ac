//! Forward auth (`/latch/verify`): the hosts a browser may be sent back to after logging in,
//! and the `[[access]]` rules that decide, by host and path of the original request, who may
//! pass.

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardAuthConfig {
    /// Hosts (`app.example.com`, or `*.example.com` for its subdomains) the login page may
    /// send a browser back to after logging in. Any other host is refused: no open redirect.
    pub return_hosts: Vec<String>,
}

/// What an access rule asks of a request it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessPolicy {
    /// Anyone passes, with or without a session.
    Bypass,
    /// A live session is needed.
    Authenticated,
}

/// One `[[access]]` entry. The first rule whose host and path match the original request
/// decides; a request no rule matches needs a live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRule {
    /// `app.example.com`, `*.example.com` (any subdomain, not the domain itself) or `*`.
    #[serde(default = "any_host")]
    pub host: String,
    /// A path prefix, whole segments only: `/admin` matches `/admin` and `/admin/users`, not
    /// `/administrator`. `/` matches every path.
    #[serde(default = "every_path")]
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<AccessPolicy>,
    /// Machine names of roles; a session holding any of them passes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

fn any_host() -> String {
    "*".into()
}

fn every_path() -> String {
    "/".into()
}

impl ForwardAuthConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        for host in &self.return_hosts {
            if host == "*" || !is_host_pattern(host) {
                return Err(Invalid::new(
                    "forward_auth.return_hosts",
                    format!(
                        "forward_auth.return_hosts entry {host:?} must be a host name such as \
                         \"app.example.com\" or \"*.example.com\", without scheme, port or path"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether the login page may send a browser back to `host` (no port).
    pub fn allows_return_to(&self, host: &str) -> bool {
        self.return_hosts.iter().any(|p| host_matches(p, host))
    }
}

impl AccessRule {
    /// Whether the rule applies to a request for `host` and the normalised `path`. A part the
    /// proxy did not report matches only the rule's wildcard for it (`*`, `/`).
    pub fn matches(&self, host: Option<&str>, path: Option<&str>) -> bool {
        let host_ok = match host {
            Some(host) => host_matches(&self.host, host),
            None => self.host == "*",
        };
        let path_ok = match path {
            Some(path) => path_covers(self.prefix(), path),
            None => self.prefix() == "/",
        };
        host_ok && path_ok
    }

    /// The path without a trailing slash (`/admin/` and `/admin` are one rule), `/` kept.
    fn prefix(&self) -> &str {
        let trimmed = self.path.trim_end_matches('/');
        if trimmed.is_empty() { "/" } else { trimmed }
    }

    fn describe(&self, index: usize) -> String {
        format!(
            "[[access]] rule {} (host = {:?}, path = {:?})",
            index + 1,
            self.host,
            self.path
        )
    }

    fn validate(&self, index: usize) -> Result<(), Invalid> {
        let what = self.describe(index);
        let refuse = |message: String| Err(Invalid::new("access", format!("{what}: {message}")));
        if self.host != "*" && !is_host_pattern(&self.host) {
            return refuse(
                "host must be a host name such as \"app.example.com\", \"*.example.com\" or \
                 \"*\", in lower case, without scheme, port or path"
                    .into(),
            );
        }
        if !self.path.starts_with('/')
            || self
                .path
                .chars()
                .any(|c| c.is_control() || matches!(c, '?' | '#' | '*' | '%' | '\\'))
            || self.path.split('/').any(|s| s == "." || s == "..")
            || self.path.contains("//")
        {
            return refuse(
                "path must be a plain path prefix such as \"/admin\" (no patterns, query, \
                 encoded characters or dot segments)"
                    .into(),
            );
        }
        match (self.policy, self.roles.is_empty()) {
            (Some(_), false) | (None, true) => refuse(
                "give either policy = \"bypass\" or \"authenticated\", or roles = [...], \
                 not both"
                    .into(),
            ),
            _ => match self.roles.iter().find(|r| !is_machine_name(r)) {
                Some(role) => refuse(format!(
                    "role {role:?} is not a machine name (letters, digits and _)"
                )),
                None => Ok(()),
            },
        }
    }
}

/// Checks each rule, then refuses a rule that an earlier one shadows: every request it
/// matches, the earlier rule matches first, so it could never apply.
pub(super) fn validate_access(rules: &[AccessRule]) -> Result<(), Invalid> {
    for (index, rule) in rules.iter().enumerate() {
        rule.validate(index)?;
    }
    for (later_index, later) in rules.iter().enumerate() {
        for (earlier_index, earlier) in rules[..later_index].iter().enumerate() {
            if host_covers(&earlier.host, &later.host)
                && path_covers(earlier.prefix(), later.prefix())
            {
                return Err(Invalid::new(
                    "access",
                    format!(
                        "{} can never apply: {} comes first and matches every request it \
                         would. Put the narrower rule first, or remove it.",
                        later.describe(later_index),
                        earlier.describe(earlier_index)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `name`, `*.name` with dot-separated labels of lower-case letters, digits and `-`.
fn is_host_pattern(text: &str) -> bool {
    let name = text.strip_prefix("*.").unwrap_or(text);
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

fn is_machine_name(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `host` (no port) matches the pattern, ignoring letter case.
fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        _ if pattern == "*" => true,
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => host == pattern,
    }
}

/// Whether every host `inner` matches, `outer` matches too.
fn host_covers(outer: &str, inner: &str) -> bool {
    if outer == "*" || outer == inner {
        return true;
    }
    match (outer.strip_prefix("*."), inner.strip_prefix("*.")) {
        (Some(domain), Some(sub)) => sub.ends_with(&format!(".{domain}")),
        (Some(domain), None) => inner.ends_with(&format!(".{domain}")),
        (None, _) => false,
    }
}

/// Whether `path` lies under the prefix, by whole segments.
fn path_covers(prefix: &str, path: &str) -> bool {
    prefix == "/"
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(host: &str, path: &str, roles: &[&str]) -> AccessRule {
        AccessRule {
            host: host.into(),
            path: path.into(),
            policy: roles.is_empty().then_some(AccessPolicy::Bypass),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn paths_match_by_whole_segments() {
        let admin = rule("*", "/admin/", &["admin"]);
        assert!(admin.matches(Some("a.test"), Some("/admin")));
        assert!(admin.matches(Some("a.test"), Some("/admin/users")));
        assert!(!admin.matches(Some("a.test"), Some("/administrator")));
        assert!(!admin.matches(Some("a.test"), None));
    }

    #[test]
    fn wildcard_hosts_match_subdomains_only() {
        let apps = rule("*.example.com", "/", &[]);
        assert!(apps.matches(Some("App.Example.com"), Some("/")));
        assert!(!apps.matches(Some("example.com"), Some("/")));
        assert!(!apps.matches(Some("evilexample.com"), Some("/")));
        assert!(!apps.matches(None, Some("/")));
    }

    #[test]
    fn a_shadowed_rule_is_refused_naming_both() {
        let error = validate_access(&[
            rule("*.example.com", "/", &["staff"]),
            rule("app.example.com", "/admin", &["admin"]),
        ])
        .unwrap_err();
        assert!(error.message.contains("rule 2") && error.message.contains("rule 1"));
        // The narrower rule first is the intended order.
        validate_access(&[
            rule("app.example.com", "/admin", &["admin"]),
            rule("*.example.com", "/", &["staff"]),
            rule("other.test", "/", &[]),
        ])
        .unwrap();
    }

    #[test]
    fn malformed_rules_are_refused() {
        for bad in [
            rule("*", "admin", &["a"]),
            rule("*", "/a/../b", &["a"]),
            rule("https://a.test", "/", &["a"]),
            rule("*", "/", &["not a role"]),
            AccessRule {
                policy: Some(AccessPolicy::Authenticated),
                ..rule("*", "/", &["admin"])
            },
        ] {
            assert!(
                validate_access(std::slice::from_ref(&bad)).is_err(),
                "{bad:?}"
            );
        }
    }
}
