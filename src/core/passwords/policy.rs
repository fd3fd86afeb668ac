//! What a new password must satisfy: not empty, not longer than [`MAX_PASSWORD_BYTES`], and
//! Django's default validators (`AUTH_PASSWORD_VALIDATORS`), each a setting: not too similar
//! to the account's name or mail address, at least `password.min_length` characters, not one
//! of the most common passwords, not only digits. Every rule a password breaks is reported,
//! in that order. These rules apply to passwords chosen over HTTP; the operator's command
//! line is trusted to choose, as Drupal's administrators and Django's `createsuperuser` may.
//!
//! The list is the one Django 5.2 ships (`common-passwords.txt.gz`, BSD-licensed: 20,000
//! passwords from public breach corpora, lower-cased and deduplicated to 19,640), compiled
//! into the binary so it works offline.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use secrecy::{ExposeSecret, SecretString};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::MAX_PASSWORD_BYTES;
use crate::config::PasswordConfig;
use crate::core::accounts::{Field, Violation};

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common.txt").lines().collect());

#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    min_length: usize,
    reject_common: bool,
    /// `0` when the similarity rule is off.
    max_similarity: f64,
    reject_numeric: bool,
}

/// What the password is compared with: the account's name and mail address, as they will be.
#[derive(Debug, Clone, Copy, Default)]
pub struct Holder<'a> {
    pub name: Option<&'a str>,
    pub mail: Option<&'a str>,
}

impl PasswordPolicy {
    pub fn new(config: &PasswordConfig) -> Self {
        Self {
            min_length: config.min_length,
            reject_common: config.reject_common,
            max_similarity: config.max_similarity,
            reject_numeric: config.reject_numeric,
        }
    }

    /// Every rule `password` breaks, in Django's order; empty if none.
    pub fn check(&self, password: &SecretString, holder: Holder<'_>) -> Vec<Violation> {
        if let Err(violation) = check_bounds(password) {
            return vec![violation];
        }
        let password = password.expose_secret();
        let mut violations = Vec::new();
        if self.max_similarity > 0.0 {
            let attributes = [(Field::Name, holder.name), (Field::Mail, holder.mail)];
            let similar = attributes.into_iter().find(|(_, value)| {
                value.is_some_and(|v| too_similar(password, v, self.max_similarity))
            });
            if let Some((field, _)) = similar {
                violations.push(Violation::PasswordTooSimilar { to: field });
            }
        }
        if password.chars().count() < self.min_length {
            violations.push(Violation::PasswordTooShort {
                min: self.min_length,
            });
        }
        // As Django compares: the list is lower-case, surrounding spaces do not count.
        if self.reject_common && COMMON.contains(password.trim().to_lowercase().as_str()) {
            violations.push(Violation::PasswordTooCommon);
        }
        // Python's `str.isdigit`, near enough: decimal digits of any script.
        if self.reject_numeric
            && password
                .chars()
                .all(|c| c.general_category() == GeneralCategory::DecimalNumber)
        {
            violations.push(Violation::PasswordEntirelyNumeric);
        }
        violations
    }
}

/// Django's `UserAttributeSimilarityValidator` for one attribute: the password, lower-cased,
/// against the whole value and each of its word-character runs, by `SequenceMatcher`'s
/// `quick_ratio` (shared characters, counted with multiplicity). Parts far shorter than the
/// password cannot reach the ratio and are skipped, as Django skips them.
fn too_similar(password: &str, value: &str, max_similarity: f64) -> bool {
    let password: Vec<char> = password.to_lowercase().chars().collect();
    let value = value.to_lowercase();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    value
        .split(|c: char| !word(c))
        .chain([value.as_str()])
        .map(|part| part.chars().collect::<Vec<char>>())
        .filter(|part| !exceeds_length_ratio(password.len(), part.len(), max_similarity))
        .any(|part| quick_ratio(&password, &part) >= max_similarity)
}

fn exceeds_length_ratio(password_len: usize, value_len: usize, max_similarity: f64) -> bool {
    password_len >= 10 * value_len
        && (value_len as f64) < max_similarity / 2.0 * password_len as f64
}

