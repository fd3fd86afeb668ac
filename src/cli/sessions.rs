//! `latch session …` and `latch token …`: the operator's view of live sessions and personal
//! access tokens, and ending them.

use anyhow::bail;
use clap::{Args, Subcommand};

use super::timestamp;
use crate::config::Config;
use crate::core::Core;
use crate::core::access_tokens::scopes_of;
use crate::core::audit::ClientContext;
use crate::core::session_list::Ending;

#[derive(Subcommand)]
pub enum SessionCommand {
    /// List live sessions, most recently used first.
    List {
        /// Only this account's sessions.
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
    },
    /// End a session (by the id `session list` shows), or every session of an account; the
    /// session ends at once on every server.
    Revoke(RevokeSessions),
}

#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct RevokeSessions {
    /// The session's id, as `latch session list` shows it.
    id: Option<String>,
    /// End every session of this account.
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// List an account's personal access tokens (never the tokens themselves).
    List {
        #[arg(long, value_name = "NAME")]
        account: String,
    },
    /// Revoke a personal access token (by the id `token list` shows); it stops working at once.
    Revoke { id: String },
}

pub async fn run_sessions(command: SessionCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = sessions(&core, command).await;
    core.store().close().await;
    result
}

pub async fn run_tokens(command: TokenCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = tokens(&core, command).await;
    core.store().close().await;
    result
}

fn or_dash(text: Option<&str>) -> &str {
    text.filter(|t| !t.is_empty()).unwrap_or("-")
}

async fn sessions(core: &Core, command: SessionCommand) -> anyhow::Result<()> {
    let client = ClientContext::command_line();
    match command {
        SessionCommand::List { account } => {
            let sessions = core.live_sessions(account.as_deref()).await?;
            println!(
                "{:<32} {:<20} {:<10} {:<39} {:<25} {:<25} USER AGENT",
                "ID", "ACCOUNT", "DIALECT", "IP", "CREATED", "LAST SEEN"
            );
            for s in &sessions {
                println!(
                    "{:<32} {:<20} {:<10} {:<39} {:<25} {:<25} {}",
                    s.public_id,
                    s.account_name,
                    or_dash(s.dialect.as_deref()),
                    or_dash(s.client_ip.as_deref()),
                    timestamp(s.created_at),
                    timestamp(s.last_seen_at),
                    or_dash(s.user_agent.as_deref()),
                );
            }
            eprintln!("{} live sessions.", sessions.len());
        }
        SessionCommand::Revoke(RevokeSessions { id: Some(id), .. }) => {
            if !core.end_session(&id, None, &client).await? {
                bail!("no live session has the id {id:?}; `latch session list` shows them");
            }
            println!("Ended session {id}.");
        }
        SessionCommand::Revoke(RevokeSessions {
            account: Some(name),
            ..
        }) => {
            let account = core.account_named(&name).await?;
            let ended = core.end_sessions(&account, Ending::All, &client).await?;
            println!("Ended {ended} sessions of {name}.");
        }
        SessionCommand::Revoke(_) => bail!("give a session id or --account NAME"),
    }
    Ok(())
}

async fn tokens(core: &Core, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::List { account } => {
            let account = core.account_named(&account).await?;
            println!(
                "{:<32} {:<24} {:<16} {:<15} {:<25} {:<25} EXPIRES",
                "ID", "NAME", "TOKEN STARTS", "SCOPES", "CREATED", "LAST USED"
            );
            for token in core.access_tokens_of(&account).await? {
                let scopes: Vec<&str> = scopes_of(&token).iter().map(|s| s.as_str()).collect();
                println!(
                    "{:<32} {:<24} {:<16} {:<15} {:<25} {:<25} {}",
                    token.id,
                    token.name,
                    format!("{}…", token.token_hint),
                    scopes.join(","),
                    timestamp(token.created_at),
                    token.last_used_at.map_or("never".into(), timestamp),
                    token.expires_at.map_or("never".into(), timestamp),
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let client = ClientContext::command_line();
            if !core.revoke_access_token(&id, None, &client).await? {
                bail!("no token has the id {id:?}; `latch token list --account NAME` shows them");
            }
            println!("Revoked token {id}; it no longer works.");
        }
    }
    Ok(())
}
