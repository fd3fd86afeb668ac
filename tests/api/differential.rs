//! The harness of the differential tests: a corpus of scenarios (`tests/django_reference/*.json`)
//! goes to latch and to the real Django project in `tests/django_reference/`, each with the
//! same accounts on a fresh database, and the answers must agree in status, JSON body and the
//! names and attributes of the cookies set — except where the corpus's allowlist names an
//! intended deviation. A new difference fails the test and prints both answers.
//!
//! The reference itself is started by `differential_reference.rs`.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use latch::core::totp;
use reqwest::cookie::{CookieStore, Jar};
use serde::Deserialize;
use serde_json::Value;

use crate::differential_reference::project;

#[derive(Deserialize)]
struct Scenario {
    name: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    method: String,
    path: String,
    /// A JSON body; the string `"<totp>"` in it stands for the current TOTP code.
    json: Option<Value>,
    form: Option<Vec<(String, String)>>,
    /// Content type and body, sent as they are.
    raw: Option<(String, String)>,
    /// Sends the `csrftoken` cookie's value in `X-CSRFToken`.
    #[serde(default)]
    csrf: bool,
    /// Sends the last `meta.session_token` this side answered in `X-Session-Token`.
    #[serde(default)]
    session_token: bool,
    #[serde(default)]
    headers: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct Allowed {
    scenario: String,
    /// What may differ: `status`, `body`, `cookies`, or `all`.
    differs: String,
    reason: String,
}

#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    body: Value,
    /// `name: attribute, …` for each `Set-Cookie`, attribute names lower-cased (values vary).
    cookies: BTreeSet<String>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} cookies {:?}",
            self.status, self.body, self.cookies
        )
    }
}

/// A corpus and what it needs.
pub(crate) struct Corpus {
    /// The scenarios' file in `tests/django_reference/`.
    pub(crate) scenarios: &'static str,
    /// Its allowlist there.
    pub(crate) allowlist: &'static str,
    /// Fewer scenarios than this fails: the corpus must not shrink unnoticed.
    pub(crate) at_least: usize,
    /// The TOTP secret both sides enrolled, for the corpus's `"<totp>"` codes.
    pub(crate) totp_secret: Option<Vec<u8>>,
}

/// One client of one server: its cookie jar and the last session token it was given.
struct Side {
    base: String,
    jar: Arc<Jar>,
    client: reqwest::Client,
    session_token: Option<String>,
}

impl Side {
    fn new(base: &str) -> Side {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Side {
            base: base.to_string(),
            jar,
            client,
            session_token: None,
        }
    }

    fn csrf_token(&self) -> String {
        let url = self.base.parse().unwrap();
        let cookies = self.jar.cookies(&url);
        let header = cookies.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("");
        header
            .split("; ")
            .find_map(|c| c.strip_prefix("csrftoken="))
            .unwrap_or_default()
            .to_string()
    }

    /// Sends `step`, with `json` as its body if it has one (the step's, codes filled in).
    async fn send(&mut self, step: &Step, json: Option<&Value>) -> Answer {
        let method = reqwest::Method::from_bytes(step.method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, step.path));
        if let Some(json) = json {
            request = request.json(json);
        }
        if let Some(form) = &step.form {
            request = request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(form).unwrap());
        }
        if let Some((content_type, body)) = &step.raw {
            request = request
                .header("Content-Type", content_type)
                .body(body.clone());
        }
        if step.csrf {
            request = request.header("X-CSRFToken", self.csrf_token());
        }
        if let (true, Some(token)) = (step.session_token, &self.session_token) {
            request = request.header("X-Session-Token", token);
        }
        for (name, value) in &step.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(cookie_shape)
            .collect();
        let text = response.text().await.unwrap();
        let mut body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if let Some(token) = body.pointer("/meta/session_token").and_then(Value::as_str) {
            self.session_token = Some(token.to_string());
        }
        normalise(&mut body);
        Answer {
            status,
            body,
            cookies,
        }
    }
}

/// Replaces what differs by nature between two servers with placeholders: account ids (each
/// database's sequence), session tokens (random), when each authentication method was used,
/// and timestamps.
fn normalise(body: &mut Value) {
    let mut set = |pointer: &str, placeholder: &str| {
        if let Some(value) = body.pointer_mut(pointer) {
            *value = Value::from(placeholder);
        }
    };
    set("/pk", "<pk>");
    set("/meta/session_token", "<session_token>");
    set("/data/user/id", "<id>");
    if let Some(methods) = body
        .pointer_mut("/data/methods")
        .and_then(Value::as_array_mut)
    {
        for method in methods {
            if let Some(id) = method.get_mut("id") {
                *id = Value::from("<id>");
            }
        }
    }
    // allauth builds `login_methods` from a Python set, whose order changes from one run of
    // the reference to the next.
    if let Some(methods) = body
        .pointer_mut("/data/account/login_methods")
        .and_then(Value::as_array_mut)
    {
        methods.sort_by_key(Value::to_string);
    }
    blank_timestamps(body);
}

