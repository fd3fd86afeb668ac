//! A Drupal 7 Services client: bodies in each encoding the module accepts (multipart built
//! byte for byte as PHP's curl builds it), and the status line's reason phrase.

use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Map, Value};

use crate::helpers::{TestApp, body_json, rand_u128};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    /// What PHP's curl sends for `CURLOPT_POSTFIELDS => array(…)`.
    Multipart,
    Urlencoded,
    Xml,
}

pub const ALL_ENCODINGS: [Encoding; 4] = [
    Encoding::Json,
    Encoding::Multipart,
    Encoding::Urlencoded,
    Encoding::Xml,
];

/// A client without a cookie jar: cookies are built by hand, as the seed's PHP script does.
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Flattens nested objects into PHP field names: `{"account":{"name":"bob"}}` →
/// `account[name]=bob`.
fn php_fields(prefix: Option<&str>, fields: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (key, value) in fields {
        let name = match prefix {
            Some(p) => format!("{p}[{key}]"),
            None => key.clone(),
        };
        match value {
            Value::Object(inner) => php_fields(Some(&name), inner, out),
            Value::String(s) => out.push((name, s.clone())),
            other => out.push((name, other.to_string())),
        }
    }
}

fn xml_fields(fields: &Map<String, Value>, out: &mut String) {
    for (key, value) in fields {
        out.push_str(&format!("<{key}>"));
        match value {
            Value::Object(inner) => xml_fields(inner, out),
            Value::String(s) => out.push_str(
                &s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            ),
            other => out.push_str(&other.to_string()),
        }
        out.push_str(&format!("</{key}>"));
    }
}

/// `(Content-Type, body)` for `fields` in `encoding`.
pub fn encode(fields: &Value, encoding: Encoding) -> (String, Vec<u8>) {
    let map = fields.as_object().cloned().unwrap_or_default();
    match encoding {
        Encoding::Json => ("application/json".into(), fields.to_string().into_bytes()),
        Encoding::Xml => {
            let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data>");
            xml_fields(&map, &mut body);
            body.push_str("</data>");
            ("application/xml".into(), body.into_bytes())
        }
        Encoding::Urlencoded => {
            let mut pairs = Vec::new();
            php_fields(None, &map, &mut pairs);
            let body = serde_urlencoded::to_string(&pairs).unwrap();
            (
                "application/x-www-form-urlencoded".into(),
                body.into_bytes(),
            )
        }
        Encoding::Multipart => {
            let mut pairs = Vec::new();
            php_fields(None, &map, &mut pairs);
            curl_multipart(&pairs)
        }
    }
}

/// A multipart body as libcurl writes one: 24 dashes and 16 hex digits of boundary, one
/// `Content-Disposition` line per field and no per-part `Content-Type`.
pub fn curl_multipart(pairs: &[(String, String)]) -> (String, Vec<u8>) {
    let boundary = format!("------------------------{:016x}", rand_u128() as u64);
    let mut body = Vec::new();
    for (name, value) in pairs {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends `request` and returns the body text.
pub async fn text_of(request: RequestBuilder) -> String {
    request.send().await.unwrap().text().await.unwrap()
}

/// The reason phrase of the status line, as the server sent it.
pub fn reason(response: &Response) -> String {
    response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .unwrap_or_else(|| {
            response
                .status()
                .canonical_reason()
                .unwrap_or_default()
                .to_string()
        })
}

/// An answer taken apart: status, reason phrase and body text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub reason: String,
    pub set_cookie: Option<String>,
    pub text: String,
}

impl Answer {
    pub async fn of(response: Response) -> Self {
        let status = response.status().as_u16();
        let reason = reason(&response);
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string());
        let text = response.text().await.unwrap();
        Self {
            status,
            reason,
            set_cookie,
            text,
        }
    }

    pub fn json(&self) -> Value {
        body_json(&self.text)
    }

    /// `session_name=sessid` from a login or `system/connect` answer, as the seed's client
    /// builds its cookie.
    pub fn session_cookie(&self) -> String {
        let body = self.json();
        format!(
            "{}={}",
            body["session_name"].as_str().unwrap(),
            body["sessid"].as_str().unwrap()
        )
    }

    /// Asserts an error answer: status, reason phrase and the JSON-array body.
    pub fn assert_error(&self, status: u16, reason: &str, body: &str) {
        assert_eq!(
            (self.status, self.reason.as_str(), self.json()),
            (
                status,
                reason,
                Value::Array(vec![Value::String(body.into())])
            ),
            "{self:?}"
        );
    }
}

impl TestApp {
    /// A request to `path` under the default `rest` endpoint.
    pub fn services(&self, client: &Client, path: &str) -> RequestBuilder {
        client.post(self.url(&format!("/rest/{path}")))
    }

    /// POSTs `fields` to `path` under the endpoint in `encoding`, with optional cookie and
    /// token.
    pub async fn services_post(
        &self,
        path: &str,
        fields: &Value,
        encoding: Encoding,
        cookie: Option<&str>,
        token: Option<&str>,
    ) -> Answer {
        let (content_type, body) = encode(fields, encoding);
        let mut request = self
            .services(&bare_client(), path)
            .header("Content-Type", content_type)
            .body(body);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        if let Some(token) = token {
            request = request.header("X-CSRF-Token", token);
        }
        Answer::of(request.send().await.unwrap()).await
    }

    /// An anonymous JSON POST.
    pub async fn services_json(&self, path: &str, fields: &Value) -> Answer {
        self.services_post(path, fields, Encoding::Json, None, None)
            .await
    }

    /// The outbox as `kind recipient` lines.
    pub async fn outbox_lines(&self) -> Vec<String> {
        self.outbox()
            .await
            .into_iter()
            .map(|m| format!("{} {}", m.kind, m.recipient))
            .collect()
    }

    /// `GET /services/session/token`, with the cookie if given.
    pub async fn services_token(&self, cookie: Option<&str>) -> String {
        let mut request = bare_client().get(self.url("/services/session/token"));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        text_of(request).await
    }

    /// Logs in over the Services dialect with a JSON body; returns `session_name=sessid`
    /// and the session's token.
    pub async fn services_login(&self, name: &str, pass: &str) -> (String, String) {
        let fields = serde_json::json!({"username": name, "password": pass});
        let answer = self.services_json("user/login.json", &fields).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let body = answer.json();
        let cookie = answer.session_cookie();
        (cookie, body["token"].as_str().unwrap().to_string())
    }
}
