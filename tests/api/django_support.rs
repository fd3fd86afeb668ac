//! Helpers for the Django dialect's tests: its cookies, the login page and the seed flow.

use reqwest::header::HeaderMap;
use reqwest::{Client, Response};
use serde_json::Value;

use crate::helpers::{TestApp, new_client};

pub const LOGIN: &str = "/auth/login/";
pub const LOGOUT: &str = "/auth/logout/";
pub const REST: &str = "/dj-rest-auth/";

/// The value of cookie `name` among a response's `Set-Cookie` headers, with its attributes.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// Just the value of cookie `name` set by a response.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    set_cookie(headers, name).map(|c| {
        c[name.len() + 1..]
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string()
    })
}

/// `GET /auth/login/` with no credentials, as Postman does first; the `csrftoken` value.
pub async fn csrf_token(app: &TestApp, client: &Client) -> String {
    let response = client.get(app.url(LOGIN)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    cookie_value(response.headers(), "csrftoken").expect("csrftoken cookie")
}

/// The `csrfmiddlewaretoken` hidden field of an HTML page.
pub fn form_token(html: &str) -> String {
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let start = html.find(marker).expect("token field") + marker.len();
    html[start..start + 64].to_string()
}

/// A client that has the `csrftoken` cookie, and its value.
pub async fn client_with_token(app: &TestApp) -> (Client, String) {
    let client = new_client();
    let token = csrf_token(app, &client).await;
    (client, token)
}

/// The seed flow's POST: form fields and the `X-CSRFToken` header.
pub async fn post_login(
    app: &TestApp,
    client: &Client,
    token: &str,
    name: &str,
    pass: &str,
) -> Response {
    client
        .post(app.url(LOGIN))
        .header("X-CSRFToken", token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(urlencoded(&[("username", name), ("password", pass)]))
        .send()
        .await
        .unwrap()
}

/// A JSON call to a dj-rest-auth endpoint, with `token` in `X-CSRFToken` if given.
pub async fn rest(
    app: &TestApp,
    client: &Client,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Response {
    let mut request = client.request(method, app.url(&format!("{REST}{path}")));
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(token) = token {
        request = request.header("X-CSRFToken", token);
    }
    request.send().await.unwrap()
}

/// Status and JSON body of a response.
pub async fn status_json(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        crate::helpers::body_json(&text)
    };
    (status, body)
}

pub fn urlencoded(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

pub const BOUNDARY: &str = "----latchtestboundary7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body, as Postman's form-data tab sends.
pub fn multipart(fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}
