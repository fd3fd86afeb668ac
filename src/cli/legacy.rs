//! `latch legacy …`: how far trickle migration from the legacy site has come.

use clap::Subcommand;

use crate::config::{Config, LegacyDialect};
use crate::core::Core;

#[derive(Subcommand)]
pub enum LegacyCommand {
    /// How many accounts came over from the legacy site at a login, and how many still have
    /// no usable password (imported without hashes, say).
    Status,
}

pub async fn run(command: LegacyCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = match command {
        LegacyCommand::Status => status(&core, &config).await,
    };
    core.store().close().await;
    result
}

async fn status(core: &Core, config: &Config) -> anyhow::Result<()> {
    let counts = core.legacy_counts().await?;
    if config.legacy.enabled() {
        let dialect = match config.legacy.dialect {
            LegacyDialect::Drupal => "drupal",
            LegacyDialect::Django => "django",
        };
        println!("legacy site: {} ({dialect})", config.legacy.base_url());
    } else {
        println!("legacy site: none ([legacy] url is empty; logins are not passed on)");
    }
    println!("migrated:    {}", counts.migrated);
    println!("remaining:   {}", counts.remaining);
    Ok(())
}
