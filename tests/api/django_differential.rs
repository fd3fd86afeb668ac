//! The differential test: every scenario of `tests/django_reference/scenarios.json` is sent
//! to latch and to a real Django 5.2 + DRF + dj-rest-auth + allauth project
//! (`tests/django_reference/`), each with the same accounts on a fresh database, and the
//! answers must agree in status, JSON body and the names and attributes of the cookies set —
//! except where `allowlist.json` names an intended deviation (each also in the README).
//! A new difference fails the test and prints both answers.
//!
//! The reference runs in the virtual environment `tests/django_reference/.venv` (`.ci/run`
//! and `scripts/test` install it from `requirements.txt`), or under the Python named by
//! `LATCH_DJANGO_REFERENCE_PYTHON`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use serde::Deserialize;
use serde_json::Value;

use crate::helpers::{TestApp, skip, spawn_app_with};

#[derive(Deserialize)]
struct Scenario {
    name: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    method: String,
    path: String,
    json: Option<Value>,
    form: Option<Vec<(String, String)>>,
    /// Content type and body, sent as they are.
    raw: Option<(String, String)>,
    /// Sends the `csrftoken` cookie's value in `X-CSRFToken`.
    #[serde(default)]
    csrf: bool,
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

/// The reference server, stopped when dropped.
pub(crate) struct Reference {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django_reference")
}

pub(crate) fn python() -> Option<PathBuf> {
    if let Ok(python) = std::env::var("LATCH_DJANGO_REFERENCE_PYTHON") {
        return Some(PathBuf::from(python));
    }
    let venv = project().join(".venv/bin/python");
    venv.exists().then_some(venv)
}

fn manage(python: &Path, db: &Path, args: &[&str]) {
    let status = Command::new(python)
        .arg(project().join("manage.py"))
        .args(args)
        .env("REFERENCE_DB", db)
        .stdout(Stdio::null())
        .status()
        .expect("python");
    assert!(status.success(), "manage.py {args:?} failed");
}

pub(crate) async fn start_reference(python: &Path, dir: &Path) -> Reference {
    let db = dir.join("reference.sqlite3");
    manage(python, &db, &["migrate", "--noinput"]);
    let seed = std::fs::read_to_string(project().join("reference/seed.py")).unwrap();
    manage(python, &db, &["shell", "-c", &seed]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(python)
        .arg(project().join("manage.py"))
        .args(["runserver", &format!("127.0.0.1:{port}"), "--noreload"])
        .env("REFERENCE_DB", &db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python");
    let reference = Reference {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return reference;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the reference server did not start");
}

/// latch as the reference is set up: Django's password validators, and no flood control
/// (the corpus fails logins more often than the limits allow; flood control has tests of
/// its own).
async fn start_latch() -> TestApp {
    let app = spawn_app_with(|c| {
        c.password.min_length = 8;
        c.password.reject_common = true;
        c.password.max_similarity = 0.7;
        c.password.reject_numeric = true;
        c.flood.enabled = false;
    })
    .await;
    app.create_account("bench", "correct horse", &[]).await;
    let blocked = app.create_account("blocked", "pw pw pw", &[]).await;
    app.core
        .set_account_state(&blocked.name, latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    app
}

struct Side {
    base: String,
    jar: Arc<Jar>,
    client: reqwest::Client,
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

    async fn send(&self, step: &Step) -> Answer {
        let method = reqwest::Method::from_bytes(step.method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, step.path));
        if let Some(json) = &step.json {
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
        // Account ids depend on each database's sequence, not on the dialect.
        if let Some(pk) = body.get_mut("pk") {
            *pk = Value::from("<pk>");
        }
        Answer {
            status,
            body,
            cookies,
        }
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

#[tokio::test]
async fn latch_answers_as_a_real_django_project_does() {
    let Some(python) = python() else {
        return skip(
            "the Django differential test: no reference project environment (python3 -m venv \
             tests/django_reference/.venv && tests/django_reference/.venv/bin/pip install -r \
             tests/django_reference/requirements.txt; .ci/run does it)",
        );
    };
    let read = |name: &str| std::fs::read_to_string(project().join(name)).unwrap();
    let scenarios: Vec<Scenario> = serde_json::from_str(&read("scenarios.json")).unwrap();
    let allowlist: Vec<Allowed> = serde_json::from_str(&read("allowlist.json")).unwrap();
    for allowed in &allowlist {
        assert!(
            scenarios.iter().any(|s| s.name == allowed.scenario) && !allowed.reason.is_empty(),
            "allowlist entry without a scenario or a reason: {}",
            allowed.scenario
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let reference = start_reference(&python, dir.path()).await;
    let app = start_latch().await;
    let mut problems = Vec::new();
    let mut steps = 0;
    for scenario in &scenarios {
        let ours = Side::new(&app.url(""));
        let theirs = Side::new(&reference.base);
        let allowed = allowlist.iter().find(|a| a.scenario == scenario.name);
        for (index, step) in scenario.steps.iter().enumerate() {
            steps += 1;
            let (a, b) = (ours.send(step).await, theirs.send(step).await);
            if differs(&a, &b, allowed) {
                problems.push(format!(
                    "{} (step {index}: {} {})\n  latch:  {a:?}\n  django: {b:?}",
                    scenario.name, step.method, step.path
                ));
            }
        }
    }
    assert!(scenarios.len() >= 90, "the corpus shrank");
    println!("{} scenarios, {steps} requests compared", scenarios.len());
    assert!(
        problems.is_empty(),
        "{} of {} scenarios differ from Django:\n{}",
        problems.len(),
        scenarios.len(),
        problems.join("\n")
    );
}
