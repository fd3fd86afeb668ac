//! Helpers for the allauth headless dialect's tests: a front end's client for either of
//! allauth's clients, as allauth's React and Expo examples drive them.

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_client};
use crate::laravel_support::set_cookie;

pub const PASSWORD: &str = "a long pass phrase 1";

/// A front end: the browser client keeps cookies and sends `csrftoken` back in
/// `X-CSRFToken`; the app client keeps `meta.session_token` and sends it in `X-Session-Token`.
pub struct Front<'a> {
    pub app: &'a TestApp,
    pub client: Client,
    pub kind: &'static str,
    pub session_token: Option<String>,
    /// The browser's `csrftoken`, as the last `Set-Cookie` gave it.
    pub csrf: Option<String>,
}

impl<'a> Front<'a> {
    pub fn browser(app: &'a TestApp) -> Self {
        Self {
            app,
            client: new_client(),
            kind: "browser",
            session_token: None,
            csrf: None,
        }
    }

    pub fn app(app: &'a TestApp) -> Self {
        Self {
            app,
            client: new_client(),
            kind: "app",
            session_token: None,
            csrf: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.app.url(&format!("/_allauth/{}/v1/{path}", self.kind))
    }

    /// `method path` with a JSON body as the front end sends it: the CSRF token (browser) or
    /// the session token (app). Keeps a new `csrftoken` and `meta.session_token`.
    pub async fn call(&mut self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        if self.kind == "browser" && method != Method::GET && self.csrf.is_none() {
            let response = self.send(Method::GET, "config", None).await;
            self.read(response).await;
        }
        let response = self.send(method, path, body).await;
        self.read(response).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(csrf) = self.csrf.as_ref().filter(|_| method != Method::GET) {
            request = request.header("X-CSRFToken", csrf);
        }
        if let Some(token) = &self.session_token {
            request = request.header("X-Session-Token", token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn read(&mut self, response: Response) -> (u16, Value) {
        if let Some(csrf) = set_cookie(&response, "csrftoken") {
            self.csrf = Some(csrf);
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        if let Some(token) = body["meta"]["session_token"].as_str() {
            self.session_token = Some(token.to_string());
        }
        (status, body)
    }

    pub async fn login(&mut self, name: &str, password: &str) -> (u16, Value) {
        let body = json!({"username": name, "password": password});
        self.call(Method::POST, "auth/login", Some(&body)).await
    }

    pub async fn session(&mut self) -> (u16, Value) {
        self.call(Method::GET, "auth/session", None).await
    }
}

/// The flow ids a 401 lists.
pub fn flow_ids(body: &Value) -> Vec<String> {
    body["data"]["flows"]
        .as_array()
        .unwrap_or_else(|| panic!("no flows: {body}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}
