//! Helpers for the Laravel dialect's tests: a front end's client that holds the
//! `XSRF-TOKEN` cookie and sends it back, as axios does for a Sanctum SPA.

use reqwest::{Client, Response};
use serde_json::Value;

use crate::helpers::{TestApp, new_client};

/// An origin on Sanctum's default stateful list.
pub const FRONT_END: &str = "http://localhost:3000";
pub const PASSWORD: &str = "a long pass phrase 1";

/// A browser app's session with latch: its cookie jar and the current `XSRF-TOKEN`.
pub struct Spa<'a> {
    pub app: &'a TestApp,
    pub client: Client,
    pub xsrf: String,
}

/// The value a response sets for cookie `name`, if it sets one.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_string())
}

/// The whole `Set-Cookie` line for cookie `name`.
pub fn set_cookie_line(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

impl<'a> Spa<'a> {
    /// `GET /sanctum/csrf-cookie` in a new cookie jar.
    pub async fn start(app: &'a TestApp) -> Spa<'a> {
        let client = new_client();
        let response = client
            .get(app.url("/sanctum/csrf-cookie"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let xsrf = set_cookie(&response, "XSRF-TOKEN").expect("XSRF-TOKEN is set");
        Spa { app, client, xsrf }
    }

    /// `POST path` with a JSON body from the front end's origin, with `X-XSRF-TOKEN`; keeps
    /// a rotated `XSRF-TOKEN`.
    pub async fn post(&mut self, path: &str, body: &Value) -> Response {
        let response = self
            .client
            .post(self.app.url(path))
            .header("Accept", "application/json")
            .header("Origin", FRONT_END)
            .header("X-XSRF-TOKEN", &self.xsrf)
            .json(body)
            .send()
            .await
            .unwrap();
        if let Some(xsrf) = set_cookie(&response, "XSRF-TOKEN") {
            self.xsrf = xsrf;
        }
        response
    }

    /// `GET path` from the front end's origin.
    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.app.url(path))
            .header("Accept", "application/json")
            .header("Origin", FRONT_END)
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/user`: status and body.
    pub async fn user(&self) -> (u16, Value) {
        let response = self.get("/api/user").await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Logs in as `mail` with [`PASSWORD`]; the answer's status and body.
    pub async fn login(&mut self, mail: &str) -> (u16, Value) {
        let body = serde_json::json!({"email": mail, "password": PASSWORD});
        let response = self.post("/login", &body).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Status and JSON body (`Null` when the body is empty).
pub async fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}
