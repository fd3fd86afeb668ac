//! `latch app …`: the applications that call the platformOS-style API with their own token.

use clap::Subcommand;

use super::timestamp;
use crate::config::Config;
use crate::core::Core;
use crate::core::audit::ClientContext;

#[derive(Subcommand)]
pub enum AppCommand {
    /// Add an application and print its API token (shown this once only).
    Add { name: String },
    /// List the applications.
    List,
    /// Revoke an application's token; requests carrying it are refused at once.
    Revoke { name: String },
}

pub async fn run(command: AppCommand, config: Config) -> anyhow::Result<()> {
    let core = Core::open(&config).await?.core;
    let result = execute(&core, command).await;
    core.store().close().await;
    result
}

async fn execute(core: &Core, command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Add { name } => {
            let added = core.add_app(&name, &ClientContext::command_line()).await?;
            println!("Added application {}.", added.app.name);
            println!("API token (shown only now; store it as a secret):");
            println!("{}", added.token);
            println!("Send it as: Authorization: Token token={}", added.token);
        }
        AppCommand::List => {
            println!("{:<32} {:<16} CREATED", "NAME", "TOKEN STARTS");
            for app in core.list_apps().await? {
                println!(
                    "{:<32} {:<16} {}",
                    app.name,
                    format!("{}…", app.token_hint),
                    timestamp(app.created_at)
                );
            }
        }
        AppCommand::Revoke { name } => {
            core.revoke_app(&name, &ClientContext::command_line())
                .await?;
            println!("Revoked application {name}; its token no longer works.");
        }
    }
    Ok(())
}
