//! The legacy site's client for trickle migration: logs in to a live Drupal 8+ site
//! (`/user/login?_format=json`) or Django site (dj-rest-auth `login/`) with the credentials a
//! latch login was given, reads the account, and logs out again so nothing is left behind.
//! The core asks it through [`LegacyLogin`] and bounds the time it may take.

mod django;
mod drupal;

use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE, USER_AGENT};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use secrecy::SecretString;

use crate::config::{LegacyConfig, LegacyDialect};
use crate::core::LoginName;
use crate::core::accounts::NameRules;
use crate::core::legacy::{LegacyAnswer, LegacyError, LegacyLogin};

/// Larger answers are not read: a login answer is a few hundred bytes.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// A legacy site, as `[legacy]` names it.
pub struct LegacySite {
    /// Follows no redirect: a login answered with one is refused.
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
    login_path: String,
    dialect: LegacyDialect,
    timeout: Duration,
}

/// One answer of the legacy site.
struct Reply {
    status: StatusCode,
    /// `name=value` of each cookie it set.
    cookies: Vec<String>,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Result<serde_json::Value, LegacyError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            LegacyError(format!(
                "the legacy site answered {} with no JSON: {e}",
                self.status
            ))
        })
    }

    /// The value of the cookie `name` it set, if any.
    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find_map(|c| c.strip_prefix(name)?.strip_prefix('='))
    }
}

/// Whether a refused login is the site saying no (a 4xx answer), or the site failing.
fn refused(reply: &Reply) -> Result<(), LegacyError> {
    if reply.status.is_client_error() {
        Ok(())
    } else {
        Err(LegacyError(format!(
            "the legacy site answered a login with {}",
            reply.status
        )))
    }
}

impl LegacySite {
    /// The configured site's client; `None` when `[legacy]` names no site.
    pub fn new(config: &LegacyConfig) -> Result<Option<Self>, String> {
        if !config.enabled() {
            return Ok(None);
        }
        // Mozilla's root certificates, as for SMTP and webhooks.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("cannot set up TLS for the legacy site: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Some(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: config.base_url().to_string(),
            login_path: config.login_path().to_string(),
            dialect: config.dialect,
            timeout: config.timeout,
        }))
    }

    /// Sends one request to `path` on the site with the cookies in `jar`, and reads the answer.
    async fn send(
        &self,
        method: Method,
        path: &str,
        jar: &[String],
        headers: &[(&str, String)],
        body: Option<serde_json::Value>,
    ) -> Result<Reply, LegacyError> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("latch/", env!("CARGO_PKG_VERSION"), " (trickle migration)"),
            );
        if !jar.is_empty() {
            request = request.header(COOKIE, jar.join("; "));
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let bytes = match body {
            Some(json) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Bytes::from(json.to_string())
            }
            None => Bytes::new(),
        };
        let request = request
            .body(Full::new(bytes))
            .map_err(|e| LegacyError(format!("the legacy URL cannot be requested: {e}")))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| LegacyError(format!("the legacy site cannot be reached: {e}")))?;
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|pair| pair.trim().to_string())
            .collect();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| LegacyError(format!("the legacy site's answer cannot be read: {e}")))?
            .to_bytes();
        Ok(Reply {
            status,
            cookies,
            body,
        })
    }
}

impl LegacyLogin for LegacySite {
    fn verify<'a>(&'a self, login: LoginName<'a>, password: &'a SecretString) -> LegacyAnswer<'a> {
        Box::pin(async move {
            match self.dialect {
                LegacyDialect::Drupal => drupal::verify(self, login, password).await,
                LegacyDialect::Django => django::verify(self, login, password).await,
            }
        })
    }

    fn time_limit(&self) -> Duration {
        self.timeout
    }

    fn name_rules(&self) -> NameRules {
        match self.dialect {
            LegacyDialect::Drupal => NameRules::Drupal,
            LegacyDialect::Django => NameRules::Django,
        }
    }
}

/// A JSON value as text: strings as they are, numbers written out (Drupal sends ids as either).
fn text_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
