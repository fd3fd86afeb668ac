//! Applications: clients that authenticate as themselves with an API token rather than as a
//! user. A token is shown once when the application is added and stored only as a hash; its
//! fixed prefix lets secret scanners recognise a leaked one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::audit::{AuditEvent, ClientContext, Subject};
use super::{Core, Error, now};
use crate::store::AppRow;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "latch_app_";
/// The prefix plus 43 characters of base64url (256 random bits).
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 43;
/// How much of a token is kept in the clear to tell tokens apart.
const HINT_LEN: usize = TOKEN_PREFIX.len() + 4;
const MAX_NAME_CHARS: usize = 64;

/// A registered application.
pub type App = AppRow;

/// A newly added application with its token, which exists nowhere else.
pub struct NewApp {
    pub app: App,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(
        "an application name must be 1 to {MAX_NAME_CHARS} characters without control characters"
    )]
    BadName,
    #[error("an application called {0:?} already exists; revoke it first or choose another name")]
    Taken(String),
    #[error("no application is called {0:?}")]
    Unknown(String),
    #[error(transparent)]
    Core(#[from] Error),
}

fn hash_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape of a latch application token.
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token.starts_with(TOKEN_PREFIX)
        && token[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Core {
    /// Adds an application and mints its token, on behalf of `client`.
    pub async fn add_app(&self, name: &str, client: &ClientContext) -> Result<NewApp, AppError> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AppError::BadName);
        }
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let app = self
            .store
            .insert_app(name, &hash_token(&token), &token[..HINT_LEN], now())
            .await
            .map_err(|e| match e {
                crate::store::StoreError::AppNameTaken(name) => AppError::Taken(name),
                other => AppError::Core(other.into()),
            })?;
        let detail = format!("application {} ({}…)", app.name, app.token_hint);
        self.record_audit(
            AuditEvent::TokenCreated,
            Subject::Nobody,
            client,
            Some(&detail),
        )
        .await;
        Ok(NewApp { app, token })
    }

    /// The application this token belongs to, if any. The lookup is by the token's hash, so
    /// its timing says nothing about how much of a guess was right.
    pub async fn authenticate_app(&self, token: &str) -> Result<Option<App>, Error> {
        if !well_formed(token) {
            return Ok(None);
        }
        Ok(self.store.app_by_token_hash(&hash_token(token)).await?)
    }

    pub async fn list_apps(&self) -> Result<Vec<App>, Error> {
        Ok(self.store.list_apps().await?)
    }

    /// Removes the application; its token stops working at once, on every node.
    pub async fn revoke_app(&self, name: &str, client: &ClientContext) -> Result<(), AppError> {
        let name = name.trim();
        if self.store.delete_app(name).await.map_err(Error::from)? {
            let detail = format!("application {name}");
            self.record_audit(
                AuditEvent::TokenRevoked,
                Subject::Nobody,
                client,
                Some(&detail),
            )
            .await;
            Ok(())
        } else {
            Err(AppError::Unknown(name.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_prefixed_tokens_of_the_right_length_are_well_formed() {
        let good = format!("{TOKEN_PREFIX}{}", "a".repeat(43));
        assert!(well_formed(&good));
        assert!(!well_formed(&good[1..]));
        assert!(!well_formed(&format!("{good}a")));
        assert!(!well_formed(&format!("{TOKEN_PREFIX}{}!", "a".repeat(42))));
        assert!(!well_formed(&format!("other_app_{}", "a".repeat(43))));
    }

    #[test]
    fn the_stored_hash_does_not_reveal_the_token() {
        let token = format!("{TOKEN_PREFIX}{}", "b".repeat(43));
        assert_ne!(hash_token(&token), token);
        assert!(!hash_token(&token).contains(TOKEN_PREFIX));
    }
}
