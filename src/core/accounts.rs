//! Accounts: the registration policy and the validation rules for names and mail addresses.
//! Problems are reported as [`Violation`]s; each dialect words them its way. The account
//! itself, which the store reads and writes too, lives in [`crate::domain`].

/// Who may create accounts is a setting; it is defined with the others.
pub use crate::config::RegistrationMode;
pub use crate::domain::accounts::{
    ADMINISTRATOR, AUTHENTICATED, Account, AccountState, unique_key,
};
use crate::domain::names::{is_invisible, mixes_lookalike_scripts};
pub use crate::domain::names::{name_fold, normalize_name};

const MAX_NAME_CHARS: usize = 60;
/// Django's `AbstractUser.username` length.
pub const MAX_DJANGO_NAME_CHARS: usize = 150;

/// Whose rules a new name follows: the dialect's that creates it. Names created under one
/// set of rules stay valid everywhere; every dialect logs in with any stored name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NameRules {
    /// Drupal's: letters, digits, spaces (single, not at either end) and `._@+'-`, up to 60
    /// characters.
    #[default]
    Drupal,
    /// Django's `UnicodeUsernameValidator`: letters, digits and `@.+-_`, up to 150 characters.
    Django,
}
const MAX_MAIL_CHARS: usize = 254;

/// The account fields a violation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Mail,
    Password,
    Roles,
    State,
    TimeZone,
    Language,
}

/// One thing wrong with submitted account data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    NameMissing,
    NameLeadingSpace,
    NameTrailingSpace,
    NameMultipleSpaces,
    NameInvalidCharacter,
    /// An invisible, control or text-direction character, which would let a name look like
    /// another or hide part of itself.
    NameInvisibleCharacter,
    /// Latin, Greek and Cyrillic letters mixed in one word, as in a look-alike of another name.
    NameMixedScripts,
    NameTooLong {
        name: String,
    },
    NameTaken {
        name: String,
    },
    MailMissing,
    MailTooLong,
    MailInvalid,
    MailTaken {
        mail: String,
    },
    PasswordMissing,
    PasswordTooLong,
    PasswordTooShort {
        min: usize,
    },
    /// One of the most common passwords, which guessers try first.
    PasswordTooCommon,
    /// Too like the account's name or mail address (`to`), which guessers try too.
    PasswordTooSimilar {
        to: Field,
    },
    /// Only digits.
    PasswordEntirelyNumeric,
    /// Changing this field needs the account's current password.
    CurrentPasswordRequired {
        field: Field,
    },
    RoleInvalid {
        role: String,
    },
    /// Not one of the time zones offered ([`super::locale`]).
    TimeZoneInvalid,
    /// Not one of the languages offered ([`super::locale`]).
    LanguageInvalid,
}

impl Violation {
    pub fn field(&self) -> Field {
        use Violation::*;
        match self {
            NameMissing
            | NameLeadingSpace
            | NameTrailingSpace
            | NameMultipleSpaces
            | NameInvalidCharacter
            | NameInvisibleCharacter
            | NameMixedScripts
            | NameTooLong { .. }
            | NameTaken { .. } => Field::Name,
            MailMissing | MailTooLong | MailInvalid | MailTaken { .. } => Field::Mail,
            PasswordMissing
            | PasswordTooLong
            | PasswordTooShort { .. }
            | PasswordTooCommon
            | PasswordTooSimilar { .. }
            | PasswordEntirelyNumeric => Field::Password,
            CurrentPasswordRequired { field } => *field,
            RoleInvalid { .. } => Field::Roles,
            TimeZoneInvalid => Field::TimeZone,
            LanguageInvalid => Field::Language,
        }
    }
}

/// A new name under `rules`, and the Unicode rules that keep names from impersonating each
/// other, which apply under every dialect's rules. `name` is expected in its stored form
/// ([`normalize_name`]).
pub fn check_name_under(rules: NameRules, name: &str) -> Result<(), Violation> {
    match rules {
        NameRules::Drupal => check_name(name),
        NameRules::Django => check_django_name(name),
    }
}

/// Django's `UnicodeUsernameValidator` (`^[\w.@+-]+\Z`) and the model's 150 characters; no
/// invisible character is a word character, so those are invalid characters here.
fn check_django_name(name: &str) -> Result<(), Violation> {
    if name.is_empty() {
        return Err(Violation::NameMissing);
    }
    let allowed = |c: char| (c.is_alphanumeric() || "_.@+-".contains(c)) && !is_invisible(c);
    if !name.chars().all(allowed) {
        return Err(Violation::NameInvalidCharacter);
    }
    if name.chars().count() > MAX_DJANGO_NAME_CHARS {
        return Err(Violation::NameTooLong {
            name: name.to_string(),
        });
    }
    if mixes_lookalike_scripts(name) {
        return Err(Violation::NameMixedScripts);
    }
    Ok(())
}