fn blank_timestamps(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if (key == "at" || key.ends_with("_at")) && !value.is_null() {
                    *value = Value::from("<time>");
                } else {
                    blank_timestamps(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(blank_timestamps),
        _ => {}
    }
}

/// `name: attr, attr=value…` with the values that vary (the cookie's, dates, ages) left out;
/// a deletion is `name: deleted`, whatever attributes it carries.
fn cookie_shape(set_cookie: &str) -> String {
    let lower = set_cookie.to_ascii_lowercase();
    if lower.contains("max-age=0") || set_cookie.split(';').next().unwrap_or("").ends_with('=') {
        let name = set_cookie.split('=').next().unwrap_or_default();
        return format!("{name}: deleted");
    }
    let mut parts = set_cookie.split(';').map(str::trim);
    let name = parts
        .next()
        .unwrap_or_default()
        .split('=')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut attributes: Vec<String> = parts
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (key, value) = p.split_once('=').unwrap_or((p, ""));
            let key = key.to_ascii_lowercase();
            match key.as_str() {
                "samesite" | "path" => format!("{key}={}", value.to_ascii_lowercase()),
                _ => key,
            }
        })
        .collect();
    attributes.sort();
    format!("{name}: {}", attributes.join(", "))
}

fn differs(ours: &Answer, theirs: &Answer, allowed: Option<&Allowed>) -> bool {
    let what = allowed.map_or("", |a| a.differs.as_str());
    if what == "all" {
        return false;
    }
    (what != "status" && ours.status != theirs.status)
        || (what != "body" && ours.body != theirs.body)
        || (what != "cookies" && ours.cookies != theirs.cookies)
}

/// `value` with each `"<totp>"` string replaced by `code`.
fn fill_code(value: &Value, code: &str) -> Value {
    match value {
        Value::String(s) if s == "<totp>" => Value::from(code),
        Value::Array(items) => items.iter().map(|v| fill_code(v, code)).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_code(v, code)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The code of the current TOTP step, once a step has enough time left for both servers to
/// check it and is one no earlier request used (both refuse a code used before).
async fn fresh_code(secret: &[u8], last_step: &mut Option<i64>) -> String {
    loop {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let step = totp::step_at(now.as_secs() as i64);
        let left = totp::STEP_SECONDS as u64 - now.as_secs() % totp::STEP_SECONDS as u64;
        if *last_step != Some(step) && left >= 8 {
            *last_step = Some(step);
            return totp::code_at(secret, step);
        }
        tokio::time::sleep(Duration::from_secs(left) + Duration::from_millis(200)).await;
    }
}

/// Sends every scenario of `corpus` to latch at `ours` and to the reference at `theirs` and
/// fails, printing both answers of each differing step, unless they agree.
pub(crate) async fn compare(corpus: &Corpus, ours: &str, theirs: &str) {
    let read = |name: &str| std::fs::read_to_string(project().join(name)).unwrap();
    let scenarios: Vec<Scenario> = serde_json::from_str(&read(corpus.scenarios)).unwrap();
    let allowlist: Vec<Allowed> = serde_json::from_str(&read(corpus.allowlist)).unwrap();
    for allowed in &allowlist {
        assert!(
            scenarios.iter().any(|s| s.name == allowed.scenario) && !allowed.reason.is_empty(),
            "allowlist entry without a scenario or a reason: {}",
            allowed.scenario
        );
    }
    let mut problems = Vec::new();
    let mut differing = BTreeSet::new();
    let mut steps = 0;
    let mut last_step = None;
    for scenario in &scenarios {
        let mut latch = Side::new(ours);
        let mut django = Side::new(theirs);
        let allowed = allowlist.iter().find(|a| a.scenario == scenario.name);
        for (index, step) in scenario.steps.iter().enumerate() {
            steps += 1;
            let json = match (&step.json, &corpus.totp_secret) {
                (Some(json), Some(secret)) if json.to_string().contains("\"<totp>\"") => {
                    Some(fill_code(json, &fresh_code(secret, &mut last_step).await))
                }
                (json, _) => json.clone(),
            };
            let a = latch.send(step, json.as_ref()).await;
            let b = django.send(step, json.as_ref()).await;
            if differs(&a, &b, allowed) {
                differing.insert(&scenario.name);
                problems.push(format!(
                    "{} (step {index}: {} {})\n  latch:  {a}\n  django: {b}",
                    scenario.name, step.method, step.path
                ));
            }
        }
    }
    assert!(scenarios.len() >= corpus.at_least, "the corpus shrank");
    println!("{} scenarios, {steps} requests compared", scenarios.len());
    assert!(
        problems.is_empty(),
        "{} of {} scenarios differ from Django:\n{}",
        differing.len(),
        scenarios.len(),
        problems.join("\n")
    );
}

#[test]
fn normalising_keeps_what_a_dialect_decides_and_blanks_what_differs_by_nature() {
    let mut body = serde_json::json!({
        "status": 200,
        "data": {
            "user": {"id": 7, "username": "bench"},
            "methods": [{"method": "mfa", "type": "totp", "id": 3, "at": 1796593968.5}],
        },
        "meta": {"is_authenticated": true, "session_token": "abc"},
    });
    normalise(&mut body);
    assert_eq!(
        body,
        serde_json::json!({
            "status": 200,
            "data": {
                "user": {"id": "<id>", "username": "bench"},
                "methods": [{"method": "mfa", "type": "totp", "id": "<id>", "at": "<time>"}],
            },
            "meta": {"is_authenticated": true, "session_token": "<session_token>"},
        })
    );
    let code = fill_code(
        &serde_json::json!({"code": "<totp>", "keep": "x"}),
        "123456",
    );
    assert_eq!(code, serde_json::json!({"code": "123456", "keep": "x"}));
}
