//! `latch user …`: account administration on the server's database.

use std::io::Read;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::core::accounts::{AccountState, Violation};
use crate::core::{Core, Error, Registrar, Registration};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; prints a generated password unless one is given.
    Add {
        name: String,
        #[arg(long)]
        mail: Option<String>,
        #[command(flatten)]
        password: PasswordSource,
        /// A role beyond `authenticated` (repeatable), e.g. administrator.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Mail the new account holder a one-time login link.
        #[arg(long)]
        notify: bool,
    },
    /// List every account.
    List,
    /// Count accounts by password hash format and cost, marking those below the policy.
    Hashes,
    /// Block an account and end its sessions.
    Block { name: String },
    /// Unblock an account.
    Unblock { name: String },
    /// Activate an account that awaits approval, and tell its holder.
    Approve { name: String },
    /// Delete an account and its sessions.
    Delete { name: String },
    /// Set a new password and end every session of the account.
    SetPassword {
        name: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Show the account's second factors.
    Mfa { name: String },
    /// Remove the account's second factors (a holder who lost the app and the recovery
    /// codes); recorded in the audit trail.
    MfaReset { name: String },
}

#[derive(Args)]
pub struct PasswordSource {
    /// The password (visible in the process list; prefer --password-stdin).
    #[arg(long, conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    password_stdin: bool,
}

impl PasswordSource {
    /// The chosen password, or a generated one to print (`true`).
    fn resolve(&self) -> anyhow::Result<(SecretString, bool)> {
        if let Some(password) = &self.password {
            return Ok((SecretString::from(password.clone()), false));
        }
        if self.password_stdin {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the password from stdin")?;
            let password = text.strip_suffix('\n').unwrap_or(&text);
            let password = password.strip_suffix('\r').unwrap_or(password);
            return Ok((SecretString::from(password.to_string()), false));
        }
        let mut bytes = [0u8; 18];
        rand::fill(&mut bytes);
        Ok((SecretString::from(URL_SAFE_NO_PAD.encode(bytes)), true))
    }
}

pub async fn run(command: UserCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = execute(&core, command).await;
    core.store().close().await;
    result
}

async fn execute(core: &Core, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            name,
            mail,
            password,
            roles,
            notify,
        } => {
            let (password, generated) = password.resolve()?;
            let registration = Registration {
                name: name.clone(),
                mail,
                password: Some(password.clone()),
                state: Some(AccountState::Active),
                roles,
                ..Registration::default()
            };
            let account = core
                .register(registration, Registrar::Administrator { notify })
                .await
                .map_err(explain)?;
            println!("Created account {} (uid {}).", account.name, account.id);
            if generated {
                println!("Password: {}", password.expose_secret());
            }
        }
        UserCommand::List => {
            println!(
                "{:>6}  {:<24} {:<32} {:<8} ROLES",
                "UID", "NAME", "MAIL", "STATE"
            );
            for account in core.list_accounts().await? {
                println!(
                    "{:>6}  {:<24} {:<32} {:<8} {}",
                    account.id,
                    account.name,
                    account.mail.as_deref().unwrap_or("-"),
                    account.state.as_str(),
                    account.all_roles().join(",")
                );
            }
        }
        UserCommand::Hashes => {
            println!("{:>8}  FORMAT", "ACCOUNTS");
            for (format, current, count) in core.hash_formats().await? {
                let note = if current {
                    ""
                } else {
                    "  (upgraded at next login)"
                };
                println!("{count:>8}  {format}{note}");
            }
        }
        UserCommand::Block { name } => {
            core.set_account_state(&name, AccountState::Blocked)
                .await
                .map_err(explain)?;
            println!("Blocked {name}; its sessions have ended.");
        }
        UserCommand::Unblock { name } => {
            core.set_account_state(&name, AccountState::Active)
                .await
                .map_err(explain)?;
            println!("Unblocked {name}.");
        }
        UserCommand::Approve { name } => {
            let account = core.account_named(&name).await.map_err(explain)?;
            if account.state != AccountState::Pending {
                bail!(
                    "{name} is not awaiting approval (it is {})",
                    account.state.as_str()
                );
            }
            core.set_account_state(&name, AccountState::Active)
                .await
                .map_err(explain)?;
            println!("Approved {name}.");
        }
        UserCommand::Delete { name } => {
            core.delete_account(&name).await.map_err(explain)?;
            println!("Deleted {name}.");
        }
        UserCommand::Mfa { name } => {
            let account = core.account_named(&name).await.map_err(explain)?;
            let status = core.mfa_status(&account).await.map_err(explain)?;
            let passkeys = core.passkeys(&account).await.map_err(explain)?;
            let time = |t: i64| crate::core::rfc3339(t).unwrap_or_else(|| t.to_string());
            let mut factors = Vec::new();
            if let Some(since) = status.totp_since {
                factors.push(format!("TOTP since {}", time(since)));
            }
            match passkeys.len() {
                0 => {}
                1 => factors.push("1 passkey".into()),
                n => factors.push(format!("{n} passkeys")),
            }
            if !factors.is_empty() {
                println!(
                    "{name}: {}; {} recovery codes left.",
                    factors.join(", "),
                    status.recovery_codes_left
                );
            } else if status.totp_pending {
                println!("{name}: no second factor (a TOTP enrolment awaits its first code).");
            } else {
                println!("{name}: no second factor.");
            }
            for passkey in &passkeys {
                let used = passkey.last_used_at.map_or_else(|| "never".into(), time);
                println!(
                    "  passkey {} {:?}: added {}, last used {used}",
                    passkey.id,
                    passkey.name,
                    time(passkey.created_at)
                );
            }
        }
        UserCommand::MfaReset { name } => {
            let account = core.account_named(&name).await.map_err(explain)?;
            let client = crate::core::ClientContext::command_line();
            if core.reset_mfa(&account, &client).await.map_err(explain)? {
                println!(
                    "Removed the second factors of {name} (TOTP, passkeys, recovery codes); it \
                     logs in with its password alone."
                );
            } else {
                println!("{name} had no second factor; nothing changed.");
            }
        }
        UserCommand::SetPassword { name, password } => {
            let (password, generated) = password.resolve()?;
            core.set_password(&name, &password).await.map_err(explain)?;
            println!("Password of {name} changed; its sessions have ended.");
            if generated {
                println!("Password: {}", password.expose_secret());
            }
        }
    }
    Ok(())
}

