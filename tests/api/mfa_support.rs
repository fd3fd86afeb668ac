//! Helpers for the second-factor tests: enrolling an account through the native API and
//! computing its TOTP codes from the secret, as an authenticator app does.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use latch::core::totp;
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json};
use crate::native_support::{Credential, drupal_session, get_with};

/// An enrolled account: its TOTP secret, recovery codes and a session.
pub struct Enrolled {
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
    pub session: Credential,
}

impl Enrolled {
    /// The code of the current time step moved by `steps`.
    pub fn code(&self, steps: i64) -> String {
        totp::code_at(&self.secret, step_now() + steps)
    }
}

pub fn step_now() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    totp::step_at(now.as_secs() as i64)
}

/// Waits, if need be, until at least `seconds` of the current time step are left, so a test
/// that uses the codes of neighbouring steps is not split by a step boundary.
pub async fn settle(seconds: u64) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into = now.as_secs() % totp::STEP_SECONDS as u64;
    let left = totp::STEP_SECONDS as u64 - into;
    if left < seconds {
        tokio::time::sleep(Duration::from_secs(left) + Duration::from_millis(200)).await;
    }
}

/// `method path` with exactly these headers and an optional JSON body.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Response {
    let mut request = Client::new().request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    request.send().await.expect("the server answers")
}

pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        body_json(&text)
    };
    (status, body)
}

/// The session's CSRF token, from whoami.
pub async fn csrf_token(app: &TestApp, (name, value): &Credential) -> String {
    let response = get_with(app, "/latch/whoami", &[(name, value)]).await;
    assert_eq!(response.status(), 200);
    body_json(&response.text().await.unwrap())["csrf_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An unsafe native call by cookie, with the session's CSRF token.
pub async fn call_as(
    app: &TestApp,
    session: &Credential,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let token = csrf_token(app, session).await;
    let (name, value) = session;
    let response = call(
        app,
        method,
        path,
        &[(name, value), ("X-CSRF-Token", &token)],
        body,
    )
    .await;
    status_json(response).await
}

/// `POST /latch/mfa/totp` by `session`; the secret's bytes.
pub async fn start(app: &TestApp, session: &Credential) -> Vec<u8> {
    let (status, body) = call_as(app, session, Method::POST, "/latch/mfa/totp", None).await;
    assert_eq!(status, 201, "{body}");
    totp::base32_decode(body["secret"].as_str().unwrap()).unwrap()
}

/// Creates `name` with `pass` and enrols TOTP, confirmed with the previous step's code so
/// the current and next steps' codes are still unused.
pub async fn enrolled_account(app: &TestApp, name: &str, pass: &str) -> Enrolled {
    app.create_account(name, pass, &[]).await;
    let session = drupal_session(app, name, pass).await;
    settle(8).await;
    let secret = start(app, &session).await;
    let code = totp::code_at(&secret, step_now() - 1);
    let (status, body) = call_as(
        app,
        &session,
        Method::POST,
        "/latch/mfa/totp/confirm",
        Some(&json!({ "code": code })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let recovery_codes = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    Enrolled {
        secret,
        recovery_codes,
        session,
    }
}

/// `POST /latch/login` with a JSON body.
pub async fn native_login(app: &TestApp, body: &Value) -> Response {
    call(app, Method::POST, "/latch/login", &[], Some(body)).await
}

/// `POST /latch/login/mfa`.
pub async fn native_login_mfa(app: &TestApp, token: &str, code: &str) -> Response {
    let body = json!({"mfa_token": token, "code": code});
    call(app, Method::POST, "/latch/login/mfa", &[], Some(&body)).await
}

/// The `mfa_token` of a first step that must ask for the second factor.
pub async fn mfa_token(app: &TestApp, name: &str, pass: &str) -> String {
    let response = native_login(app, &json!({"name": name, "password": pass})).await;
    assert!(response.headers().get("set-cookie").is_none());
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mfa_required"], true, "{body}");
    body["mfa_token"].as_str().unwrap().to_string()
}
