//! Passkeys (WebAuthn credentials of a platform or roaming authenticator): registering them,
//! listing and removing them. Logging in with one is in [`super::passkey_login`].
//!
//! A ceremony's challenge state is kept in the database under the hash of an id handed to
//! the client, for five minutes and for one use, so any node can finish what another began.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use webauthn_rs::prelude::{
    CredentialID, Passkey, PasskeyRegistration, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::mfa::{Proof, new_recovery_codes};
use super::sessions::{hash_session_id, new_session_id};
use super::{Core, Error, now};
use crate::config::Config;
use crate::store::{NewCeremony, NewPasskey, PasskeyAdded, PasskeyRow, StoreError};

/// How long a ceremony may take, from its options to its finish.
pub const CEREMONY_SECONDS: i64 = 300;
/// How long the browser waits for the authenticator: less than the ceremony, so a finish in
/// time finds its ceremony.
const AUTHENTICATOR_TIMEOUT: Duration = Duration::from_secs(240);
/// The longest name a passkey may be given.
pub const MAX_NAME_CHARS: usize = 100;

/// A refusal in a passkey ceremony.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasskeyError {
    #[error(
        "passkeys are not available on this server: its public_url has no host name (set \
         public_url to the address browsers use, or passkeys.rp_id)"
    )]
    Unavailable,
    #[error(
        "the ceremony is unknown, expired or already finished: ask for new options and let \
         the authenticator answer them within five minutes"
    )]
    CeremonyInvalid,
    #[error("this ceremony was begun by another account: ask for new options")]
    WrongAccount,
    /// A field of the finishing request that is not what it must be, named.
    #[error("{0}")]
    Malformed(String),
    #[error("the authenticator's answer does not verify ({0}): ask for new options and try again")]
    RegistrationRejected(String),
    #[error("the passkey's answer does not verify; try again, or use another way to log in")]
    Rejected,
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    #[error("no such passkey")]
    NotFound,
    #[error(
        "this account's second factor is a passkey, which a password login cannot carry: log \
         in with POST /latch/login and finish with a passkey (POST /latch/login/mfa/passkey), \
         or log in with the passkey alone (POST /latch/login/passkey, or the login page's \
         passkey button)"
    )]
    Required,
}

/// The options a browser hands to `navigator.credentials`, and the ceremony that finishes
/// them.
#[derive(Debug)]
pub struct PasskeyCeremony {
    /// Handed to the client only; stored as a hash. For a second factor, the login's token.
    pub ceremony: String,
    /// `{"publicKey": …}` as the WebAuthn library gives it.
    pub options: Value,
    pub expires_at: i64,
}

/// A registered passkey as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInfo {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<&PasskeyRow> for PasskeyInfo {
    fn from(row: &PasskeyRow) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
        }
    }
}

/// A passkey just registered, with the recovery codes if it was the first second factor.
#[derive(Debug)]
pub struct PasskeyEnrolled {
    pub passkey: PasskeyInfo,
    pub recovery_codes: Option<Vec<String>>,
}

/// The relying party: `None` when `public_url` has no host name to bind passkeys to.
pub(super) fn relying_party(config: &Config) -> Option<Webauthn> {
    let rp_id = config.passkeys.rp_id(&config.public_url)?;
    let origin = Url::parse(&config.public_url).ok()?;
    let built = WebauthnBuilder::new(&rp_id, &origin)
        .map(|b| b.rp_name(&config.site_name).timeout(AUTHENTICATOR_TIMEOUT))
        .and_then(WebauthnBuilder::build);
    match built {
        Ok(webauthn) => Some(webauthn),
        Err(e) => {
            tracing::warn!(error = %e, rp_id = %rp_id, "passkeys are off: public_url does not fit the relying party id");
            None
        }
    }
}

/// The user handle an account's passkeys carry: its UUID (or one derived from it).
pub(super) fn user_handle(account: &Account) -> Uuid {
    Uuid::parse_str(&account.uuid)
        .unwrap_or_else(|_| Uuid::new_v5(&Uuid::NAMESPACE_OID, account.uuid.as_bytes()))
}

pub(super) fn credential_key(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// A stored value the WebAuthn library reads back; failing, the row is corrupt.
pub(super) fn stored<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt(what.into()).into())
}

pub(super) fn to_text<T: serde::Serialize>(value: &T) -> String {
    // Serialising the library's own types into JSON cannot fail: they hold no maps with
    // non-string keys.
    serde_json::to_string(value).unwrap_or_default()
}

/// The client's credential JSON as the library's type: a clear refusal, never a failure.
pub(super) fn parse_credential<T: serde::de::DeserializeOwned>(
    credential: &Value,
) -> Result<T, Error> {
    if !credential.is_object() {
        return Err(PasskeyError::Malformed(
            "credential: must be the object navigator.credentials returned, as JSON".into(),
        )
        .into());
    }
    serde_json::from_value(credential.clone()).map_err(|e| {
        PasskeyError::Malformed(format!("credential: not a WebAuthn credential ({e})")).into()
    })
}

fn passkey_name(name: Option<&str>, count: usize) -> Result<String, Error> {
    let name = name.map(str::trim).unwrap_or_default();
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(PasskeyError::Malformed(format!(
            "name: at most {MAX_NAME_CHARS} characters, no control characters"
        ))
        .into());
    }
    Ok(if name.is_empty() {
        format!("Passkey {}", count + 1)
    } else {
        name.to_string()
    })
}

