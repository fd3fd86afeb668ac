//! The HTTP server: shared state, middleware and the session extractor. Each dialect lives in
//! its own module and only translates between its wire format and the core.

mod connections;
mod cookies;
mod django;
mod drupal;
mod form;
mod hardening;
mod limits;
mod native;
mod origin;
mod platformos;
mod redact;
mod services;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, COOKIE, SET_COOKIE, USER_AGENT, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::{Config, DjangoConfig, ServicesConfig};
use crate::core::{AuditEvent, ClientContext, Core, CurrentSession, Subject};
use crate::delivery::Delivery;
use crate::store::{Outage, Store};
pub use cookies::SessionCookies;
use hardening::TrustedProxies;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub cookies: Arc<SessionCookies>,
    pub trusted_origins: Arc<Vec<String>>,
    pub trusted_proxies: Arc<TrustedProxies>,
    pub body_limit: usize,
    pub header_limit: usize,
    pub services: Arc<ServicesConfig>,
    pub django: Arc<DjangoConfig>,
    pub platformos: Arc<platformos::Platformos>,
    /// Base of absolute links in answers, such as a new account's `uri`.
    pub public_url: Arc<str>,
    /// Whether `GET /bench/hello` is served (`http.bench_hello`).
    pub bench_hello: bool,
    /// `/latch/verify`'s access rules and the hosts the login page may return to.
    pub forward_auth: Arc<crate::core::forward_auth::ForwardAuth>,
}

impl AppState {
    pub fn new(core: Arc<Core>, config: &Config) -> Self {
        Self {
            core,
            cookies: Arc::new(
                SessionCookies::new(config.cookie.clone(), config.cookie_secure()).with_alias(
                    config
                        .django
                        .enabled
                        .then(|| config.django.session_cookie.clone()),
                ),
            ),
            // Letting an origin call with credentials already trusts it with unsafe requests.
            // Browsers send origins without a trailing slash; drop any once, not per request.
            trusted_origins: Arc::new(
                config
                    .http
                    .trusted_origins
                    .iter()
                    .chain(&config.http.cors_origins)
                    .map(|origin| origin.trim_end_matches('/').to_string())
                    .collect(),
            ),
            trusted_proxies: Arc::new(TrustedProxies::new(&config.http)),
            body_limit: config.http.body_limit,
            header_limit: config.http.header_limit,
            services: Arc::new(config.services.clone()),
            django: Arc::new(config.django.clone()),
            platformos: Arc::new(platformos::Platformos::new(&config.platformos)),
            public_url: config.public_url.as_str().into(),
            bench_hello: config.http.bench_hello,
            forward_auth: Arc::new(crate::core::forward_auth::ForwardAuth::new(config)),
        }
    }
}

