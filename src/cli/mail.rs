//! `latch mail …`: inspecting and managing the outbox a server's workers deliver from.

use anyhow::bail;
use clap::Subcommand;

use super::timestamp;
use crate::config::Config;
use crate::core::console::MailRetry;
use crate::core::{ClientContext, Core, now};

#[derive(Subcommand)]
pub enum MailCommand {
    /// List messages in the outbox, newest last.
    List {
        /// Only messages in this state: queued, sent, logged or dead.
        #[arg(long)]
        state: Option<String>,
    },
    /// Queue a dead or waiting message for delivery now, with a fresh attempt count.
    Retry {
        /// The message's id, as `latch mail list` shows it.
        #[arg(required_unless_present = "dead")]
        id: Option<i64>,
        /// Retry every dead message instead.
        #[arg(long, conflicts_with = "id")]
        dead: bool,
    },
    /// Delete delivered messages (sent or logged).
    Purge {
        /// Only messages older than this many days.
        #[arg(long, default_value_t = 0, value_name = "DAYS")]
        older_than: u32,
        /// Delete dead messages too.
        #[arg(long)]
        dead: bool,
    },
}

pub async fn run(command: MailCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = execute(&core, command).await;
    core.store().close().await;
    result
}

async fn execute(core: &Core, command: MailCommand) -> anyhow::Result<()> {
    let store = core.store();
    match command {
        MailCommand::List { state } => {
            if let Some(state) = &state
                && !["queued", "sent", "logged", "dead"].contains(&state.as_str())
            {
                bail!("unknown state {state:?}: use queued, sent, logged or dead");
            }
            println!(
                "{:>6}  {:<7} {:>8}  {:<32} {:<30} {:<20} LAST ERROR",
                "ID", "STATE", "ATTEMPTS", "TO", "KIND", "CREATED"
            );
            for mail in store.outbox().await? {
                if state.as_ref().is_some_and(|s| *s != mail.state) {
                    continue;
                }
                println!(
                    "{:>6}  {:<7} {:>8}  {:<32} {:<30} {:<20} {}",
                    mail.id,
                    mail.state,
                    mail.attempts,
                    mail.recipient,
                    mail.kind,
                    timestamp(mail.created_at),
                    mail.last_error.as_deref().unwrap_or("-")
                );
            }
        }
        MailCommand::Retry { dead: true, .. } => {
            let count = store.retry_dead_mail(now()).await?;
            println!("Queued {count} dead message(s) again.");
        }
        MailCommand::Retry { id, .. } => {
            let Some(id) = id else {
                bail!("name a message id (see `latch mail list`) or pass --dead");
            };
            match core.retry_mail(id, &ClientContext::command_line()).await? {
                MailRetry::Missing => {
                    bail!("no message {id} in the outbox (see `latch mail list`)")
                }
                MailRetry::Delivered => {
                    bail!("message {id} was delivered already; it is not sent twice")
                }
                MailRetry::Queued => println!("Queued message {id} for delivery now."),
            }
        }
        MailCommand::Purge { older_than, dead } => {
            let before = now() - i64::from(older_than) * 86_400;
            let count = store.purge_mail(before, dead).await?;
            println!("Deleted {count} message(s).");
        }
    }
    Ok(())
}