/// Words the core's refusals for an operator.
fn explain(error: Error) -> anyhow::Error {
    match error {
        Error::NoSuchAccount => anyhow::anyhow!("no such account"),
        Error::Invalid(violations) => {
            let lines: Vec<String> = violations.iter().map(describe).collect();
            anyhow::anyhow!("{}", lines.join("; "))
        }
        other => other.into(),
    }
}

pub(super) fn describe(violation: &Violation) -> String {
    match violation {
        Violation::NameMissing => "a name is required".into(),
        Violation::NameLeadingSpace | Violation::NameTrailingSpace => {
            "the name cannot begin or end with a space".into()
        }
        Violation::NameMultipleSpaces => "the name cannot contain multiple spaces in a row".into(),
        Violation::NameInvalidCharacter => "the name contains an invalid character".into(),
        Violation::NameInvisibleCharacter => {
            "the name contains an invisible, control or text-direction character".into()
        }
        Violation::NameMixedScripts => {
            "the name mixes Latin, Greek or Cyrillic letters, as look-alike names do".into()
        }
        Violation::NameTooLong { .. } => "the name must be 60 characters or less".into(),
        Violation::NameTaken { name } => format!("the name {name} is already taken"),
        Violation::MailMissing => "a mail address is required".into(),
        Violation::MailTooLong => "the mail address is longer than 254 characters".into(),
        Violation::MailInvalid => "the mail address is not valid".into(),
        Violation::MailTaken { mail } => format!("the mail address {mail} is already taken"),
        Violation::PasswordMissing => "the password cannot be empty".into(),
        Violation::PasswordTooLong => "the password is longer than 512 bytes".into(),
        Violation::PasswordTooShort { min } => {
            format!("the password must be at least {min} characters long")
        }
        Violation::PasswordTooCommon => "the password is one of the most common passwords".into(),
        Violation::PasswordTooSimilar { .. } => {
            "the password is too similar to the name or mail address".into()
        }
        Violation::PasswordEntirelyNumeric => "the password is only digits".into(),
        Violation::CurrentPasswordRequired { .. } => "the current password is required".into(),
        Violation::TimeZoneInvalid => "the time zone is not a known IANA zone name".into(),
        Violation::LanguageInvalid => "the language code is not a known one".into(),
        Violation::RoleInvalid { role } => {
            format!("{role} is not a valid role name (lower-case letters, digits and _)")
        }
    }
}
