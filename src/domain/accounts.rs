//! An account as stored: its state, its roles, and the key its mail address is unique under.

pub const AUTHENTICATED: &str = "authenticated";
pub const ADMINISTRATOR: &str = "administrator";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Active,
    Blocked,
    /// Registered by a visitor, waiting for an administrator's approval.
    Pending,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Blocked => "blocked",
            AccountState::Pending => "pending",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(AccountState::Active),
            "blocked" => Some(AccountState::Blocked),
            "pending" => Some(AccountState::Pending),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub uuid: String,
    pub name: String,
    pub mail: Option<String>,
    pub password_hash: Option<String>,
    pub state: AccountState,
    pub timezone: String,
    pub langcode: String,
    pub created_at: i64,
    pub changed_at: i64,
    pub access_at: i64,
    pub login_at: i64,
    /// Roles beyond `authenticated`, which every account has.
    pub roles: Vec<String>,
}

impl Account {
    pub fn is_active(&self) -> bool {
        self.state == AccountState::Active
    }

    /// Administrators may view, change, create, block and delete any account.
    pub fn is_administrator(&self) -> bool {
        self.roles.iter().any(|r| r == ADMINISTRATOR)
    }

    /// Whether `mail` is this account's address, letter case aside as for uniqueness.
    pub fn has_mail(&self, mail: &str) -> bool {
        self.mail
            .as_deref()
            .is_some_and(|own| unique_key(own.trim()) == unique_key(mail.trim()))
    }

    /// Every role, `authenticated` first.
    pub fn all_roles(&self) -> Vec<&str> {
        std::iter::once(AUTHENTICATED)
            .chain(self.roles.iter().map(String::as_str))
            .collect()
    }
}

/// The key under which a name or mail is unique: letter case does not make a new account.
pub fn unique_key(value: &str) -> String {
    value.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_keys_ignore_letter_case() {
        assert_eq!(unique_key("Bob@Example.COM"), unique_key("bob@example.com"));
        assert_eq!(unique_key("ÄNNE"), unique_key("änne"));
    }
}
