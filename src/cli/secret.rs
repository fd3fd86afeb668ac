//! `latch secret rotate`: a planned change of the server secret.

use anyhow::bail;
use clap::Subcommand;

use super::shown_url;
use crate::config::Config;
use crate::core::audit::{AuditEvent, ClientContext, Subject};
use crate::core::secret::ServerSecret;
use crate::core::{Core, now};
use crate::store::Store;

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Make a new server secret the one this database is served with. With `secret_file`, a
    /// new random secret replaces the file; with the `secret` setting, set the new value there
    /// first. Stop every node before, and give each the new secret after. Sessions stay
    /// logged in; CSRF tokens, logout tokens and mailed one-time links issued before stop
    /// working.
    Rotate,
}

pub async fn run(command: SecretCommand, config: Config) -> anyhow::Result<()> {
    let SecretCommand::Rotate = command;
    let store = Store::connect(&config.database_url).await?;
    store.migrate().await?;
    let result = rotate(&store, &config).await;
    store.close().await;
    result
}

async fn rotate(store: &Store, config: &Config) -> anyhow::Result<()> {
    let database = shown_url(&config.database_url);
    let written_to = match &config.secret {
        Some(configured) => {
            let secret = ServerSecret::from_text(secrecy::ExposeSecret::expose_secret(
                &configured.to_secret(),
            ))?;
            if store.secret_fingerprint().await? == Some(secret.fingerprint()) {
                bail!(
                    "{database} is already served with the secret in the `secret` setting; to \
                     rotate it, set `secret` (LATCH_SECRET) to a new value of at least 32 bytes \
                     (e.g. from `openssl rand -base64 32`) and run this again"
                );
            }
            store
                .replace_secret_fingerprint(&secret.fingerprint(), now())
                .await?;
            "the `secret` setting".to_string()
        }
        None => {
            let secret = ServerSecret::replace_file(&config.secret_file)?;
            store
                .replace_secret_fingerprint(&secret.fingerprint(), now())
                .await?;
            config.secret_file.display().to_string()
        }
    };
    let core = Core::open(config).await?.core;
    core.record_audit(
        AuditEvent::SecretRotated,
        Subject::Nobody,
        &ClientContext::command_line(),
        None,
    )
    .await;
    core.store().close().await;
    println!("{database} is now served with the new secret in {written_to}.");
    println!(
        "Give every node of this database the same secret, then start them; a node still \
         running with the old one logs an error until it is restarted."
    );
    println!(
        "Sessions stay logged in. CSRF and logout tokens issued before now are refused (clients \
         fetch new ones), and so are one-time login and password-reset links mailed before now."
    );
    Ok(())
}
