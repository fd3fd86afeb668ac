//! Personal access tokens: credentials a user makes for scripts and CI jobs, sent as
//! `Authorization: Bearer latch_pat_…`. A token is shown once, stored only as a hash, acts
//! for its account within its scopes, and dies when revoked, when it expires, when the account
//! stops being active, and when the password changes unless it was made to outlive that.

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::{Core, Error, now, prefixed_tokens};
use crate::store::AccessTokenRow;

/// Every personal access token starts with this.
pub const TOKEN_PREFIX: &str = "latch_pat_";
const MAX_NAME_CHARS: usize = 100;
/// Tokens one account may hold: enough for every script, few enough that nobody fills the table.
pub const MAX_TOKENS_PER_ACCOUNT: i64 = 100;
/// A token's lifetime when none is asked for.
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;
/// Longest lifetime a token can be given.
pub const MAX_LIFETIME_DAYS: u32 = 3650;
/// A token's last use is written at most this often (seconds).
const TOUCH_INTERVAL: i64 = 60;

/// A stored token (never the token itself).
pub type AccessToken = AccessTokenRow;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Prove who its holder is: `/latch/whoami`, `/latch/verify`.
    Verify,
    /// Act on the account: list and end its sessions, make and revoke tokens.
    Account,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Verify, Scope::Account];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Verify => "verify",
            Scope::Account => "account",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The scopes of a stored token.
pub fn scopes_of(token: &AccessToken) -> Vec<Scope> {
    token.scopes.split(' ').filter_map(Scope::parse).collect()
}

/// What a user asks for in a new token.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub name: String,
    /// Days until it expires; [`DEFAULT_LIFETIME_DAYS`] if not given.
    pub expires_in_days: Option<i64>,
    /// Scope names; `verify` alone if not given.
    pub scopes: Option<Vec<String>>,
    pub keep_on_password_change: bool,
}

/// A new token: the stored row and the token, which exists nowhere else.
pub struct NewToken {
    pub token: AccessToken,
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "name: a token's name must be 1 to {MAX_NAME_CHARS} characters without control characters"
    )]
    BadName,
    #[error("scopes: unknown scope {0:?}; the scopes are \"verify\" and \"account\"")]
    UnknownScope(String),
    #[error("scopes: give at least one (\"verify\", \"account\"), or leave the field out")]
    NoScopes,
    #[error("expires_in_days: a token lives 1 to {MAX_LIFETIME_DAYS} days")]
    BadLifetime,
    #[error("this account has {MAX_TOKENS_PER_ACCOUNT} tokens already; revoke one first")]
    TooMany,
    #[error(transparent)]
    Core(#[from] Error),
}

/// A token presented with a request, with the account it acts for.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    pub token: AccessToken,
    pub account: Account,
}

impl TokenHolder {
    pub fn allows(&self, scope: Scope) -> bool {
        scopes_of(&self.token).contains(&scope)
    }
}

/// What a presented bearer token turned out to be.
#[derive(Debug, Clone)]
pub enum BearerCheck {
    Valid(Box<TokenHolder>),
    /// A real token past its expiry: the caller is told, so they make a new one.
    Expired {
        expired_at: i64,
    },
    /// Not a live token: never issued, revoked, or its account is not active.
    Unknown,
}

fn parse_scopes(names: Option<&[String]>) -> Result<String, TokenError> {
    let Some(names) = names else {
        return Ok(Scope::Verify.as_str().to_string());
    };
    let mut scopes = Vec::new();
    for name in names {
        let scope =
            Scope::parse(name.trim()).ok_or_else(|| TokenError::UnknownScope(name.clone()))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(TokenError::NoScopes);
    }
    Ok(scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" "))
}

