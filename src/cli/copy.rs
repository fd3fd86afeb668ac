//! `latch copy --to URL`: moves a deployment to another database, e.g. SQLite to PostgreSQL.

use anyhow::Context;

use crate::config::Config;
use crate::store::Store;

pub async fn run(config: Config, target_url: &str) -> anyhow::Result<()> {
    let source = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open the source database {}", config.database_url))?;
    source.migrate().await?;
    let target = Store::connect(target_url)
        .await
        .with_context(|| format!("cannot open the target database {target_url}"))?;
    target.migrate().await?;
    let snapshot = source.snapshot().await?;
    let counts = target.restore(&snapshot).await?;
    source.close().await;
    target.close().await;
    println!(
        "Copied {} accounts, {} sessions, {} queued messages and {} applications from {} ({}) \
         to {} ({}).",
        counts.accounts,
        counts.sessions,
        counts.messages,
        counts.apps,
        config.database_url,
        source.backend(),
        target_url,
        target.backend()
    );
    println!("Serve from the new database with the same server secret, so sessions stay valid.");
    Ok(())
}
