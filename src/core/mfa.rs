//! Second factors: a TOTP authenticator app and passkeys (see [`super::passkeys`]), with
//! single-use recovery codes for when they are lost. Enrolment, removal, and checking a code
//! at login.
//!
//! Wrong codes count in flood control per account, from every address together (whoever
//! sends codes already holds the password), and against the client's address as failed logins
//! do, so a code cannot be guessed however many logins start.

use std::net::IpAddr;

use secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::flood::{FloodScope, IP_EVENT};
use super::{Core, Error, later, now, totp};

/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// The flood event of a wrong second-factor code or passkey answer, counted per account.
pub(super) const CODE_EVENT: &str = "latch.failed_mfa_code";

/// What an account has enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaStatus {
    /// When TOTP was confirmed; `None` without it (or while enrolment waits for a code).
    pub totp_since: Option<i64>,
    pub totp_pending: bool,
    /// How many passkeys the account has.
    pub passkeys: i64,
    pub recovery_codes_left: i64,
}

impl MfaStatus {
    pub fn enrolled(&self) -> bool {
        self.totp_since.is_some() || self.passkeys > 0
    }

    /// The ways to finish a login (`totp`, `passkey`, `recovery_code`), empty without a
    /// second factor.
    pub fn methods(&self) -> Vec<&'static str> {
        let mut methods = Vec::new();
        if self.totp_since.is_some() {
            methods.push("totp");
        }
        if self.passkeys > 0 {
            methods.push("passkey");
        }
        if self.enrolled() {
            methods.push("recovery_code");
        }
        methods
    }
}

/// Fresh recovery codes, to show once, and their hashes, to store.
pub(super) struct RecoveryCodes {
    pub codes: Vec<String>,
    pub hashes: Vec<String>,
}

pub(super) fn new_recovery_codes() -> RecoveryCodes {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes = codes.iter().map(|c| hash_recovery_code(c)).collect();
    RecoveryCodes { codes, hashes }
}

