//! One write and one session check in each dialect, and the error shape each one's clients
//! parse, so a fault test can require "503 with `Retry-After`, in the caller's own shape".

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{Answer, send};

#[derive(Debug, Clone, Copy)]
pub enum Dialect {
    Drupal,
    Services,
    Django,
    Platformos,
}

pub const ALL: [Dialect; 4] = [
    Dialect::Drupal,
    Dialect::Services,
    Dialect::Django,
    Dialect::Platformos,
];

impl Dialect {
    /// Registers `name` (password `pass`) the way this dialect's clients do.
    pub async fn register(self, client: &Client, base: &str, name: &str, pass: &str) -> Answer {
        let mail = format!("{name}@example.com");
        let (path, body) = match self {
            Dialect::Drupal => (
                "/user/register?_format=json",
                json!({"name": {"value": name}, "mail": {"value": mail}, "pass": {"value": pass}}),
            ),
            Dialect::Services => (
                "/rest/user/register.json",
                json!({"name": name, "mail": mail, "pass": pass}),
            ),
            Dialect::Django => (
                "/dj-rest-auth/registration/",
                json!({"username": name, "email": mail, "password1": pass, "password2": pass}),
            ),
            Dialect::Platformos => (
                "/api/users",
                json!({"form_name": "reference_rest_api_create_users",
                       "form": {"email": mail, "password": pass, "name": name}}),
            ),
        };
        send(
            client
                .post(format!("{base}{}", path))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    /// Whether registration succeeded by this dialect's success status.
    pub fn registered(self, answer: &Answer) -> bool {
        match self {
            Dialect::Drupal | Dialect::Services => answer.is(200),
            Dialect::Django => answer.is(204) || answer.is(201),
            Dialect::Platformos => answer.is(201),
        }
    }

    /// Asks who the session cookie belongs to, the way this dialect's clients do.
    pub async fn whoami(self, client: &Client, base: &str, cookie: &str) -> Answer {
        let request = match self {
            Dialect::Drupal => client.get(format!("{base}/user/login_status?_format=json")),
            Dialect::Services => client.post(format!("{base}/rest/system/connect.json")),
            Dialect::Django => client.get(format!("{base}/dj-rest-auth/user/")),
            Dialect::Platformos => client.get(format!("{base}/api/sessions")),
        };
        let request = match self {
            // system/connect is a POST with a session: it needs the session's token, and
            // fetching that is itself a session check.
            Dialect::Services => {
                let token = send(
                    client
                        .get(format!("{base}/services/session/token"))
                        .header("Cookie", cookie),
                )
                .await;
                if !token.is(200) {
                    return token;
                }
                request
                    .header("X-CSRF-Token", token.body)
                    .header("Content-Type", "application/json")
            }
            _ => request,
        };
        send(
            request
                .header("Cookie", cookie)
                .header("Accept", "application/json"),
        )
        .await
    }

    /// Whether `answer` says the session is logged in as `name`.
    pub fn knows(self, answer: &Answer, name: &str) -> bool {
        let body = answer.json();
        answer.is(200)
            && match self {
                Dialect::Drupal => answer.body == "1",
                Dialect::Services => body["user"]["name"] == name,
                Dialect::Django => body["username"] == name,
                Dialect::Platformos => body["user"]["name"] == name,
            }
    }

    /// The message of an error in this dialect's shape, or `None` if the body has another
    /// shape: Drupal `{"message"}`, Services `["…"]`, DRF `{"detail"}`, platformOS
    /// `{"errors": {"base": […]}}`.
    pub fn error_message(self, answer: &Answer) -> Option<String> {
        let body = answer.json();
        let text = |v: &Value| v.as_str().map(str::to_string);
        match self {
            Dialect::Drupal => text(&body["message"]),
            Dialect::Services => body
                .as_array()
                .filter(|a| a.len() == 1)
                .and_then(|a| text(&a[0])),
            Dialect::Django => body
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| text(&o["detail"])),
            Dialect::Platformos => text(&body["errors"]["base"][0]),
        }
    }

    /// Panics unless `answer` is a 503 with `Retry-After` in this dialect's error shape.
    pub fn assert_retry_later(self, answer: &Answer, what: &str) {
        assert!(
            answer.is_retry_later(),
            "{self:?} {what}: want 503 with Retry-After, got {:?} {:?} {}",
            answer.status,
            answer.retry_after,
            answer.body
        );
        assert!(
            self.error_message(answer).is_some(),
            "{self:?} {what}: the 503 is not in the dialect's error shape: {}",
            answer.body
        );
    }
}
