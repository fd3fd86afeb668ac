//! `GET /`: what this server is, the dialects it speaks and where, links to its API
//! description and login page, and, until an administrator exists, the command that makes
//! one. HTML for browsers, JSON for `Accept: application/json`. No secret and no account
//! data: only whether an administrator exists yet.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::OpsState;
use crate::config::Config;
use crate::http::{DIALECTS, drupal};

const CREATE_ADMINISTRATOR: &str =
    "latch user add admin --mail admin@example.com --role administrator";

/// What the page says, settled when the server starts.
pub struct Home {
    site_name: String,
    /// `(name, title, base paths)` of each dialect served, latch's own API last.
    dialects: Vec<(&'static str, &'static str, Vec<String>)>,
    login_page: Option<String>,
    /// Once an administrator exists the page stops asking; accounts are not looked at again.
    administrator_seen: AtomicBool,
}

impl Home {
    pub fn new(config: &Config) -> Self {
        let mut dialects: Vec<_> = DIALECTS
            .iter()
            .map(|d| (d.name, d.title, (d.base_paths)(config)))
            .filter(|(_, _, paths)| !paths.is_empty())
            .collect();
        dialects.push((
            "latch",
            "latch's own API: forward auth, who am I, JWTs",
            vec!["/latch/".into(), "/.well-known/jwks.json".into()],
        ));
        Self {
            site_name: config.site_name.clone(),
            dialects,
            login_page: config
                .django
                .enabled
                .then(|| format!("{}login/", config.django.login_prefix)),
            administrator_seen: AtomicBool::new(false),
        }
    }

    fn to_json(&self, needs_administrator: bool) -> Value {
        let dialects: Vec<Value> = self
            .dialects
            .iter()
            .map(|(name, title, paths)| json!({"name": name, "title": title, "base_paths": paths}))
            .collect();
        let mut page = json!({
            "name": "latch",
            "version": env!("CARGO_PKG_VERSION"),
            "site_name": self.site_name,
            "description": env!("CARGO_PKG_DESCRIPTION"),
            "dialects": dialects,
            "links": {
                "docs": "/docs",
                "openapi": "/openapi.json",
                "login_page": self.login_page,
                "health": "/healthz",
                "readiness": "/readyz",
            },
        });
        if needs_administrator {
            page["setup"] = json!({
                "administrator": false,
                "command": CREATE_ADMINISTRATOR,
                "hint": "Run it on the server, with the same --config or --database as latch \
                         serve; it prints a generated password.",
            });
        }
        page
    }

    fn to_html(&self, needs_administrator: bool) -> String {
        let mut dialects = String::new();
        for (name, title, paths) in &self.dialects {
            let paths: Vec<String> = paths
                .iter()
                .map(|p| format!("<code>{}</code>", escape(p)))
                .collect();
            dialects.push_str(&format!(
                "<li><strong>{}</strong> ({name}): {}</li>\n",
                escape(title),
                paths.join(", ")
            ));
        }
        let login = self.login_page.as_deref().map_or(String::new(), |page| {
            format!("<li><a href=\"{0}\">Log in</a> ({0})</li>\n", escape(page))
        });
        let setup = if needs_administrator {
            format!(
                "<h2>First steps</h2>\n<p>No administrator exists yet. Create one on the \
                 server, with the same <code>--config</code> or <code>--database</code> as \
                 <code>latch serve</code>; it prints a generated password:</p>\n\
                 <pre>{CREATE_ADMINISTRATOR}</pre>\n"
            )
        } else {
            String::new()
        };
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{site} · latch</title>\n</head>\n<body>\n<h1>{site}</h1>\n\
             <p>latch {version}: {description}.</p>\n<h2>Dialects</h2>\n<ul>\n{dialects}</ul>\n\
             <h2>Links</h2>\n<ul>\n<li><a href=\"/docs\">API documentation</a> \
             (<a href=\"/openapi.json\">OpenAPI</a>)</li>\n{login}\
             <li><a href=\"/healthz\">/healthz</a> and <a href=\"/readyz\">/readyz</a></li>\n\
             </ul>\n{setup}</body>\n</html>\n",
            site = escape(&self.site_name),
            version = env!("CARGO_PKG_VERSION"),
            description = escape(env!("CARGO_PKG_DESCRIPTION")),
        )
    }
}

pub async fn home(
    State(state): State<OpsState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // Drupal 7's `/?q=PATH` names a page; one latch does not serve stays the usual 404 for
    // the clients that build every request that way.
    let names_a_page = uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("q"))
    });
    if names_a_page {
        return drupal::not_found(method, uri).await.into_response();
    }
    let needs_administrator = needs_administrator(&state).await;
    if wants_json(&headers) {
        Json(state.home.to_json(needs_administrator)).into_response()
    } else {
        (
            [(CONTENT_TYPE, "text/html; charset=utf-8")],
            state.home.to_html(needs_administrator),
        )
            .into_response()
    }
}

/// Whether to show how to create the first administrator: not once one exists, and not
/// when the database cannot tell.
async fn needs_administrator(state: &OpsState) -> bool {
    if state.home.administrator_seen.load(Ordering::Relaxed) {
        return false;
    }
    match state.app.core.store().has_active_administrator().await {
        Ok(true) => {
            state.home.administrator_seen.store(true, Ordering::Relaxed);
            false
        }
        Ok(false) => true,
        Err(e) => {
            tracing::warn!(error = %e, "home page: cannot tell whether an administrator exists");
            false
        }
    }
}

/// JSON when the client asks for it and not for HTML (a browser's `Accept` names both).
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accept.contains("application/json") && !accept.contains("text/html")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