/// A TOTP secret waiting for its first code, as shown once to the user.
#[derive(Debug)]
pub struct TotpEnrolment {
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// What proves the holder when a second factor is removed.
#[derive(Debug)]
pub enum Proof<'a> {
    Code(&'a str),
    Password(&'a SecretString),
}

/// A recovery code as the user types it: letters and digits only, any case.
fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn hash_recovery_code(code: &str) -> String {
    let digest = Sha256::digest(normalise_recovery_code(code).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh recovery code: 50 random bits as ten base32 characters, `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 8];
    rand::fill(&mut bytes);
    let text = totp::base32(&bytes).to_ascii_lowercase();
    format!("{}-{}", &text[..5], &text[5..10])
}

impl Core {
    /// What the account has enrolled.
    pub async fn mfa_status(&self, account: &Account) -> Result<MfaStatus, Error> {
        let counts = self.store.mfa_counts(account.id).await?;
        Ok(MfaStatus {
            totp_since: counts.totp_confirmed_at,
            totp_pending: counts.totp && counts.totp_confirmed_at.is_none(),
            passkeys: counts.passkeys,
            recovery_codes_left: counts.recovery_codes_left,
        })
    }

    /// Starts TOTP enrolment with a new secret (replacing one still waiting for its code).
    /// Fails with [`Error::MfaAlreadyEnrolled`] if the account has TOTP.
    pub async fn start_totp(&self, account: &Account) -> Result<TotpEnrolment, Error> {
        let mut bytes = [0u8; totp::SECRET_BYTES];
        rand::fill(&mut bytes);
        let secret = totp::base32(&bytes);
        if !self.store.start_totp(account.id, &secret, now()).await? {
            return Err(Error::MfaAlreadyEnrolled);
        }
        let otpauth_uri = totp::otpauth_uri(&self.site_name, &account.name, &secret);
        let qr_svg = totp::qr_svg(&otpauth_uri);
        Ok(TotpEnrolment {
            secret,
            otpauth_uri,
            qr_svg,
        })
    }

    /// Confirms TOTP enrolment with a code from the app; returns the new recovery codes,
    /// which are shown this once and stored only hashed.
    pub async fn confirm_totp(
        &self,
        account: &Account,
        code: &str,
        client: &ClientContext,
    ) -> Result<Vec<String>, Error> {
        let Some(row) = self.store.totp_of(account.id).await? else {
            return Err(Error::MfaNotEnrolled);
        };
        if row.confirmed_at.is_some() {
            return Err(Error::MfaAlreadyEnrolled);
        }
        self.check_code_flood(account, client.ip).await?;
        let secret = totp::base32_decode(&row.secret)
            .ok_or_else(|| crate::store::StoreError::Corrupt("a TOTP secret".into()))?;
        let code = code.trim();
        let Some(step) = totp::matching_step(&secret, code, now()) else {
            self.failed_code(account, client, None).await?;
            return Err(Error::SecondFactorInvalid);
        };
        let RecoveryCodes { codes, hashes } = new_recovery_codes();
        let confirmed = self
            .store
            .confirm_totp(account.id, &row.secret, step, &hashes, now())
            .await?;
        if !confirmed {
            // Replaced or confirmed by a concurrent request.
            return Err(Error::SecondFactorInvalid);
        }
        self.record_audit(
            AuditEvent::MfaEnrolled,
            Subject::Account(account),
            client,
            Some("totp"),
        )
        .await;
        Ok(codes)
    }

    /// Removes the account's TOTP, proven by a current code or the password. The recovery
    /// codes go too unless a passkey remains.
    pub async fn remove_totp(
        &self,
        account: &Account,
        proof: Proof<'_>,
        client: &ClientContext,
    ) -> Result<(), Error> {
        let status = self.mfa_status(account).await?;
        if status.totp_since.is_none() && !status.totp_pending {
            return Err(Error::MfaNotEnrolled);
        }
        self.prove_holder(account, proof, client).await?;
        if self.store.delete_totp(account.id).await? {
            self.record_audit(
                AuditEvent::MfaRemoved,
                Subject::Account(account),
                client,
                Some("totp"),
            )
            .await;
        }
        Ok(())
    }

    /// Checks the proof that the account's holder asks to remove a second factor: a current
    /// second-factor code (if the account has a second factor), or the password.
    pub(super) async fn prove_holder(
        &self,
        account: &Account,
        proof: Proof<'_>,
        client: &ClientContext,
    ) -> Result<(), Error> {
        let status = self.mfa_status(account).await?;
        match proof {
            Proof::Code(code) if status.enrolled() => {
                self.check_second_factor(account, code, client).await?
            }
            Proof::Code(_) => return Err(Error::SecondFactorInvalid),
            Proof::Password(password) => {
                if !self
                    .prove_password(account, Some(password), client.ip)
                    .await?
                {
                    return Err(Error::BadCredentials);
                }
            }
        }
        Ok(())
    }

    /// Removes every second factor of the account (the operator's `latch user mfa-reset`);
    /// returns whether it had one.
    pub async fn reset_mfa(
        &self,
        account: &Account,
        client: &ClientContext,
    ) -> Result<bool, Error> {
        let had = self.store.delete_mfa(account.id).await?;
        if had {
            self.record_audit(
                AuditEvent::MfaRemoved,
                Subject::Account(account),
                client,
                Some("all"),
            )
            .await;
        }
        Ok(had)
    }

    /// Checks a second-factor code of an account that has one: a TOTP code (six digits,
    /// refused once used) or an unused recovery code (used up here). A wrong code counts in
    /// flood control and is audited.
    pub(super) async fn check_second_factor(
        &self,
        account: &Account,
        code: &str,
        client: &ClientContext,
    ) -> Result<(), Error> {
        self.check_code_flood(account, client.ip).await?;
        let code = code.trim();
        let accepted = if totp::looks_like_code(code) {
            match self.store.totp_of(account.id).await? {
                Some(row) if row.confirmed_at.is_some() => {
                    let secret = totp::base32_decode(&row.secret).unwrap_or_default();
                    match totp::matching_step(&secret, code, now()) {
                        Some(step) => self.store.use_totp_step(account.id, step).await?,
                        None => false,
                    }
                }
                _ => false,
            }
        } else if normalise_recovery_code(code).len() == 10 {
            let used = self
                .store
                .use_recovery_code(account.id, &hash_recovery_code(code), now())
                .await?;
            if used {
                self.record_audit(
                    AuditEvent::RecoveryCodeUsed,
                    Subject::Account(account),
                    client,
                    None,
                )
                .await;
            }
            used
        } else {
            false
        };
        if !accepted {
            self.failed_code(account, client, None).await?;
            return Err(Error::SecondFactorInvalid);
        }
        self.second_factor_passed(account).await
    }

    /// Clears the account's count of wrong second factors once one passed.
    pub(super) async fn second_factor_passed(&self, account: &Account) -> Result<(), Error> {
        if self.flood.config().enabled {
            self.store
                .clear_flood(CODE_EVENT, &account.id.to_string())
                .await?;
        }
        Ok(())
    }

    pub(super) async fn check_code_flood(
        &self,
        account: &Account,
        ip: Option<IpAddr>,
    ) -> Result<(), Error> {
        self.check_ip_flood(ip).await?;
        let config = self.flood.config();
        if !config.enabled {
            return Ok(());
        }
        let blocked = self
            .blocked_for(
                CODE_EVENT,
                &account.id.to_string(),
                config.user_limit,
                config.user_window,
            )
            .await?;
        match blocked {
            Some(retry_after) => Err(Error::Flooded {
                scope: FloodScope::Account {
                    uid_only: true,
                    limit: config.user_limit,
                },
                retry_after,
            }),
            None => Ok(()),
        }
    }

    /// Counts a wrong second factor (`detail` names a method other than a code) in flood
    /// control, and audits it.
    pub(super) async fn failed_code(
        &self,
        account: &Account,
        client: &ClientContext,
        detail: Option<&str>,
    ) -> Result<(), Error> {
        self.record_audit(
            AuditEvent::MfaCodeFailed,
            Subject::Account(account),
            client,
            detail,
        )
        .await;
        let config = self.flood.config();
        if !config.enabled {
            return Ok(());
        }
        let now = now();
        let ip = self.flood.ip_identifier(client.ip);
        self.store
            .register_flood(IP_EVENT, &ip, now, later(now, config.ip_window))
            .await?;
        self.store
            .register_flood(
                CODE_EVENT,
                &account.id.to_string(),
                now,
                later(now, config.user_window),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_random_and_read_in_any_case_and_spacing() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_ne!(code, new_recovery_code());
        let typed = code.to_uppercase().replace('-', " ");
        assert_eq!(hash_recovery_code(&typed), hash_recovery_code(&code));
        assert_eq!(normalise_recovery_code(&code).len(), 10);
    }
}
