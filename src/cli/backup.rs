//! `latch backup --to FILE`: a consistent copy of a running server's SQLite database.

use std::path::Path;

use anyhow::bail;

use super::shown_url;
use crate::config::Config;

pub async fn run(config: Config, to: &Path) -> anyhow::Result<()> {
    let url = &config.database_url;
    if !url.starts_with("sqlite:") {
        // pg_dump takes a consistent snapshot of a running database; a password is better
        // given through PGPASSWORD or ~/.pgpass than on a command line.
        let plain = shown_url(url).replace(":***@", "@");
        bail!(
            "latch backup copies SQLite databases; back up PostgreSQL with its own tool while \
             latch runs:\n\n    pg_dump --format=custom --file {} '{plain}'\n\n(restore with \
             pg_restore --dbname URL FILE), and keep the server secret with the backup",
            to.display()
        );
    }
    crate::store::backup_sqlite(url, to).await?;
    println!(
        "Backed up {} to {}. Keep the server secret ({}, or the `secret` setting) with it: \
         a restored database is served only with the same secret.",
        shown_url(url),
        to.display(),
        config.secret_file.display()
    );
    Ok(())
}
