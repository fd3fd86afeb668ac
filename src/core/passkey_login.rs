//! Logging in with a passkey: alone, as a discoverable credential the authenticator picks
//! (`start_passkey_login`, `finish_passkey_login`), or as the second factor of a login whose
//! password was right (`start_passkey_second_factor`, `finish_login_with_passkey`).
//!
//! A failed answer counts in flood control as a wrong password (by address) does; once the
//! account is known, also as a wrong second-factor code (by account).

use serde_json::Value;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyAuthentication,
    PublicKeyCredential,
};

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::flood::IP_EVENT;
use super::passkeys::{
    PasskeyCeremony, PasskeyError, credential_key, parse_credential, stored, to_text, user_handle,
};
use super::sessions::{LoggedIn, hash_session_id, new_session_id};
use super::{Core, CurrentSession, Error, later, now};
use crate::store::PasskeyRow;

const METHOD: &str = "passkey";

fn options_of(options: &impl serde::Serialize) -> Value {
    let mut options = serde_json::to_value(options).unwrap_or_default();
    // The library asks for conditional mediation (autofill); latch's button asks at once.
    if let Some(object) = options.as_object_mut() {
        object.remove("mediation");
    }
    options
}

impl Core {
    /// Begins a login with a passkey alone: request options with no credentials listed, so
    /// the authenticator offers the passkeys it holds for this site.
    pub async fn start_passkey_login(&self) -> Result<PasskeyCeremony, Error> {
        let (options, state) = self
            .webauthn()?
            .start_discoverable_authentication()
            .map_err(|_| PasskeyError::Rejected)?;
        let ceremony = new_session_id();
        let expires_at = self
            .keep_ceremony(&ceremony, "login", None, &to_text(&state))
            .await?;
        Ok(PasskeyCeremony {
            ceremony,
            options: options_of(&options),
            expires_at,
        })
    }

