//! Helpers for the platformOS-style dialect's tests: its envelope, tokens and error bodies.

use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json};

pub const CREATE_FORM: &str = "reference_rest_api_create_sessions";
pub const DELETE_FORM: &str = "reference_rest_api_delete_sessions";
pub const MEDIA_TYPE: &str = "application/vnd.api+json";

/// A new application's API token.
pub async fn app_token(app: &TestApp, name: &str) -> String {
    app.core
        .add_app(name, &latch::core::audit::ClientContext::command_line())
        .await
        .expect("add app")
        .token
}

/// The seed's login body.
pub fn login_body(email: &str, password: &str) -> Value {
    json!({"form_name": CREATE_FORM, "form": {"email": email, "password": password}})
}

/// A JSON request to `path` with the seed's headers; `token` adds `Authorization`.
pub fn request(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> RequestBuilder {
    let mut builder = client
        .request(method, app.url(path))
        .header("Accept", "application/json");
    if let Some(token) = token {
        builder = builder.header("Authorization", format!("Token token={token}"));
    }
    if let Some(body) = body {
        builder = builder
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    builder
}

/// [`request`], sent.
pub async fn send(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    request(app, client, method, path, token, body)
        .send()
        .await
        .unwrap()
}

/// `POST /api/sessions` with the seed's body for these credentials.
pub async fn log_in(
    app: &TestApp,
    client: &Client,
    token: Option<&str>,
    email: &str,
    password: &str,
) -> Response {
    send(
        app,
        client,
        reqwest::Method::POST,
        "/api/sessions",
        token,
        Some(&login_body(email, password)),
    )
    .await
}

/// The status and the `errors` object of an error answer, checking its media type.
pub async fn errors_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    assert_eq!(media.as_deref(), Some(MEDIA_TYPE), "{status} {text}");
    let body = body_json(&text);
    assert!(body["errors"].is_object(), "no errors object: {text}");
    (status, body["errors"].clone())
}

/// An anonymous `POST` of `body` to `path` that must fail; its status and `errors`.
pub async fn post_errors(app: &TestApp, client: &Client, path: &str, body: &Value) -> (u16, Value) {
    errors_of(send(app, client, reqwest::Method::POST, path, None, Some(body)).await).await
}

/// `GET /api/sessions` with the client's cookies; the status and body.
pub async fn whoami(app: &TestApp, client: &Client) -> (u16, Value) {
    let response = send(
        app,
        client,
        reqwest::Method::GET,
        "/api/sessions",
        None,
        None,
    )
    .await;
    let status = response.status().as_u16();
    (status, body_json(&response.text().await.unwrap()))
}
