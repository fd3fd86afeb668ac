//! The HTTP server: shared state, middleware and the session extractor. Each dialect lives in
//! its own module and only translates between its wire format and the core.

mod admin;
mod allauth;
mod app;
mod connections;
mod cookies;
mod csrf;
mod django;
mod drupal;
mod failure;
mod form;
mod frame;
mod hardening;
mod laravel;
mod limits;
mod metrics;
mod native;
mod observe;
mod openapi;
mod ops;
mod origin;
mod platformos;
mod query_path;
mod redact;
mod services;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, StatusCode};
use tokio::net::TcpListener;

use crate::config::{Config, Origin};
use crate::core::{AuditEvent, ClientContext, Core, CurrentSession, Subject};
use crate::delivery::{Delivery, LegacySite, WebhookDelivery, WorkerRunning};
pub use app::app;
pub use cookies::{CookieName, SessionCookies, drupal_name};
pub use failure::{ServerFailure, retry_after_header};
use frame::Screen;
use hardening::TrustedProxies;
pub use observe::RequestId;

/// A dialect as the server assembles it. Adding one is its module, its settings section and
/// one entry in [`DIALECTS`].
pub struct Dialect {
    /// Its name, recorded on the sessions it opens (`drupal`, `django`, …).
    pub name: &'static str,
    /// What it speaks, as the home page names it.
    pub title: &'static str,
    /// Where its endpoints start, by its settings; none when it is switched off.
    pub base_paths: fn(&Config) -> Vec<String>,
    /// The names it issues or reads the session cookie under, by its settings; none when it
    /// is switched off.
    pub session_cookies: fn(&Config) -> Vec<CookieName>,
    /// Its routes, with its own state built from its settings; none when switched off.
    pub router: fn(&AppState, &Config) -> Router,
    /// What it checks before its handlers run and adds to every answer.
    pub screen: Screen,
}

/// Every dialect, in the order their session cookies are read.
const DIALECTS: [Dialect; 6] = [
    drupal::DIALECT,
    services::DIALECT,
    django::DIALECT,
    platformos::DIALECT,
    laravel::DIALECT,
    allauth::DIALECT,
];

/// What every handler can reach; a dialect's own settings live in its own router state.
/// Every request clones it several times (router, middleware, extractors), so it is one
/// shared pointer rather than a bundle of them.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What [`AppState`] points to.
pub struct SharedState {
    pub core: Arc<Core>,
    pub cookies: Arc<SessionCookies>,
    pub trusted_origins: Arc<Vec<Origin>>,
    pub trusted_proxies: Arc<TrustedProxies>,
    pub body_limit: usize,
    pub header_limit: usize,
    /// Base of absolute links in answers, such as a new account's `uri`.
    pub public_url: Arc<str>,
    /// Whether `GET /bench/hello` is served (`http.bench_hello`).
    pub bench_hello: bool,
    /// Whether this server's mail worker runs, for `/readyz`; `None` before it starts.
    pub mail_worker: Option<WorkerRunning>,
}

impl AppState {
    pub fn new(core: Arc<Core>, config: &Config, mail_worker: Option<WorkerRunning>) -> Self {
        let cookie_names = DIALECTS
            .iter()
            .flat_map(|dialect| (dialect.session_cookies)(config))
            .collect();
        Self(Arc::new(SharedState {
            core,
            cookies: Arc::new(SessionCookies::new(
                config.cookie.clone(),
                config.cookie_secure(),
                cookie_names,
            )),
            // Letting an origin call with credentials already trusts it with unsafe requests.
            trusted_origins: Arc::new(
                config
                    .http
                    .trusted_origins
                    .iter()
                    .chain(&config.http.cors_origins)
                    .cloned()
                    .collect(),
            ),
            trusted_proxies: Arc::new(TrustedProxies::new(&config.http.trusted_proxies)),
            body_limit: config.http.body_limit,
            header_limit: config.http.header_limit,
            public_url: config.public_url.as_str().into(),
            bench_hello: config.http.bench_hello,
            mail_worker,
        }))
    }
}

impl SharedState {
    /// Who sent a request: the peer's address (or what a trusted proxy reports) and the
    /// `User-Agent`.
    pub fn client_of(&self, extensions: &Extensions, headers: &HeaderMap) -> ClientContext {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        ClientContext {
            ip: self.trusted_proxies.client_ip(peer, headers),
            user_agent: headers
                .get(USER_AGENT)
                .map(|ua| String::from_utf8_lossy(ua.as_bytes()).into_owned()),
            dialect: extensions.get::<ServedBy>().map(|d| d.0),
            actor: None,
        }
    }