/// `2 * matches / (len(a) + len(b))`, where matches counts the characters both share.
fn quick_ratio(a: &[char], b: &[char]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let mut available: HashMap<char, usize> = HashMap::new();
    for c in b {
        *available.entry(*c).or_default() += 1;
    }
    let mut matches = 0usize;
    for c in a {
        if let Some(n) = available.get_mut(c).filter(|n| **n > 0) {
            *n -= 1;
            matches += 1;
        }
    }
    2.0 * matches as f64 / (a.len() + b.len()) as f64
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

    fn check_for(password: &str, name: &str, mail: &str) -> Vec<Violation> {
        let holder = Holder {
            name: Some(name),
            mail: Some(mail),
        };
        policy().check(&SecretString::from(password.to_string()), holder)
    }

    fn check(password: &str) -> Vec<Violation> {
        policy().check(&SecretString::from(password.to_string()), Holder::default())
    }

    #[test]
    fn the_list_holds_the_classics() {
        assert_eq!(COMMON.len(), 19_640);
        assert_eq!(check("password"), [Violation::PasswordTooCommon]);
        assert_eq!(check("Password1"), [Violation::PasswordTooCommon]);
        assert_eq!(check(" QWERTYUIOP "), [Violation::PasswordTooCommon]);
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert_eq!(check("äöüßäöü"), [Violation::PasswordTooShort { min: 8 }]);
        assert_eq!(check("äöüßäöüx"), []);
    }

    #[test]
    fn empty_and_oversized_passwords_are_refused_first() {
        assert_eq!(check(""), [Violation::PasswordMissing]);
        assert_eq!(check(&"x".repeat(513)), [Violation::PasswordTooLong]);
        assert_eq!(check("correct horse battery"), []);
    }

    #[test]
    fn every_broken_rule_is_reported_in_djangos_order() {
        assert_eq!(
            check("123"),
            [
                Violation::PasswordTooShort { min: 8 },
                Violation::PasswordTooCommon,
                Violation::PasswordEntirelyNumeric,
            ]
        );
        assert_eq!(check("٣٨٤٧٢٩١٥٦٠"), [Violation::PasswordEntirelyNumeric]);
        assert_eq!(
            check_for("bench", "bench", "b@example.com"),
            [
                Violation::PasswordTooSimilar { to: Field::Name },
                Violation::PasswordTooShort { min: 8 },
            ]
        );
    }

    #[test]
    fn similarity_follows_djangos_quick_ratio() {
        let similar =
            |p: &str| !check_for(p, "Jean-Luc_Picard", "jl.picard@starfleet.org").is_empty();
        // The whole name, a part of it, a part of the address.
        assert!(similar("jean-luc_picard"));
        assert!(similar("picard12"));
        assert!(similar("starfleet"));
        assert_eq!(
            check_for("starfleet!", "someone", "jl.picard@starfleet.org"),
            [Violation::PasswordTooSimilar { to: Field::Mail }]
        );
        assert!(!similar("correct horse battery"));
        // Django: quick_ratio("abcdefgh", "abcd") = 8/12 < 0.7, ("abcdefg", "abcdefgh") >= 0.7.
        assert!((quick_ratio(&chars("abcdefgh"), &chars("abcd")) - 2.0 / 3.0).abs() < 1e-9);
        assert!(too_similar("abcdefg", "abcdefgh", 0.7));
        assert!(!too_similar("abcdefgh", "abcd", 0.7));
        // A one-letter part is far shorter than a ten-letter password: skipped.
        assert!(!too_similar("aaaaaaaaaa", "a", 0.7));
    }

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn each_rule_can_be_switched_off() {
        let lenient = PasswordPolicy::new(&PasswordConfig {
            reject_common: false,
            reject_numeric: false,
            max_similarity: 0.0,
            ..PasswordConfig::default()
        });
        let holder = Holder {
            name: Some("12345678"),
            mail: None,
        };
        assert_eq!(lenient.check(&SecretString::from("12345678"), holder), []);
    }
}
