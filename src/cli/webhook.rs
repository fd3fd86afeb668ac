//! `latch webhook …`: the events waiting for, delivered to, or dead-lettered at the
//! `[[webhooks]]` receivers.

use anyhow::bail;
use clap::Subcommand;

use super::timestamp;
use crate::config::Config;
use crate::core::{Core, now};
use crate::store::Store;

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// How many events are queued, delivered and dead, and the newest ones.
    List {
        /// How many of the newest events to show.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Queue a dead-lettered event for delivery now, with a fresh attempt count.
    Retry {
        /// The event's id, as `latch webhook list` shows it.
        id: i64,
    },
}

pub async fn run(command: WebhookCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = execute(core.store(), command).await;
    core.store().close().await;
    result
}

async fn execute(store: &Store, command: WebhookCommand) -> anyhow::Result<()> {
    match command {
        WebhookCommand::List { limit } => {
            let counts = store.webhook_counts().await?;
            let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
            println!(
                "Events: {}",
                if summary.is_empty() {
                    "none".to_string()
                } else {
                    summary.join(", ")
                }
            );
            println!(
                "{:>6}  {:<9} {:>8}  {:<26} {:<40} {:<25} LAST ERROR",
                "ID", "STATE", "ATTEMPTS", "EVENT", "URL", "CREATED"
            );
            for event in store.webhook_outbox(limit).await? {
                println!(
                    "{:>6}  {:<9} {:>8}  {:<26} {:<40} {:<25} {}",
                    event.id,
                    event.state,
                    event.attempts,
                    event.event,
                    event.url,
                    timestamp(event.created_at),
                    event.last_error.as_deref().unwrap_or("-")
                );
            }
        }
        WebhookCommand::Retry { id } => {
            if !store.retry_webhook(id, now()).await? {
                bail!("no dead-lettered event has the id {id}; `latch webhook list` shows them");
            }
            println!("Queued event {id} again; a running server delivers it within a second.");
        }
    }
    Ok(())
}