impl Core {
    /// Makes a token for `account`.
    pub async fn create_access_token(
        &self,
        account: &Account,
        request: &TokenRequest,
        client: &ClientContext,
    ) -> Result<NewToken, TokenError> {
        let name = request.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(TokenError::BadName);
        }
        let days = request
            .expires_in_days
            .unwrap_or(DEFAULT_LIFETIME_DAYS.into());
        if !(1..=i64::from(MAX_LIFETIME_DAYS)).contains(&days) {
            return Err(TokenError::BadLifetime);
        }
        let scopes = parse_scopes(request.scopes.as_deref())?;
        let secret = prefixed_tokens::mint(TOKEN_PREFIX);
        let now = now();
        let token = AccessToken {
            id: prefixed_tokens::public_id(),
            account_id: account.id,
            name: name.to_string(),
            token_hint: prefixed_tokens::hint(&secret, TOKEN_PREFIX),
            scopes,
            created_at: now,
            last_used_at: None,
            expires_at: Some(now + days * 86_400),
            keep_on_password_change: request.keep_on_password_change,
        };
        let stored = self
            .store
            .insert_access_token(
                &token,
                &prefixed_tokens::hash(&secret),
                MAX_TOKENS_PER_ACCOUNT,
            )
            .await
            .map_err(Error::from)?;
        if !stored {
            return Err(TokenError::TooMany);
        }
        let detail = format!("personal access token {} ({}…)", token.id, token.token_hint);
        self.record_audit(
            AuditEvent::TokenCreated,
            Subject::Account(account),
            client,
            Some(&detail),
        )
        .await;
        Ok(NewToken { token, secret })
    }

    /// The account's tokens, newest first.
    pub async fn access_tokens_of(&self, account: &Account) -> Result<Vec<AccessToken>, Error> {
        Ok(self.store.access_tokens_of(account.id).await?)
    }

    /// Revokes the token with this id if `owner` holds it (any account's for the operator,
    /// `None`); false for an unknown token or someone else's, which look the same.
    pub async fn revoke_access_token(
        &self,
        id: &str,
        owner: Option<&Account>,
        client: &ClientContext,
    ) -> Result<bool, Error> {
        let Some(token) = self
            .store
            .delete_access_token(id, owner.map(|a| a.id))
            .await?
        else {
            return Ok(false);
        };
        let account = match owner {
            Some(owner) => Some(owner.clone()),
            None => self.store.account_by_id(token.account_id).await?,
        };
        let subject = account.as_ref().map_or(Subject::Nobody, Subject::Account);
        let detail = format!("personal access token {} ({}…)", token.id, token.token_hint);
        self.record_audit(AuditEvent::TokenRevoked, subject, client, Some(&detail))
            .await;
        Ok(true)
    }

    /// What a bearer token presented with a request is. The lookup is by the token's hash,
    /// so its timing says nothing about how much of a guess was right.
    ///
    /// A token may come as `<id>|<token>`, the form Laravel Sanctum hands to apps; the id must
    /// then be the token's own.
    pub async fn authenticate_bearer(&self, token: &str) -> Result<BearerCheck, Error> {
        let (claimed_id, token) = match token.split_once('|') {
            Some((id, secret)) => (Some(id), secret),
            None => (None, token),
        };
        if !prefixed_tokens::well_formed(token, TOKEN_PREFIX) {
            return Ok(BearerCheck::Unknown);
        }
        let hash = prefixed_tokens::hash(token);
        let Some((mut token, account)) = self.store.access_token_by_hash(&hash).await? else {
            return Ok(BearerCheck::Unknown);
        };
        if !account.is_active() || claimed_id.is_some_and(|id| id != token.id) {
            return Ok(BearerCheck::Unknown);
        }
        let now = now();
        if let Some(expired_at) = token.expires_at.filter(|at| *at <= now) {
            return Ok(BearerCheck::Expired { expired_at });
        }
        if token
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_INTERVAL)
        {
            match self.store.touch_access_token(&token.id, now).await {
                Ok(()) => token.last_used_at = Some(now),
                // A valid token whose last use cannot be written (a full disk, a busy
                // database) must not be refused.
                Err(e) if e.is_unavailable() => {
                    tracing::warn!(error = %e, "could not record a token's last use; it is valid");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(BearerCheck::Valid(Box::new(TokenHolder { token, account })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_to_verify_and_refuse_unknown_ones() {
        assert_eq!(parse_scopes(None).unwrap(), "verify");
        let both = vec!["account".to_string(), "verify".into(), "account".into()];
        assert_eq!(parse_scopes(Some(&both)).unwrap(), "account verify");
        assert!(matches!(parse_scopes(Some(&[])), Err(TokenError::NoScopes)));
        let odd = vec!["admin".to_string()];
        assert!(
            matches!(parse_scopes(Some(&odd)), Err(TokenError::UnknownScope(s)) if s == "admin")
        );
    }
}
