//! Logging in with a name (or mail address) and password, and, for an account with a second
//! factor, its code: inline with the password (`Core::login`), or in a second step with a
//! short-lived token (`Core::begin_login`, then `Core::finish_login`).

use secrecy::SecretString;

use super::accounts::Account;
use super::audit::{AuditEvent, ClientContext, Subject};
use super::flood::Claimant;
use super::passkeys::PasskeyError;
use super::passwords::{MAX_PASSWORD_BYTES, Verification};
use super::sessions::{LoggedIn, hash_session_id, new_session_id};
use super::{Core, CurrentSession, Error, now};

/// How long a login whose password was right waits for its second factor.
pub const PENDING_LOGIN_SECONDS: i64 = 300;

/// What a login names the account by.
#[derive(Debug, Clone, Copy)]
pub enum LoginName<'a> {
    Name(&'a str),
    Mail(&'a str),
}

impl<'a> LoginName<'a> {
    fn text(self) -> &'a str {
        match self {
            LoginName::Name(text) | LoginName::Mail(text) => text,
        }
    }
}

/// Where a login is after the password.
#[derive(Debug)]
pub enum LoginStep {
    /// Logged in: the account has no second factor.
    Done(Box<LoggedIn>),
    /// The password was right; the account's second factor is due with this token.
    SecondFactor(PendingLogin),
}

/// A login waiting for its second factor.
#[derive(Debug)]
pub struct PendingLogin {
    /// Handed to the client only; stored as a hash.
    pub token: String,
    pub expires_at: i64,
    pub methods: Vec<&'static str>,
}

/// What a name and password (and an inline code) proved.
enum Checked {
    Account(Box<Account>),
    Pending(PendingLogin),
}

/// How the second factor comes, if the account has one.
#[derive(Clone, Copy)]
enum SecondFactor<'a> {
    /// With the password, or not at all.
    Inline(Option<&'a str>),
    /// In a second request.
    Later,
}

/// A login's result as its metric names it.
fn login_result(result: &Result<LoginStep, Error>) -> &'static str {
    match result {
        Ok(LoginStep::Done(_)) => "success",
        Ok(LoginStep::SecondFactor(_))
        | Err(Error::SecondFactorRequired | Error::Passkey(PasskeyError::Required)) => {
            "second_factor"
        }
        Err(error) => error_result(error),
    }
}

/// The audit event of a login's outcome (the account logged in, or none yet while its second
/// factor is due), if it has one.
fn login_event<'a>(
    outcome: Result<Option<&'a Account>, &Error>,
    name: &'a str,
) -> Option<(AuditEvent, Subject<'a>)> {
    match outcome {
        Ok(Some(account)) => Some((AuditEvent::LoginSucceeded, Subject::Account(account))),
        Ok(None) => None,
        Err(Error::BadCredentials | Error::AccountInactive) => {
            Some((AuditEvent::LoginFailed, Subject::Name(name)))
        }
        Err(Error::Flooded { .. }) => Some((AuditEvent::FloodBlocked, Subject::Name(name))),
        Err(_) => None,
    }
}

fn error_result(error: &Error) -> &'static str {
    match error {
        Error::BadCredentials | Error::LoginTokenInvalid => "bad_credentials",
        Error::SecondFactorInvalid => "bad_code",
        Error::AccountInactive => "inactive",
        Error::Flooded { .. } => "flooded",
        _ => "error",
    }
}

