//! The login page in a real browser: headless Chromium driven through chromedriver's W3C
//! WebDriver HTTP API. Opens the page, types, submits, sees the logged-in state, logs out,
//! and keeps a screenshot in `target/artefacts/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{new_client, skip, spawn_app};

pub(crate) const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// chromedriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub(crate) async fn start(profile: &std::path::Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (Debian: apt-get install chromium chromium-driver; bash .ci/run does it)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut driver = Driver {
            child,
            base,
            http,
            session: String::new(),
        };
        for _ in 0..100 {
            if let Ok(r) = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("/usr/bin/chromium");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // Element lookups wait for the next page after a form is submitted.
            "timeouts": {"implicit": 10000},
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=800,700",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let answer = driver.call("POST", "/session", Some(caps)).await;
        driver.session = answer["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_string();
        driver
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .expect("chromedriver")
            .json()
            .await
            .unwrap();
        let value = response["value"].clone();
        assert!(
            value.get("error").is_none(),
            "WebDriver error on {path}: {value}"
        );
        value
    }

    pub(crate) async fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url}))).await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found[ELEMENT].as_str().unwrap().to_string()
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})))
            .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits up to ten seconds for the page titled `expected`: a click that submits a form
    /// returns before the next page has loaded.
    pub(crate) async fn wait_for_title(&self, expected: &str) -> String {
        let mut title = String::new();
        for _ in 0..100 {
            title = self.title().await;
            if title == expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        title
    }

    /// Waits up to ten seconds for `css` to hold `needle`, as [`Driver::wait_for_title`].
    pub(crate) async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            let found = self
                .call_raw(
                    "POST",
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await;
            if let Some(id) = found["value"][ELEMENT].as_str() {
                let value = self
                    .call_raw("GET", &format!("/element/{id}/text"), Value::Null)
                    .await;
                text = value["value"].as_str().unwrap_or_default().to_string();
                if text.contains(needle) {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        text
    }

    /// A WebDriver call whose errors (no such element yet) are the caller's to read.
    pub(crate) async fn call_raw(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        request.send().await.unwrap().json().await.unwrap()
    }

    pub(crate) async fn title(&self) -> String {
        self.call("GET", "/title", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let png = self.call("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artefacts");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    pub(crate) async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

#[tokio::test]
async fn a_browser_logs_in_through_the_page_sees_who_it_is_and_logs_out() {
    // CI installs Chromium (.ci/run) and must run this test.
    if Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip(
            "the browser test: no chromedriver (Debian: apt-get install chromium chromium-driver)",
        );
    }
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(profile.path()).await;

    driver.open(&app.url("/auth/login/")).await;
    assert_eq!(driver.title().await, "Log in");
    driver.type_into("#id_username", "bench").await;
    driver.type_into("#id_password", "wrong").await;
    driver.click("#login-submit").await;
    assert!(
        driver
            .text("#login-error")
            .await
            .starts_with("Please enter a correct username")
    );

    driver.type_into("#id_password", "correct horse").await;
    driver.click("#login-submit").await;
    assert_eq!(driver.wait_for_title("Logged in").await, "Logged in");
    assert_eq!(
        driver.text("#logged-in-as").await,
        "You are logged in as bench."
    );
    let shot = driver.screenshot("django-login-logged-in.png").await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 1000);
    assert_eq!(app.session_count().await, 1);

    driver.click("#logout-submit").await;
    assert_eq!(driver.wait_for_title("Log in").await, "Log in");
    assert_eq!(app.session_count().await, 0);
    driver.screenshot("django-login-logged-out.png").await;
    driver.quit().await;
}

#[tokio::test]
async fn a_browser_follows_the_mailed_reset_link_and_sets_a_new_password() {
    if Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_err()
    {
        return skip(
            "the browser test: no chromedriver (Debian: apt-get install chromium chromium-driver)",
        );
    }
    let app = spawn_app().await;
    app.create_account("bench", "correct horse", &[]).await;
    let requested = new_client()
        .post(app.url("/dj-rest-auth/password/reset/"))
        .json(&json!({"email": "bench@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(requested.status(), 200);
    let mail = app.outbox().await.pop().expect("a reset mail");
    let text = app.mail_text(mail.id).await;
    let start = text
        .find("/dj-rest-auth/password/reset/confirm/")
        .expect("the link");
    let end = text[start..]
        .find(char::is_whitespace)
        .map_or(text.len(), |n| start + n);
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(profile.path()).await;

    driver.open(&app.url(&text[start..end])).await;
    assert_eq!(driver.title().await, "Set a new password");
    driver.type_into("#id_new_password1", "browser reset").await;
    driver.type_into("#id_new_password2", "browser reset").await;
    driver.screenshot("django-reset-form.png").await;
    driver.click("#reset-submit").await;
    let answer = driver
        .wait_for_text("body", "Password has been reset")
        .await;
    assert!(
        answer.contains("Password has been reset with the new password."),
        "{answer}"
    );
    driver.quit().await;
    app.logged_in(&new_client(), "bench", "browser reset").await;
}