    /// Records a refused CSRF or origin check in the audit trail, off the refusal's path.
    pub fn audit_csrf_rejection(
        &self,
        session: Option<&CurrentSession>,
        client: &ClientContext,
        reason: &str,
    ) {
        let core = self.core.clone();
        let account = session.map(|s| s.account.clone());
        let (client, reason) = (client.clone(), reason.to_string());
        tokio::spawn(async move {
            let subject = account.as_ref().map_or(Subject::Nobody, Subject::Account);
            core.record_audit(AuditEvent::CsrfRejected, subject, &client, Some(&reason))
                .await;
        });
    }
}

/// The dialect whose router took the request, recorded on the sessions it opens.
#[derive(Clone, Copy)]
pub struct ServedBy(pub &'static str);

/// The caller as their session cookie identifies them.
#[derive(Clone)]
pub struct Visitor {
    pub session: Option<Arc<CurrentSession>>,
    /// The live session's id, as its cookie carries it.
    pub session_id: Option<String>,
    /// Address and user agent, for flood control and the audit trail.
    pub client: ClientContext,
}

/// Looking the session up failed inside the server. Each dialect's own extractor words it in
/// that dialect's shape; it has no shape of its own.
#[derive(Debug)]
pub struct SessionLookupFailed(pub crate::core::Error);

impl Visitor {
    /// The caller as their session cookie identifies them, looked up once per request.
    pub async fn look_up(parts: &mut Parts, state: &AppState) -> Result<Self, SessionLookupFailed> {
        if let Some(visitor) = parts.extensions.get::<Visitor>() {
            return Ok(visitor.clone());
        }
        // The first live session wins; cookies of ended ones are removed on the way out.
        let (mut session, mut session_id) = (None, None);
        for (name, id) in state.cookies.candidates(&parts.headers) {
            match state
                .core
                .authenticate(&id)
                .await
                .map_err(SessionLookupFailed)?
            {
                Some(live) => {
                    (session, session_id) = (Some(live), Some(id));
                    break;
                }
                None => {
                    if let Some(stale) = parts.extensions.get::<cookies::StaleCookies>() {
                        stale.push(name.clone(), state.cookies.expire_as(&name));
                    }
                }
            }
        }
        let client = state.client_of(&parts.extensions, &parts.headers);
        let visitor = Visitor {
            session,
            session_id,
            client,
        };
        parts.extensions.insert(visitor.clone());
        Ok(visitor)
    }
}

/// Why a body could not be read: too large (413) or broken off (400).
pub fn unreadable_body(
    rejection: &axum::extract::rejection::BytesRejection,
    limit: usize,
) -> (StatusCode, String) {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request body is larger than the {limit}-byte limit."),
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            format!("The request body could not be read: {rejection}"),
        )
    }
}

/// Serves until `shutdown` completes, delivering mail and purging expired sessions and flood
/// events in the background.
pub async fn serve(
    listener: TcpListener,
    core: Arc<Core>,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = match config.metrics.listen_addr() {
        Some(addr) => Some(metrics::serve(metrics::bind(addr).await?, core.clone())?),
        None => None,
    };
    if let Some(site) = LegacySite::new(&config.legacy).map_err(std::io::Error::other)? {
        core.use_legacy_login(Arc::new(site));
    }
    let delivery = Delivery::start(core.clone(), &config.mail).map_err(std::io::Error::other)?;
    let webhooks = WebhookDelivery::start(core.clone(), &config.webhooks, &config.webhook_delivery)
        .map_err(std::io::Error::other)?;
    let purger = tokio::spawn(purge_sessions(core.clone()));
    let watcher = tokio::spawn(core.clone().watch_session_changes());
    let state = AppState::new(core, config, Some(delivery.running()));
    let app = app(state, config);
    let result = connections::serve_connections(
        listener,
        app,
        config.http.max_connections,
        connections::PerClientLimit {
            limit: config.http.max_connections_per_ip,
            ipv6_prefix: config.flood.ipv6_prefix,
            exempt: TrustedProxies::new(&config.http.trusted_proxies),
        },
        config.http.request_timeout,
        shutdown,
    )
    .await;
    purger.abort();
    watcher.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    delivery.stop().await;
    if let Some(webhooks) = webhooks {
        webhooks.stop().await;
    }
    result
}

/// Deletes expired sessions and flood events every ten minutes, and does the core's upkeep.
async fn purge_sessions(core: Arc<Core>) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match core.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired sessions"),
        }
        match core.purge_expired_flood_events().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "purged expired flood events"),
            Err(e) => tracing::warn!(error = %e, "could not purge expired flood events"),
        }
        core.upkeep().await;
    }
}