impl Core {
    /// Checks a name and password (and, if the account has a second factor, `code`) and
    /// opens a new session, replacing `previous` if given.
    ///
    /// Unknown names cost the same hashing work as wrong passwords, fail and lock under flood
    /// control as an account does, and an inactive account, or one with a second factor, is
    /// reported only to a caller who knows its password, so none of it reveals which accounts
    /// exist or are blocked. Flood control comes first: a client IP over its limit is refused
    /// before any lookup, and a name over its limit before any hashing. An account with a
    /// second factor and no `code` fails with [`Error::SecondFactorRequired`].
    pub async fn login(
        &self,
        login: LoginName<'_>,
        password: &SecretString,
        code: Option<&str>,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoggedIn, Error> {
        let inline = SecondFactor::Inline(code);
        match self
            .login_as(login, password, inline, client, previous)
            .await?
        {
            LoginStep::Done(logged_in) => Ok(*logged_in),
            LoginStep::SecondFactor(_) => Err(Error::SecondFactorRequired),
        }
    }

    /// The first step of a two-step login: a session for an account without a second factor,
    /// otherwise a token to finish the login with [`Self::finish_login`].
    pub async fn begin_login(
        &self,
        login: LoginName<'_>,
        password: &SecretString,
        client: &ClientContext,
    ) -> Result<LoginStep, Error> {
        self.login_as(login, password, SecondFactor::Later, client, None)
            .await
    }

    /// Checks a name and password (and, if the account has a second factor, `code`) as
    /// [`Self::login`] does, with the same flood control and audit, but opens no session: for
    /// a client that trades them for a token.
    pub async fn verify_login(
        &self,
        login: LoginName<'_>,
        password: &SecretString,
        code: Option<&str>,
        client: &ClientContext,
    ) -> Result<Account, Error> {
        let result = match self
            .check_credentials(login, password, SecondFactor::Inline(code), client)
            .await
        {
            Ok(Checked::Account(account)) => Ok(*account),
            Ok(Checked::Pending(_)) => Err(Error::SecondFactorRequired),
            Err(error) => Err(error),
        };
        super::meters::login(
            client.dialect,
            result.as_ref().map_or_else(error_result, |_| "success"),
        );
        if let Some((event, subject)) = login_event(result.as_ref().map(Some), login.text()) {
            self.record_audit(event, subject, client, Some("no session"))
                .await;
        }
        result
    }

    /// The second step: the token of [`Self::begin_login`] and a code. The token is good
    /// for one login within five minutes; wrong codes count in flood control.
    pub async fn finish_login(
        &self,
        token: &str,
        code: &str,
        client: &ClientContext,
    ) -> Result<LoggedIn, Error> {
        let result = self.check_pending_login(token, code, client).await;
        let outcome = result.as_ref().map_or_else(error_result, |_| "success");
        super::meters::login(client.dialect, outcome);
        if let Ok(logged_in) = &result {
            let subject = Subject::Account(&logged_in.account);
            self.record_audit(
                AuditEvent::LoginSucceeded,
                subject,
                client,
                Some("second factor"),
            )
            .await;
        }
        result
    }

    /// The second factors a waiting login (`token` of [`Self::begin_login`]) can be finished
    /// with (`totp`, `passkey`, `recovery_code`), without using it up: for clients that ask
    /// where a login stands. [`Error::LoginTokenInvalid`] once it is used or has expired.
    pub async fn pending_login_methods(&self, token: &str) -> Result<Vec<&'static str>, Error> {
        let hash = hash_session_id(token);
        let Some(account_id) = self.store.pending_login(&hash, now()).await? else {
            return Err(Error::LoginTokenInvalid);
        };
        let Some(account) = self.store.account_by_id(account_id).await? else {
            return Err(Error::LoginTokenInvalid);
        };
        Ok(self.mfa_status(&account).await?.methods())
    }

    async fn check_pending_login(
        &self,
        token: &str,
        code: &str,
        client: &ClientContext,
    ) -> Result<LoggedIn, Error> {
        self.check_ip_flood(client.ip).await?;
        let hash = hash_session_id(token);
        let Some(account_id) = self.store.pending_login(&hash, now()).await? else {
            return Err(Error::LoginTokenInvalid);
        };
        let Some(account) = self.store.account_by_id(account_id).await? else {
            return Err(Error::LoginTokenInvalid);
        };
        if !account.is_active() {
            return Err(Error::AccountInactive);
        }
        self.check_second_factor(&account, code, client).await?;
        if !self.store.take_pending_login(&hash, now()).await? {
            return Err(Error::LoginTokenInvalid);
        }
        self.open_session(account, client, None, None).await
    }