impl AppState {
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
            dialect: extensions.get::<Dialect>().map(|d| d.0),
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
pub struct Dialect(pub &'static str);

/// The caller as their session cookie identifies them.
#[derive(Clone)]
pub struct Visitor {
    pub session: Option<CurrentSession>,
    /// The live session's id, as its cookie carries it.
    pub session_id: Option<String>,
    /// Address and user agent, for flood control and the audit trail.
    pub client: ClientContext,
}

/// Looking the session up failed inside the server.
#[derive(Debug)]
pub struct SessionLookupFailed(pub crate::core::Error);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = SessionLookupFailed;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
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

/// What every dialect tells a client about a request that failed on the server's side.
pub struct ServerFailure {
    pub status: StatusCode,
    pub message: &'static str,
    pub retry_after: Option<u32>,
}

impl ServerFailure {
    /// Logs the cause once, here; clients see only a generic message, and a retry hint while
    /// the database is out (`outage`).
    pub fn of(error: &dyn std::fmt::Display, outage: Option<Outage>) -> Self {
        let Some(outage) = outage else {
            tracing::error!(error = %error, "request failed");
            return Self {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "The website encountered an unexpected error. Try again later.",
                retry_after: None,
            };
        };
        let reported = REQUEST_STORE.try_with(|store| store.report(outage, error));
        if reported.is_err() {
            tracing::error!(error = %error, ?outage, "request failed: the database is out");
        }
        match outage {
            // Space comes back when an operator frees it, not in a moment.
            Outage::DiskFull | Outage::Io => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "The server cannot save changes right now. Retry the request later.",
                retry_after: Some(30),
            },
            Outage::Unreachable | Outage::Busy | Outage::Exhausted => Self {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: "The database is temporarily unavailable. Retry the request in a few seconds.",
                retry_after: Some(5),
            },
        }
    }
}

tokio::task_local! {
    /// The store of the request being served, so that an outage is reported with where the
    /// database is.
    static REQUEST_STORE: Store;
}

async fn within_store(
    axum::extract::State(core): axum::extract::State<Arc<Core>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    REQUEST_STORE
        .scope(core.store().clone(), next.run(request))
        .await
}

impl ServerFailure {
    /// Too many logins are waiting for password hashing: a fast refusal with a retry hint.
    pub fn overloaded(retry_after: u64) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "The server is too busy to check passwords. Retry the request in a few seconds.",
            retry_after: Some(retry_after_header(retry_after)),
        }
    }
}

/// Seconds for a `Retry-After` header.
pub fn retry_after_header(seconds: u64) -> u32 {
    u32::try_from(seconds).unwrap_or(u32::MAX)
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

/// The whole application with its middleware.
pub fn app(state: AppState, config: &Config) -> Router {
    let request_timeout = Duration::from_secs(config.http.request_timeout);
    let sensitive: Arc<[HeaderName]> = vec![
        COOKIE,
        SET_COOKIE,
        AUTHORIZATION,
        HeaderName::from_static("x-csrf-token"),
        HeaderName::from_static("x-session-token"),
    ]
    .into();
    let tagged = |router: Router<AppState>, name| router.layer(axum::Extension(Dialect(name)));
    let mut routes = tagged(drupal::router(&state), "drupal")
        .merge(tagged(services::router(&state), "services"))
        .merge(tagged(django::router(&state), "django"))
        .merge(tagged(platformos::router(&state), "platformos"))
        .merge(native::router());
    if state.bench_hello {
        // The benchmark's ceiling: no database, no session, the same middleware.
        routes = routes.route("/bench/hello", axum::routing::get(|| async { "hello" }));
    }
    let dialects = routes
        .with_state(state.clone())
        .layer(axum::middleware::from_fn(cookies::expire_stale_cookies))
        .layer(axum::middleware::from_fn_with_state(
            state.core.clone(),
            within_store,
        ));
    hardening::harden(dialects, &config.http, &config.public_url)
        .layer(DefaultBodyLimit::max(state.body_limit))
        // Every response carries session state or tokens: never let a cache keep it.
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(redact::RedactedSpan))
        .layer(SetSensitiveHeadersLayer::from_shared(sensitive))
}

/// Serves until `shutdown` completes, delivering mail and purging expired sessions and flood
/// events in the background.
pub async fn serve(
    listener: TcpListener,
    core: Arc<Core>,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let delivery = Delivery::start(core.clone(), &config.mail).map_err(std::io::Error::other)?;
    let purger = tokio::spawn(purge_sessions(core.clone()));
    let state = AppState::new(core, config);
    let app = app(state, config);
    let result = connections::serve_connections(
        listener,
        app,
        config.http.max_connections,
        connections::PerClientLimit {
            limit: config.http.max_connections_per_ip,
            ipv6_prefix: config.flood.ipv6_prefix,
            exempt: TrustedProxies::new(&config.http),
        },
        Duration::from_secs(config.http.request_timeout),
        shutdown,
    )
    .await;
    purger.abort();
    delivery.stop().await;
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
