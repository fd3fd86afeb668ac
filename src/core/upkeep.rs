//! Upkeep every node does now and then, besides serving requests.

use super::Core;

impl Core {
    /// Purges audit events, finished mail and webhook events past `audit.retain_days`, and
    /// complains loudly if the database's secret changed under this node.
    pub async fn upkeep(&self) {
        match self.purge_old_records().await {
            Ok(purged) if purged == Default::default() => {}
            Ok(purged) => tracing::info!(
                events = purged.events,
                messages = purged.messages,
                webhook_events = purged.webhook_events,
                "purged audit events, finished mail and webhook events older than \
                 audit.retain_days"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not purge old audit events, mail and webhooks")
            }
        }
        if let Err(e) = self.store.purge_session_changes(super::now()).await {
            tracing::warn!(error = %e, "could not purge the record of old session changes");
        }
        match self.purge_retired_signing_keys().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(keys = n, "deleted signing keys retired long ago"),
            Err(e) => tracing::warn!(error = %e, "could not delete retired signing keys"),
        }
        match self.secret_is_current().await {
            Ok(true) => {}
            // Its tokens are now refused by the other nodes and theirs by it.
            Ok(false) => tracing::error!(
                "this database is now served with another server secret (latch secret rotate?); \
                 restart this node with the new secret (latch.secret or the `secret` setting)"
            ),
            Err(e) => tracing::warn!(error = %e, "could not check the server secret's fingerprint"),
        }
    }
}