impl Core {
    /// Whether passkeys work here: `public_url` has a host name to bind them to.
    pub fn passkeys_available(&self) -> bool {
        self.webauthn.is_some()
    }

    pub(super) fn webauthn(&self) -> Result<&Webauthn, Error> {
        self.webauthn
            .as_ref()
            .ok_or(Error::Passkey(PasskeyError::Unavailable))
    }

    /// Stores a ceremony's state for five minutes under `id`.
    pub(super) async fn keep_ceremony(
        &self,
        id: &str,
        kind: &str,
        account_id: Option<i64>,
        state: &str,
    ) -> Result<i64, Error> {
        let now = now();
        let expires_at = now + CEREMONY_SECONDS;
        self.store
            .insert_ceremony(NewCeremony {
                id_hash: &hash_session_id(id),
                kind,
                account_id,
                state,
                now,
                expires_at,
            })
            .await?;
        Ok(expires_at)
    }

    /// The account's passkeys, oldest first.
    pub async fn passkeys(&self, account: &Account) -> Result<Vec<PasskeyInfo>, Error> {
        let rows = self.store.passkeys_of(account.id).await?;
        Ok(rows.iter().map(PasskeyInfo::from).collect())
    }

    /// Begins registering a passkey: the creation options, excluding the account's passkeys.
    pub async fn start_passkey_registration(
        &self,
        account: &Account,
    ) -> Result<PasskeyCeremony, Error> {
        let webauthn = self.webauthn()?;
        let existing = self.store.passkeys_of(account.id).await?;
        let mut exclude = Vec::new();
        for row in &existing {
            let passkey: Passkey = stored(&row.passkey, "a passkey")?;
            exclude.push(passkey.cred_id().clone());
        }
        let exclude: Option<Vec<CredentialID>> = (!exclude.is_empty()).then_some(exclude);
        let (options, state) = webauthn
            .start_passkey_registration(user_handle(account), &account.name, &account.name, exclude)
            .map_err(|e| PasskeyError::RegistrationRejected(e.to_string()))?;
        let mut options = serde_json::to_value(&options).unwrap_or_default();
        // A passkey must be discoverable to log in without a name: ask the authenticator to
        // keep it (the library leaves that to the caller; it does not check it).
        if let Some(selection) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(Value::as_object_mut)
        {
            selection.insert("residentKey".into(), "required".into());
            selection.insert("requireResidentKey".into(), true.into());
        }
        let ceremony = new_session_id();
        let expires_at = self
            .keep_ceremony(&ceremony, "register", Some(account.id), &to_text(&state))
            .await?;
        Ok(PasskeyCeremony {
            ceremony,
            options,
            expires_at,
        })
    }

    /// Finishes registering a passkey with the authenticator's answer. The account's first
    /// second factor comes with new recovery codes, shown this once.
    pub async fn finish_passkey_registration(
        &self,
        account: &Account,
        ceremony: &str,
        name: Option<&str>,
        credential: &Value,
        client: &ClientContext,
    ) -> Result<PasskeyEnrolled, Error> {
        let webauthn = self.webauthn()?;
        let count = self.store.passkey_count(account.id).await?;
        let name = passkey_name(name, usize::try_from(count).unwrap_or(0))?;
        let credential: RegisterPublicKeyCredential = parse_credential(credential)?;
        let Some(row) = self
            .store
            .take_ceremony(&hash_session_id(ceremony), "register", now())
            .await?
        else {
            return Err(PasskeyError::CeremonyInvalid.into());
        };
        if row.account_id != Some(account.id) {
            return Err(PasskeyError::WrongAccount.into());
        }
        let state: PasskeyRegistration = stored(&row.state, "a passkey ceremony")?;
        let passkey = webauthn
            .finish_passkey_registration(&credential, &state)
            .map_err(|e| PasskeyError::RegistrationRejected(e.to_string()))?;
        let codes = new_recovery_codes();
        let now = now();
        let added = self
            .store
            .add_passkey(
                NewPasskey {
                    account_id: account.id,
                    credential_id: &credential_key(passkey.cred_id().as_ref()),
                    name: &name,
                    passkey: &to_text(&passkey),
                    now,
                },
                &codes.hashes,
            )
            .await?;
        let PasskeyAdded::Added { id, first_factor } = added else {
            return Err(PasskeyError::AlreadyRegistered.into());
        };
        let subject = Subject::Account(account);
        self.record_audit(AuditEvent::MfaEnrolled, subject, client, Some("passkey"))
            .await;
        Ok(PasskeyEnrolled {
            passkey: PasskeyInfo {
                id,
                name,
                created_at: now,
                last_used_at: None,
            },
            recovery_codes: first_factor.then_some(codes.codes),
        })
    }

    /// Removes one of the account's passkeys, proven by a current code (TOTP or recovery
    /// code) or the password.
    pub async fn remove_passkey(
        &self,
        account: &Account,
        id: i64,
        proof: Proof<'_>,
        client: &ClientContext,
    ) -> Result<(), Error> {
        let owned = self.store.passkeys_of(account.id).await?;
        if !owned.iter().any(|row| row.id == id) {
            return Err(PasskeyError::NotFound.into());
        }
        self.prove_holder(account, proof, client).await?;
        if !self.store.delete_passkey(account.id, id).await? {
            return Err(PasskeyError::NotFound.into());
        }
        let subject = Subject::Account(account);
        self.record_audit(AuditEvent::MfaRemoved, subject, client, Some("passkey"))
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