    async fn login_as(
        &self,
        login: LoginName<'_>,
        password: &SecretString,
        second: SecondFactor<'_>,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoginStep, Error> {
        let result = self
            .check_login(login, password, second, client, previous)
            .await;
        super::meters::login(client.dialect, login_result(&result));
        if let Err(Error::Flooded { .. }) = &result {
            super::meters::flood_block("login");
        }
        let outcome = match &result {
            Ok(LoginStep::Done(logged_in)) => Ok(Some(&logged_in.account)),
            Ok(LoginStep::SecondFactor(_)) => Ok(None),
            Err(error) => Err(error),
        };
        if let Some((event, subject)) = login_event(outcome, login.text()) {
            self.record_audit(event, subject, client, None).await;
        }
        result
    }

    async fn check_login(
        &self,
        login: LoginName<'_>,
        password: &SecretString,
        second: SecondFactor<'_>,
        client: &ClientContext,
        previous: Option<&CurrentSession>,
    ) -> Result<LoginStep, Error> {
        match self
            .check_credentials(login, password, second, client)
            .await?
        {
            Checked::Pending(pending) => Ok(LoginStep::SecondFactor(pending)),
            Checked::Account(account) => {
                let logged_in = self.open_session(*account, client, previous, None).await?;
                Ok(LoginStep::Done(Box::new(logged_in)))
            }
        }
    }

    /// The password's (and an inline code's) verdict, before any session: flood control,
    /// the hash check and its upgrade, the account's state and its second factor.
    async fn check_credentials(
        &self,
        login: LoginName<'_>,
        password: &SecretString,
        second: SecondFactor<'_>,
        client: &ClientContext,
    ) -> Result<Checked, Error> {
        use secrecy::ExposeSecret;
        let client_ip = client.ip;
        self.check_ip_flood(client_ip).await?;
        let account = match login {
            LoginName::Name(name) => self.store.account_by_name(name).await?,
            LoginName::Mail(mail) => self.store.account_by_mail(mail).await?,
        };
        let claimant = match (&account, login) {
            (Some(account), _) => Claimant::Account(account),
            (None, LoginName::Name(name)) => Claimant::Name(name),
            (None, LoginName::Mail(mail)) => Claimant::Mail(mail),
        };
        self.check_account_flood(claimant, client_ip).await?;
        let verification = if password.expose_secret().len() > MAX_PASSWORD_BYTES {
            Verification::Mismatch
        } else {
            let stored = account.as_ref().and_then(|a| a.password_hash.as_deref());
            self.passwords.verify(password, stored).await?
        };
        let (mut account, needs_rehash) = match (account.as_ref(), verification) {
            (Some(account), Verification::Match { needs_rehash }) => {
                (account.clone(), needs_rehash)
            }
            (local, _) => match self
                .login_through_legacy(login, local, password, client)
                .await?
            {
                Some(migrated) => (migrated, false),
                None => {
                    self.register_failed_login(claimant, client_ip).await?;
                    return Err(Error::BadCredentials);
                }
            },
        };
        if !account.is_active() {
            return Err(Error::AccountInactive);
        }
        if needs_rehash && let Some(old) = account.password_hash.clone() {
            let new = self.passwords.hash(password).await?;
            self.store
                .upgrade_password_hash(account.id, &old, &new)
                .await?;
            self.sessions_changed(account.id);
            account.password_hash = Some(new);
        }
        self.clear_account_flood(&account, client_ip).await?;
        let status = self.mfa_status(&account).await?;
        if status.enrolled() {
            match second {
                // Only a code can come with the password.
                SecondFactor::Inline(None) if status.totp_since.is_none() => {
                    return Err(PasskeyError::Required.into());
                }
                SecondFactor::Inline(None) => return Err(Error::SecondFactorRequired),
                SecondFactor::Inline(Some(code)) => {
                    self.check_second_factor(&account, code, client).await?;
                }
                SecondFactor::Later => {
                    let token = new_session_id();
                    let now = now();
                    let expires_at = now + PENDING_LOGIN_SECONDS;
                    self.store
                        .insert_pending_login(&hash_session_id(&token), account.id, now, expires_at)
                        .await?;
                    return Ok(Checked::Pending(PendingLogin {
                        token,
                        expires_at,
                        methods: status.methods(),
                    }));
                }
            }
        }
        Ok(Checked::Account(Box::new(account)))
    }
}
