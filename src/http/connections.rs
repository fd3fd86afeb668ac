//! Accepting connections: at most `http.max_connections` at once and
//! `http.max_connections_per_ip` from one client address, and a deadline on reading each
//! request's headers, so clients that connect and trickle bytes cannot hold the server.
//! (The whole-request deadline, body included, is the timeout layer in [`super::app`].)

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::hardening::TrustedProxies;
use crate::core::flood::client_key;

/// How long a stopping server lets requests in flight finish.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// How many connections one client address may hold at once.
pub struct PerClientLimit {
    pub limit: usize,
    /// IPv6 clients are one client per prefix of this length, as flood control counts them.
    pub ipv6_prefix: u8,
    /// Proxies carry many clients' connections; only the global limit applies to them.
    pub exempt: TrustedProxies,
}

/// Connections open per client key, and whether the client's refusal has been logged since
/// it reached the limit.
struct PerClient {
    config: PerClientLimit,
    open: Mutex<HashMap<String, (usize, bool)>>,
}

/// One admitted connection's place in its client's count, given back when dropped.
struct ClientSlot {
    owner: Arc<PerClient>,
    key: String,
}

impl PerClient {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (usize, bool)>> {
        // The map holds plain counts, each update complete: a panic elsewhere leaves it whole.
        self.open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A place for a connection from `ip` (none needed for an exempt proxy), or `Err` when
    /// its client holds the limit.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Option<ClientSlot>, ()> {
        if self.config.exempt.trusts(ip) {
            return Ok(None);
        }
        let key = client_key(Some(ip), self.config.ipv6_prefix);
        let mut open = self.lock();
        let (count, warned) = open.entry(key.clone()).or_insert((0, false));
        if *count >= self.config.limit {
            if !*warned {
                *warned = true;
                tracing::warn!(
                    client = %key,
                    limit = self.config.limit,
                    "a client holds http.max_connections_per_ip connections; closing its \
                     further ones until one ends"
                );
            }
            return Err(());
        }
        *count += 1;
        Ok(Some(ClientSlot {
            owner: self.clone(),
            key,
        }))
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.owner.lock();
        // The refusal is logged again only once the client has let every connection go.
        if let Some((count, _)) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    per_client: PerClientLimit,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(max_connections));
    let per_client = Arc::new(PerClient {
        config: per_client,
        open: Mutex::new(HashMap::new()),
    });
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Waiting for a slot before accepting leaves further clients in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed.
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Refused at once, before any byte is read: closing costs the server nothing.
        let Ok(client_slot) = per_client.admit(peer.ip()) else {
            drop(stream);
            continue;
        };
        let service =
            app.clone()
                .map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(client_slot);
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIME, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after {DRAIN_TIME:?}; stopping anyway");
    }
    Ok(())
}
