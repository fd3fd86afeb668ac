//! What a new password must satisfy: not empty, not longer than [`MAX_PASSWORD_BYTES`], at
//! least `password.min_length` characters, and not one of the most common passwords. The
//! last two apply to passwords chosen over HTTP; the operator's command line is trusted to
//! choose, as Drupal's administrators and Django's `createsuperuser` may.
//!
//! The list is the one Django ships (`common-passwords.txt`: 20,000 passwords from public
//! breach corpora, lower-cased and deduplicated), compiled into the binary so it works offline.

use std::collections::HashSet;
use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};

use super::MAX_PASSWORD_BYTES;
use crate::config::PasswordConfig;
use crate::core::accounts::Violation;

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common.txt").lines().collect());

#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_length: usize,
    reject_common: bool,
}

impl PasswordPolicy {
    pub fn new(config: &PasswordConfig) -> Self {
        Self {
            min_length: config.min_length,
            reject_common: config.reject_common,
        }
    }

    /// The first rule `password` breaks, if any.
    pub fn check(&self, password: &SecretString) -> Result<(), Violation> {
        check_bounds(password)?;
        let password = password.expose_secret();
        if password.chars().count() < self.min_length {
            return Err(Violation::PasswordTooShort {
                min: self.min_length,
            });
        }
        // As Django compares: the list is lower-case, surrounding spaces do not count.
        if self.reject_common && COMMON.contains(password.trim().to_lowercase().as_str()) {
            return Err(Violation::PasswordTooCommon);
        }
        Ok(())
    }
}

/// The rules even the operator's command line keeps: a password, and not an oversized one.
pub fn check_bounds(password: &SecretString) -> Result<(), Violation> {
    let password = password.expose_secret();
    if password.is_empty() {
        return Err(Violation::PasswordMissing);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Violation::PasswordTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy::new(&PasswordConfig::default())
    }

    fn check(password: &str) -> Result<(), Violation> {
        policy().check(&SecretString::from(password.to_string()))
    }

    #[test]
    fn the_list_holds_the_classics() {
        assert!(COMMON.len() > 19_000, "{}", COMMON.len());
        assert_eq!(check("password"), Err(Violation::PasswordTooCommon));
        assert_eq!(check("Password1"), Err(Violation::PasswordTooCommon));
        assert_eq!(check(" QWERTYUIOP "), Err(Violation::PasswordTooCommon));
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert_eq!(
            check("äöüßäöü"),
            Err(Violation::PasswordTooShort { min: 8 })
        );
        assert_eq!(check("äöüßäöüx"), Ok(()));
    }

    #[test]
    fn empty_and_oversized_passwords_are_refused_first() {
        assert_eq!(check(""), Err(Violation::PasswordMissing));
        assert_eq!(check(&"x".repeat(513)), Err(Violation::PasswordTooLong));
        assert_eq!(check("correct horse battery"), Ok(()));
    }

    #[test]
    fn the_list_can_be_switched_off() {
        let lenient = PasswordPolicy::new(&PasswordConfig {
            reject_common: false,
            ..PasswordConfig::default()
        });
        assert_eq!(lenient.check(&SecretString::from("password")), Ok(()));
    }
}
