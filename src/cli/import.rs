//! `latch import …`: brings accounts and their password hashes over from other systems.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::core::{Core, Existing, ImportError, RowProblem};
use crate::import::{self, ImportRow};

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Accounts from a CSV file with a header row: name,mail,hash,roles,status,created,login.
    Csv {
        file: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Accounts from a JSON array of objects with those keys (roles as a list).
    Json {
        file: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Accounts from a Drupal 7 or 8–11 database.
    Drupal {
        /// The Drupal database: sqlite://FILE, postgres://… or mysql://… (MariaDB too).
        #[arg(long, value_name = "URL")]
        from: String,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Accounts and groups from a Django database (auth_user).
    Django {
        /// The Django database: sqlite://FILE, postgres://… or mysql://… (MariaDB too).
        #[arg(long, value_name = "URL")]
        from: String,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Users and roles from a WordPress database (wp_users, wp_usermeta).
    Wordpress {
        /// The WordPress database: mysql://… (MariaDB too), sqlite://FILE or postgres://….
        #[arg(long, value_name = "URL")]
        from: String,
        /// The site's table prefix ($table_prefix in wp-config.php).
        #[arg(long, default_value = "wp_")]
        prefix: String,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Users, realm roles and passwords from a Keycloak realm export (JSON).
    Keycloak {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Users and roles from an ASP.NET Core Identity database (AspNetUsers).
    Aspnet {
        /// The Identity database: sqlite://FILE, postgres://… or mysql://… (MariaDB too).
        #[arg(long, value_name = "URL")]
        from: String,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Users from `firebase auth:export users.json`, with the project's hash parameters.
    Firebase {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The console's "Password hash parameters" (hash_config { … }), or them as JSON.
        #[arg(long, value_name = "FILE")]
        hash_config: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
}

#[derive(Args)]
pub struct ImportOptions {
    /// Update accounts whose name already exists (by default they are skipped).
    #[arg(long)]
    update: bool,
    /// Report what the import would do, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub async fn run(command: ImportCommand, config: Config) -> anyhow::Result<()> {
    let (rows, options) = match command {
        ImportCommand::Csv { file, options } => (import::files::read_csv(&file)?, options),
        ImportCommand::Json { file, options } => (import::files::read_json(&file)?, options),
        ImportCommand::Drupal { from, options } => (import::drupal::read(&from).await?, options),
        ImportCommand::Django { from, options } => (import::django::read(&from).await?, options),
        ImportCommand::Wordpress {
            from,
            prefix,
            options,
        } => (import::wordpress::read(&from, &prefix).await?, options),
        ImportCommand::Keycloak { from, options } => (import::keycloak::read(&from)?, options),
        ImportCommand::Aspnet { from, options } => (import::aspnet::read(&from).await?, options),
        ImportCommand::Firebase {
            from,
            hash_config,
            options,
        } => (import::firebase::read(&from, &hash_config)?, options),
    };
    let core = Core::open(&config).await?.core;
    let result = write(&core, &rows, &options).await;
    core.store().close().await;
    result
}

async fn write(core: &Core, rows: &[ImportRow], options: &ImportOptions) -> anyhow::Result<()> {
    let existing = if options.update {
        Existing::Update
    } else {
        Existing::Skip
    };
    let counts = match core.import_accounts(rows, existing, options.dry_run).await {
        Ok(counts) => counts,
        Err(ImportError::Row { row, name, problem }) => {
            bail!(
                "row {row} ({name}) cannot be imported: {}; nothing was imported",
                explain(&problem)
            )
        }
        Err(ImportError::Core(e)) => return Err(e.into()),
    };
    let verb = if options.dry_run {
        "Would import"
    } else {
        "Imported"
    };
    let what = if options.update {
        "updated"
    } else {
        "skipped (already there)"
    };
    let changed = if options.update {
        counts.updated
    } else {
        counts.skipped
    };
    println!(
        "{verb} {} rows: {} created, {changed} {what}.",
        rows.len(),
        counts.created
    );
    if !options.dry_run && counts.created + counts.updated > 0 {
        println!(
            "Imported password hashes are replaced by Argon2id at each account's next login; `latch user hashes` shows what is left."
        );
        // Timing tells such names apart until then; the operator should know (README, Security).
        println!(
            "Until then, a login to an account whose hash is slower than Argon2id (such as PBKDF2 with a million iterations) answers later than one to an unknown name."
        );
    }
    Ok(())
}

fn explain(problem: &RowProblem) -> String {
    match problem {
        RowProblem::Invalid(violation) => super::user::describe(violation),
        RowProblem::UnknownHash => "its password hash is in no format latch can verify".into(),
        RowProblem::Duplicate { earlier_row } => {
            format!("its name or mail repeats row {earlier_row}")
        }
        RowProblem::MailTaken => "its mail address belongs to another account".into(),
    }
}
