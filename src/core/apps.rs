//! Applications: clients that authenticate as themselves with an API token rather than as a
//! user. A token is shown once when the application is added and stored only as a hash; its
//! fixed prefix lets secret scanners recognise a leaked one.

use super::audit::{AuditEvent, ClientContext, Subject};
use super::prefixed_tokens;
use super::{Core, Error, now};
use crate::store::AppRow;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "latch_app_";
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
        let token = prefixed_tokens::mint(TOKEN_PREFIX);
        let app = self
            .store
            .insert_app(
                name,
                &prefixed_tokens::hash(&token),
                &prefixed_tokens::hint(&token, TOKEN_PREFIX),
                now(),
            )
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
        if !prefixed_tokens::well_formed(token, TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self
            .store
            .app_by_token_hash(&prefixed_tokens::hash(token))
            .await?)
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