/// Drupal's username rules, and the Unicode rules that keep names from impersonating each
/// other. `name` is expected in its stored form ([`normalize_name`]).
pub fn check_name(name: &str) -> Result<(), Violation> {
    if name.is_empty() {
        return Err(Violation::NameMissing);
    }
    if name.starts_with(' ') {
        return Err(Violation::NameLeadingSpace);
    }
    if name.ends_with(' ') {
        return Err(Violation::NameTrailingSpace);
    }
    if name.contains("  ") {
        return Err(Violation::NameMultipleSpaces);
    }
    if name.chars().any(is_invisible) {
        return Err(Violation::NameInvisibleCharacter);
    }
    if !name.chars().all(name_char_allowed) {
        return Err(Violation::NameInvalidCharacter);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Violation::NameTooLong {
            name: name.to_string(),
        });
    }
    if mixes_lookalike_scripts(name) {
        return Err(Violation::NameMixedScripts);
    }
    Ok(())
}

fn name_char_allowed(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || " ._@+'-".contains(c);
    }
    // Control, formatting, invisible and full-width punctuation characters Drupal refuses.
    !matches!(c as u32,
        0x80..=0xA0 | 0xAD | 0x2000..=0x200F | 0x2028..=0x202F | 0x205F..=0x206F
        | 0xFEFF | 0xFF01..=0xFF60 | 0xFFF9..=0xFFFD)
}

/// A strict address check: a dot-atom local part and a domain of host-name labels.
pub fn check_mail(mail: &str) -> Result<(), Violation> {
    if mail.chars().count() > MAX_MAIL_CHARS {
        return Err(Violation::MailTooLong);
    }
    let Some((local, domain)) = mail.rsplit_once('@') else {
        return Err(Violation::MailInvalid);
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(())
    } else {
        Err(Violation::MailInvalid)
    }
}

/// Role names are machine names: lower-case letters, digits and underscores.
pub fn check_role(role: &str) -> Result<(), Violation> {
    let ok = !role.is_empty()
        && role.len() <= 32
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && role != AUTHENTICATED
        && role != "anonymous";
    if ok {
        Ok(())
    } else {
        Err(Violation::RoleInvalid {
            role: role.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_drupal_rules() {
        assert_eq!(check_name("bob"), Ok(()));
        assert_eq!(check_name("Ann-Marie O'Neil+test@x.y_z"), Ok(()));
        assert_eq!(check_name("Zoë 山田"), Ok(()));
        assert_eq!(check_name(""), Err(Violation::NameMissing));
        assert_eq!(check_name(" bob"), Err(Violation::NameLeadingSpace));
        assert_eq!(check_name("bob "), Err(Violation::NameTrailingSpace));
        assert_eq!(check_name("b  ob"), Err(Violation::NameMultipleSpaces));
        assert_eq!(
            check_name("bob<script>"),
            Err(Violation::NameInvalidCharacter)
        );
        for hidden in [
            "bob\u{200B}",
            "bob\u{202E}moc.exe",
            "b\u{AD}ob",
            "bob\u{2066}",
        ] {
            assert_eq!(
                check_name(hidden),
                Err(Violation::NameInvisibleCharacter),
                "{hidden:?}"
            );
        }
        assert_eq!(check_name("p\u{430}ypal"), Err(Violation::NameMixedScripts));
        assert_eq!(check_name("ｂｏｂ！"), Err(Violation::NameInvalidCharacter));
        assert_eq!(check_name(&"é".repeat(60)), Ok(()));
        assert!(matches!(
            check_name(&"a".repeat(61)),
            Err(Violation::NameTooLong { .. })
        ));
    }

    #[test]
    fn django_names_follow_the_unicode_username_validator() {
        let django = |name: &str| check_name_under(NameRules::Django, name);
        assert_eq!(django("Ann.Marie+test@x-y_z"), Ok(()));
        assert_eq!(django("Zoë山田"), Ok(()));
        assert_eq!(django(&"é".repeat(150)), Ok(()));
        for bad in [
            "Ann Marie",
            "o'neil",
            "bob<script>",
            "bob\u{200B}",
            "ｂｏｂ！",
        ] {
            assert_eq!(django(bad), Err(Violation::NameInvalidCharacter), "{bad:?}");
        }
        assert!(matches!(
            django(&"a".repeat(151)),
            Err(Violation::NameTooLong { .. })
        ));
        assert_eq!(django("p\u{430}ypal"), Err(Violation::NameMixedScripts));
        assert_eq!(django(""), Err(Violation::NameMissing));
        assert_eq!(check_name_under(NameRules::Drupal, "Ann Marie"), Ok(()));
    }

    #[test]
    fn mail_addresses_are_checked_strictly() {
        for ok in [
            "bob@example.com",
            "a.b+c@sub.example.org",
            "x@localhost",
            "ü@bücher.de",
        ] {
            assert_eq!(check_mail(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "bob",
            "@example.com",
            "bob@",
            "a..b@x.org",
            ".a@x.org",
            "a@-x.org",
            "a@x..org",
            "a b@x.org",
            "a@x.org ",
            "<a@x.org>",
        ] {
            assert_eq!(check_mail(bad), Err(Violation::MailInvalid), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(check_mail(&long), Err(Violation::MailTooLong));
    }

    #[test]
    fn roles_are_machine_names() {
        assert_eq!(check_role("editor"), Ok(()));
        assert!(check_role("Editor").is_err());
        assert!(check_role("authenticated").is_err());
        assert!(check_role("").is_err());
    }
}
