//! `latch copy --to URL`: moves a deployment to another database, e.g. SQLite to PostgreSQL.

use anyhow::Context;

use super::shown_url;
use crate::config::Config;
use crate::store::Store;

pub async fn run(config: Config, target_url: &str) -> anyhow::Result<()> {
    let (source_shown, target_shown) = (shown_url(&config.database_url), shown_url(target_url));
    let source = Store::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open the source database {source_shown}"))?;
    source.migrate().await?;
    let target = Store::connect(target_url)
        .await
        .with_context(|| format!("cannot open the target database {target_shown}"))?;
    target.migrate().await?;
    let snapshot = source.snapshot().await?;
    let counts = target.restore(&snapshot).await?;
    source.close().await;
    target.close().await;
    println!(
        "Copied {source_shown} ({}) to {target_shown} ({}):",
        source.backend(),
        target.backend()
    );
    for (table, rows) in counts {
        println!("  {table:<20} {rows:>9} rows");
    }
    println!("Serve from the new database with the same server secret, so sessions stay valid.");
    Ok(())
}
