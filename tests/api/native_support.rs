//! Helpers for the native `/latch/` API's tests: a session from each dialect, as the header
//! its clients send it in, and `/latch/verify` called with given headers.

use reqwest::{Client, Method, Response};

use crate::django_support::{client_with_token, cookie_value, post_login};
use crate::helpers::TestApp;
use crate::platformos_support::{app_token, login_body, send};

/// How a client presents its session: one request header.
pub type Credential = (&'static str, String);

/// A Drupal session cookie from `POST /user/login`.
pub async fn drupal_session(app: &TestApp, name: &str, pass: &str) -> Credential {
    let response = app.login(&Client::new(), name, pass).await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    let pair = set_cookie.split(';').next().unwrap().trim().to_string();
    ("Cookie", pair)
}

/// Django's `sessionid` cookie from the login page.
pub async fn django_session(app: &TestApp, name: &str, pass: &str) -> Credential {
    let (client, token) = client_with_token(app).await;
    let response = post_login(app, &client, &token, name, pass).await;
    assert_eq!(response.status(), 200);
    let id = cookie_value(response.headers(), "sessionid").expect("sessionid cookie");
    ("Cookie", format!("sessionid={id}"))
}

/// The cookie a Drupal 7 Services client builds from `session_name` and `sessid`.
pub async fn services_session(app: &TestApp, name: &str, pass: &str) -> Credential {
    ("Cookie", app.services_login(name, pass).await.0)
}

/// `X-Session-Token` from a platformOS-style login that asked for it.
pub async fn platformos_session(app: &TestApp, mail: &str, pass: &str) -> Credential {
    let token = app_token(app, "native-tests").await;
    let response = send(
        app,
        &Client::new(),
        Method::POST,
        "/api/sessions?session_token=true",
        Some(&token),
        Some(&login_body(mail, pass)),
    )
    .await;
    assert_eq!(response.status(), 201);
    let id = response.headers()["x-session-token"].to_str().unwrap();
    ("X-Session-Token", id.to_string())
}

/// `GET path` with exactly these headers, from a client that keeps no cookies and follows no
/// redirect.
pub async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Response {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the server answers")
}

/// `GET /latch/verify` (with `query`) presenting `credential`, plus `extra` headers.
pub async fn verify(
    app: &TestApp,
    query: &str,
    credential: Option<&Credential>,
    extra: &[(&str, &str)],
) -> Response {
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    if let Some((name, value)) = credential {
        headers.push((name, value));
    }
    get_with(app, &format!("/latch/verify{query}"), &headers).await
}

/// A response header as text, or "" if absent.
pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}
