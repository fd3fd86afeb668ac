//! `latch key …`: the key pairs that sign the JWTs of `POST /latch/token`.

use clap::Subcommand;

use super::timestamp;
use crate::config::Config;
use crate::core::Core;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Make a new signing key the one tokens are signed with. The old keys stay in
    /// /.well-known/jwks.json until every token they signed has expired, so no verifier
    /// refuses a valid token; every node signs with the new key within a minute.
    Rotate,
    /// List the published keys: the active one first, then those retired recently.
    List,
}

pub async fn run(command: KeyCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = execute(&core, command).await;
    core.store().close().await;
    result
}

async fn execute(core: &Core, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Rotate => {
            let kid = core.rotate_signing_key().await?;
            println!("Tokens are now signed with key {kid}.");
            println!("Retired keys stay published until the tokens they signed have expired.");
        }
        KeyCommand::List => {
            println!("{:<44} {:<20} RETIRED", "KEY ID (kid)", "CREATED");
            for key in core.signing_key_history().await? {
                println!(
                    "{:<44} {:<20} {}",
                    key.kid,
                    timestamp(key.created_at),
                    key.retired_at.map_or("-".to_string(), timestamp)
                );
            }
        }
    }
    Ok(())
}