    /// Finishes a login with a passkey alone and opens a session, replacing `previous` if
    /// given, as a password login does.
    pub async fn finish_passkey_login(
        &self,
        ceremony: &str,
        credential: &Value,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoggedIn, Error> {
        let result = self
            .check_passkey_login(ceremony, credential, client, previous)
            .await;
        self.after_passkey_login(&result, client).await;
        result
    }

    async fn check_passkey_login(
        &self,
        ceremony: &str,
        credential: &Value,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoggedIn, Error> {
        let webauthn = self.webauthn()?;
        self.check_ip_flood(client.ip).await?;
        let credential: PublicKeyCredential = parse_credential(credential)?;
        let Some(row) = self
            .store
            .take_ceremony(&hash_session_id(ceremony), "login", now())
            .await?
        else {
            return Err(PasskeyError::CeremonyInvalid.into());
        };
        let state: DiscoverableAuthentication = stored(&row.state, "a passkey ceremony")?;
        let key = credential_key(credential.get_credential_id());
        let found = self.store.passkey_by_credential(&key).await?;
        let account = match &found {
            Some(row) => self.store.account_by_id(row.account_id).await?,
            None => None,
        };
        let (Some(row), Some(account)) = (found, account) else {
            self.failed_passkey(None, client).await?;
            return Err(PasskeyError::Rejected.into());
        };
        self.check_code_flood(&account, client.ip).await?;
        let handle = credential.get_user_unique_id();
        let mut passkey: Passkey = stored(&row.passkey, "a passkey")?;
        let verified = match handle {
            Some(handle) if handle == user_handle(&account).as_bytes() => webauthn
                .finish_discoverable_authentication(
                    &credential,
                    state,
                    &[DiscoverableKey::from(&passkey)],
                )
                .ok(),
            _ => None,
        };
        let Some(result) = verified else {
            self.failed_passkey(Some(&account), client).await?;
            return Err(PasskeyError::Rejected.into());
        };
        passkey.update_credential(&result);
        self.passkey_passed(&account, &row, &passkey).await?;
        self.open_session(account, client, previous, None).await
    }

    async fn after_passkey_login(&self, result: &Result<LoggedIn, Error>, client: &ClientContext) {
        let outcome = match result {
            Ok(_) => "success",
            Err(Error::Passkey(PasskeyError::Rejected)) => "bad_credentials",
            Err(Error::Flooded { .. }) => "flooded",
            Err(Error::AccountInactive) => "inactive",
            Err(_) => "error",
        };
        super::meters::login(client.dialect, outcome);
        match result {
            Ok(logged_in) => {
                let subject = Subject::Account(&logged_in.account);
                self.record_audit(AuditEvent::LoginSucceeded, subject, client, Some(METHOD))
                    .await;
            }
            Err(Error::Flooded { .. }) => {
                super::meters::flood_block("login");
                self.record_audit(
                    AuditEvent::FloodBlocked,
                    Subject::Nobody,
                    client,
                    Some(METHOD),
                )
                .await;
            }
            Err(_) => {}
        }
    }

    /// Begins finishing a waiting login (`token` of [`Self::begin_login`]) with a passkey:
    /// request options listing the account's passkeys. The token names the ceremony.
    pub async fn start_passkey_second_factor(&self, token: &str) -> Result<PasskeyCeremony, Error> {
        let webauthn = self.webauthn()?;
        let account = self.pending_account(token).await?;
        let rows = self.store.passkeys_of(account.id).await?;
        if rows.is_empty() {
            return Err(Error::MfaNotEnrolled);
        }
        let mut passkeys = Vec::with_capacity(rows.len());
        for row in &rows {
            passkeys.push(stored::<Passkey>(&row.passkey, "a passkey")?);
        }
        let (options, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|_| PasskeyError::Rejected)?;
        let expires_at = self
            .keep_ceremony(token, "mfa", Some(account.id), &to_text(&state))
            .await?;
        Ok(PasskeyCeremony {
            ceremony: token.to_string(),
            options: options_of(&options),
            expires_at,
        })
    }

    /// Finishes a waiting login with the answer to [`Self::start_passkey_second_factor`]'s
    /// options.
    pub async fn finish_login_with_passkey(
        &self,
        token: &str,
        credential: &Value,
        client: &ClientContext,
    ) -> Result<LoggedIn, Error> {
        let result = self.check_passkey_factor(token, credential, client).await;
        self.after_passkey_login(&result, client).await;
        result
    }

    async fn check_passkey_factor(
        &self,
        token: &str,
        credential: &Value,
        client: &ClientContext,
    ) -> Result<LoggedIn, Error> {
        let webauthn = self.webauthn()?;
        self.check_ip_flood(client.ip).await?;
        let account = self.pending_account(token).await?;
        if !account.is_active() {
            return Err(Error::AccountInactive);
        }
        self.check_code_flood(&account, client.ip).await?;
        let credential: PublicKeyCredential = parse_credential(credential)?;
        let hash = hash_session_id(token);
        let Some(ceremony) = self.store.take_ceremony(&hash, "mfa", now()).await? else {
            return Err(PasskeyError::CeremonyInvalid.into());
        };
        let state: PasskeyAuthentication = stored(&ceremony.state, "a passkey ceremony")?;
        let key = credential_key(credential.get_credential_id());
        let found =
            self.store.passkey_by_credential(&key).await?.filter(|row| {
                row.account_id == account.id && ceremony.account_id == Some(account.id)
            });
        let verified = match &found {
            Some(_) => webauthn
                .finish_passkey_authentication(&credential, &state)
                .ok(),
            None => None,
        };
        let (Some(row), Some(result)) = (found, verified) else {
            self.failed_passkey(Some(&account), client).await?;
            return Err(PasskeyError::Rejected.into());
        };
        let mut passkey: Passkey = stored(&row.passkey, "a passkey")?;
        passkey.update_credential(&result);
        self.passkey_passed(&account, &row, &passkey).await?;
        if !self.store.take_pending_login(&hash, now()).await? {
            return Err(Error::LoginTokenInvalid);
        }
        self.open_session(account, client, None, None).await
    }

    /// The account of a live waiting login.
    async fn pending_account(&self, token: &str) -> Result<Account, Error> {
        let hash = hash_session_id(token);
        let Some(account_id) = self.store.pending_login(&hash, now()).await? else {
            return Err(Error::LoginTokenInvalid);
        };
        self.store
            .account_by_id(account_id)
            .await?
            .ok_or(Error::LoginTokenInvalid)
    }

    async fn passkey_passed(
        &self,
        account: &Account,
        row: &PasskeyRow,
        passkey: &Passkey,
    ) -> Result<(), Error> {
        self.store
            .passkey_used(row.id, &to_text(passkey), now())
            .await?;
        self.second_factor_passed(account).await
    }

    /// Counts a failed passkey answer: by account if the passkey was one, else by address
    /// alone, as a failed login by an unknown name is.
    async fn failed_passkey(
        &self,
        account: Option<&Account>,
        client: &ClientContext,
    ) -> Result<(), Error> {
        if let Some(account) = account {
            return self.failed_code(account, client, Some(METHOD)).await;
        }
        self.record_audit(
            AuditEvent::LoginFailed,
            Subject::Nobody,
            client,
            Some(METHOD),
        )
        .await;
        let config = self.flood.config();
        if config.enabled {
            let now = now();
            let ip = self.flood.ip_identifier(client.ip);
            self.store
                .register_flood(IP_EVENT, &ip, now, later(now, config.ip_window))
                .await?;
        }
        Ok(())
    }
}
