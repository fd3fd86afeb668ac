//! Reading accounts from other systems into [`ImportRow`]s: latch's documented CSV and JSON
//! formats; Drupal, Django, WordPress and ASP.NET Identity databases (SQLite, PostgreSQL,
//! MySQL or MariaDB); Keycloak realm exports and Firebase user exports. Writing them is the
//! core's job.

pub mod aspnet;
pub mod django;
pub mod drupal;
pub mod files;
pub mod firebase;
pub mod keycloak;
mod php_serialized;
mod source;
pub mod wordpress;

use crate::core::accounts::AccountState;
pub use crate::store::ImportRow;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("row {row}: {message}")]
    Row { row: usize, message: String },
    #[error("{0}")]
    Format(String),
}

/// `active`, `blocked`, `pending`, or Drupal's and Django's `1`/`0`, `true`/`false`.
pub fn parse_status(text: &str) -> Option<AccountState> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "active" | "1" | "true" => Some(AccountState::Active),
        "blocked" | "0" | "false" => Some(AccountState::Blocked),
        "pending" => Some(AccountState::Pending),
        _ => None,
    }
}

/// Unix seconds, or an RFC 3339 time; empty means `default`.
pub fn parse_time(text: &str, default: i64) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(default);
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// A role name from another system as a machine name (`Content editor` → `content_editor`);
/// the built-in `authenticated`/`anonymous` roles, which every account has or none, are dropped.
pub fn role_machine_name(name: &str) -> Option<String> {
    let machine: String = name
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    match machine.as_str() {
        "" | "authenticated" | "authenticated_user" | "anonymous" | "anonymous_user" => None,
        _ => Some(machine),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_become_machine_names() {
        assert_eq!(
            role_machine_name("Content editor").as_deref(),
            Some("content_editor")
        );
        assert_eq!(
            role_machine_name("administrator").as_deref(),
            Some("administrator")
        );
        assert_eq!(role_machine_name("authenticated user"), None);
    }

    #[test]
    fn times_are_seconds_or_rfc3339() {
        assert_eq!(parse_time("1714557600", 0), Some(1_714_557_600));
        assert_eq!(parse_time("2024-05-01T10:00:00Z", 0), Some(1_714_557_600));
        assert_eq!(parse_time("", 7), Some(7));
        assert_eq!(parse_time("yesterday", 0), None);
    }
}
