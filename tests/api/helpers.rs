//! `spawn_app`: a real latch server on a random loopback port over a fresh SQLite file, and a
//! client with a cookie jar, plus one method per endpoint.

use std::sync::Arc;

use latch::config::{Config, PasswordConfig};
use latch::core::{Core, Registrar, Registration};
use latch::core::accounts::{Account, AccountState};
use latch::store::QueuedMail;
use reqwest::{Client, Response};
use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// A client with its own cookie jar.
    pub client: Client,
    pub core: Arc<Core>,
    pub config: Config,
    pub dir: TempDir,
    _shutdown: oneshot::Sender<()>,
}

/// A cheap Argon2 cost so the suite stays fast; one test checks the real default.
pub fn test_config(dir: &TempDir) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.path().join("latch.db").display()),
        secret_file: dir.path().join("latch.secret"),
        password: PasswordConfig {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 2,
        },
        ..Config::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = test_config(&dir);
    adjust(&mut config);
    spawn_with_config(config, dir).await
}

pub async fn spawn_with_config(config: Config, dir: TempDir) -> TestApp {
    let core = Arc::new(Core::open(&config).await.expect("open core").core);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel::<()>();
    let server_core = core.clone();
    let server_config = config.clone();
    tokio::spawn(async move {
        latch::http::serve(listener, server_core, &server_config, async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: new_client(),
        core,
        config,
        dir,
        _shutdown: tx,
    }
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn body_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates an active account directly in the core, as `latch user add` does.
    pub async fn create_account(&self, name: &str, password: &str, roles: &[&str]) -> Account {
        self.core
            .register(
                Registration {
                    name: name.into(),
                    mail: Some(format!("{}@example.com", name.to_lowercase().replace(' ', "."))),
                    password: Some(SecretString::from(password.to_string())),
                    state: Some(AccountState::Active),
                    roles: roles.iter().map(|r| r.to_string()).collect(),
                },
                Registrar::Administrator { notify: false },
            )
            .await
            .expect("create account")
    }

    pub async fn session_token(&self, client: &Client) -> String {
        client.get(self.url("/session/token")).send().await.unwrap().text().await.unwrap()
    }

    pub async fn register(&self, client: &Client, body: &Value) -> Response {
        client
            .post(self.url("/user/register?_format=json"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn register_simple(&self, name: &str, mail: &str, pass: &str) -> Response {
        let body = json!({"name": {"value": name}, "mail": {"value": mail}, "pass": {"value": pass}});
        self.register(&new_client(), &body).await
    }

    pub async fn login(&self, client: &Client, name: &str, pass: &str) -> Response {
        client
            .post(self.url("/user/login?_format=json"))
            .header("Content-Type", "application/json")
            .body(json!({"name": name, "pass": pass}).to_string())
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns the login response body; panics unless it succeeds.
    pub async fn logged_in(&self, client: &Client, name: &str, pass: &str) -> Value {
        let response = self.login(client, name, pass).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "login failed: {text}");
        body_json(&text)
    }

    pub async fn login_status(&self, client: &Client) -> String {
        client.get(self.url("/user/login_status?_format=json")).send().await.unwrap().text().await.unwrap()
    }

    pub async fn logout(&self, client: &Client, token: &str) -> Response {
        client
            .post(self.url(&format!("/user/logout?_format=json&token={token}")))
            .send()
            .await
            .unwrap()
    }

    pub async fn outbox(&self) -> Vec<QueuedMail> {
        self.core.store().outbox().await.unwrap()
    }

    pub async fn account_count(&self) -> i64 {
        self.core.store().count_accounts().await.unwrap()
    }

    pub async fn session_count(&self) -> i64 {
        self.core.store().count_sessions().await.unwrap()
    }
}
