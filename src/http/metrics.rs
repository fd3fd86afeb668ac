//! Prometheus metrics, served on a listener of their own (`metrics.listen`), never on the
//! public one: `GET /metrics` in the text exposition format. The gauges that describe the
//! database (pool connections, the outbox's depth) are read at each scrape.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use super::observe;
use crate::core::{Core, meters};

pub const POOL_CONNECTIONS: &str = "latch_db_pool_connections";
pub const OUTBOX_DEPTH: &str = "latch_mail_outbox_depth";
pub const WEBHOOK_OUTBOX_DEPTH: &str = "latch_webhook_outbox_depth";

const GAUGE_DESCRIPTIONS: [(&str, &str); 3] = [
    (
        POOL_CONNECTIONS,
        "Database pool connections by state: in_use (lent to a query) or idle.",
    ),
    (
        OUTBOX_DEPTH,
        "Messages in the mail outbox waiting to be sent, retries included.",
    ),
    (
        WEBHOOK_OUTBOX_DEPTH,
        "Webhook events waiting to be delivered, retries included.",
    ),
];

/// Bucket bounds in seconds: from a cached session check to a request that timed out.
const HTTP_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
/// Around Argon2id's tens of milliseconds, and the slow legacy hashes.
const HASH_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// How often recorded histogram samples are folded in when nobody scrapes.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's recorder, installed by the first server that serves metrics; every later
/// one (tests start several in one process) shares it.
static RECORDER: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

fn recorder() -> std::io::Result<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(observe::HTTP_DURATION.into()), &HTTP_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(meters::HASH_DURATION.into()),
                        &HASH_BUCKETS,
                    )
                })
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| e.to_string())?;
            let described = meters::DESCRIPTIONS
                .iter()
                .chain(&observe::DESCRIPTIONS)
                .chain(&GAUGE_DESCRIPTIONS);
            for (name, help) in described {
                metrics::describe_counter!(*name, *help);
            }
            Ok(handle)
        })
        .clone()
        .map_err(|e| std::io::Error::other(format!("cannot record metrics: {e}")))
}

/// Binds `addr` for the metrics listener; the error names the setting and the address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen on {addr} (metrics.listen): {e}"),
        )
    })
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    core: Arc<Core>,
}

/// Serves `GET /metrics` on `listener`, and keeps the recorder's histograms drained between
/// scrapes, until the task is aborted.
pub fn serve(
    listener: TcpListener,
    core: Arc<Core>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let handle = recorder()?;
    let upkeep = handle.clone();
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { handle, core });
    Ok(tokio::spawn(async move {
        let upkeep = async {
            let mut every = tokio::time::interval(UPKEEP_INTERVAL);
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        };
        tokio::select! {
            served = axum::serve(listener, app) => {
                if let Err(e) = served {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }
            () = upkeep => {}
        }
    }))
}

async fn scrape(State(scrape): State<Scrape>) -> Response {
    let store = scrape.core.store();
    let pool = store.pool_usage();
    metrics::gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(pool.in_use));
    metrics::gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
    match store.outbox_depth().await {
        Ok(depth) => metrics::gauge!(OUTBOX_DEPTH).set(depth as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the mail outbox"),
    }
    match store.webhook_outbox_depth().await {
        Ok(depth) => metrics::gauge!(WEBHOOK_OUTBOX_DEPTH).set(depth as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the webhook outbox"),
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
        .into_response()
}
