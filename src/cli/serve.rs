//! `latch serve`.

use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::{Config, LogFormat};
use crate::core::Core;

pub async fn run(config: Config) -> anyhow::Result<()> {
    let startup = Core::open(&config).await.context("cannot start")?;
    if startup.created_secret {
        tracing::info!(
            file = %config.secret_file.display(),
            "created a new server secret; every node serving this database needs the same one"
        );
    }
    // The first start makes the key pair tokens are signed with; a database that cannot
    // now is tried again at the first token.
    if let Err(e) = startup.core.prepare_signing_keys().await {
        tracing::warn!(error = %e, "could not load or make the token signing key");
    }
    let addr = config.listen_addr();
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let database = super::shown_url(&config.database_url);
    tracing::info!(%database, "latch listening on http://{local}");
    if startup.account_count == 0 && config.log.format == LogFormat::Json {
        tracing::warn!(
            command = %format!(
                "latch user add admin --mail admin@example.com --role administrator --database {database}"
            ),
            "no accounts yet: create the first administrator"
        );
    } else if startup.account_count == 0 {
        eprintln!(
            "\nNo accounts yet. Create the first administrator with:\n\n    \
             latch user add admin --mail admin@example.com --role administrator --database {database}\n\n\
             (from a source checkout: cargo run --release -- user add …). It prints a generated \
             password; pass --password-stdin to choose one.\n"
        );
    }
    crate::http::serve(listener, Arc::new(startup.core), &config, shutdown_signal()).await?;
    tracing::info!("latch stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
