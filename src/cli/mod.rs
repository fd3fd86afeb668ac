//! The command line: `serve`, `migrate`, `copy`, `user …`, `session …`, `token …`, `app …`,
//! `import …`, `legacy status`, `mail …`, `webhook …`, `audit`, `key …`, `secret rotate`,
//! `backup` and `config default`.
//! Every command takes the same `--config` and `--database` options, so it acts on the
//! database a server uses.

mod app;
mod audit;
mod backup;
mod checks;
mod copy;
mod import;
mod key;
mod legacy;
mod logging;
mod mail;
mod secret;
mod serve;
mod sessions;
mod user;
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

#[derive(Parser)]
#[command(
    name = "latch",
    version,
    about = "A self-hosted login and session server"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "LATCH_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL, e.g. sqlite://latch.db (overrides LATCH_DATABASE_URL and the file).
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides LATCH_LISTEN and the file).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Copy every table (accounts, sessions, mail, the audit trail…) into another, empty
    /// database (e.g. from SQLite to PostgreSQL).
    Copy {
        /// The target database URL, e.g. postgres://latch@db.example.com/latch.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Manage accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// List and end live sessions.
    #[command(subcommand)]
    Session(sessions::SessionCommand),
    /// List and revoke personal access tokens.
    #[command(subcommand)]
    Token(sessions::TokenCommand),
    /// Manage the applications that call the API with their own token.
    #[command(subcommand)]
    App(app::AppCommand),
    /// Import accounts and their password hashes from other systems.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// See how far trickle migration from the legacy site has come.
    #[command(subcommand)]
    Legacy(legacy::LegacyCommand),
    /// Inspect and manage the mail outbox.
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Inspect the events sent to webhook receivers, and retry dead-lettered ones.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Show the newest security events: logins, failures, flood blocks, password changes….
    Audit(audit::AuditArgs),
    /// Manage the keys that sign the JWTs of POST /latch/token.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Manage the server secret every node of a database shares.
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Write a consistent copy of a SQLite database while the server runs.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Show configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print every setting with its default value, as TOML.
    Default,
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    if let Command::Config(ConfigCommand::Default) = cli.command {
        print!("{}", Config::default_toml());
        return ExitCode::SUCCESS;
    }
    let overrides = Overrides {
        listen,
        database_url: cli.database.clone(),
    };
    let loaded = logging::before_configuration(|| {
        Config::load_checked(cli.config.as_deref(), &overrides, checks::ALL)
    });
    let config = match loaded {
        Ok(config) => config,
        Err(e) => {
            eprintln!("latch: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(config.log.format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("latch: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => serve::run(config).await,
            Command::Migrate => migrate(config).await,
            Command::Copy { to } => copy::run(config, &to).await,
            Command::User(command) => user::run(command, config).await,
            Command::Session(command) => sessions::run_sessions(command, config).await,
            Command::Token(command) => sessions::run_tokens(command, config).await,
            Command::App(command) => app::run(command, config).await,
            Command::Import(command) => import::run(command, config).await,
            Command::Legacy(command) => legacy::run(command, config).await,
            Command::Mail(command) => mail::run(command, config).await,
            Command::Webhook(command) => webhook::run(command, config).await,
            Command::Audit(args) => audit::run(args, config).await,
            Command::Key(command) => key::run(command, config).await,
            Command::Secret(command) => secret::run(command, config).await,
            Command::Backup { to } => backup::run(config, &to).await,
            Command::Config(_) => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latch: {}", said_once(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes, each said once: a cause whose text the error before it already
/// quotes (as a database error quotes the driver's) is left out.
fn said_once(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    text
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    // Only the schema: the secret is pinned by the first node or command that uses it, so a
    // migration run elsewhere leaves no stray secret behind.
    let store = crate::store::Store::connect(&config.database_url).await?;
    store.migrate().await?;
    store.close().await;
    eprintln!(
        "Database {} is up to date.",
        shown_url(&config.database_url)
    );
    Ok(())
}

/// A database URL as it may be shown: without its password.
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority.len()..])
        }
        _ => url.to_string(),
    }
}

/// A Unix time as RFC 3339, for listings.
fn timestamp(unix: i64) -> String {
    crate::core::rfc3339(unix).unwrap_or_else(|| unix.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_the_error_already_quotes_is_said_once() {
        let io = std::io::Error::other("connection refused");
        let error = anyhow::Error::new(io).context("database error: connection refused");
        let error = error.context("cannot start");
        assert_eq!(
            super::said_once(&error),
            "cannot start: database error: connection refused"
        );
    }

    #[test]
    fn shown_urls_hide_the_password() {
        assert_eq!(
            super::shown_url("postgres://latch:hunter2@db:5432/latch?sslmode=require"),
            "postgres://latch:***@db:5432/latch?sslmode=require"
        );
        for plain in [
            "postgres://latch@db/latch",
            "sqlite://latch.db",
            "sqlite::memory:",
        ] {
            assert_eq!(super::shown_url(plain), plain);
        }
    }
}
