//! `spawn_app`: a real latch server on a random loopback port over a fresh database, and a
//! client with a cookie jar, plus one method per endpoint.
//!
//! The database is a fresh SQLite file, or, when `LATCH_TEST_POSTGRES_URL` names a PostgreSQL
//! server (e.g. `postgres://postgres@127.0.0.1:5432/test`), a fresh PostgreSQL database that
//! is dropped when the test ends.

use std::sync::Arc;

use latch::config::{Config, PasswordConfig};
use latch::core::accounts::{Account, AccountState};
use latch::core::{Core, Registrar, Registration};
use latch::store::{QueuedMail, Store};
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
    /// Dropped last: a PostgreSQL test database goes once the server has been told to stop.
    _database: Option<TestDatabase>,
}

/// One test's database.
pub struct TestDatabase {
    pub url: String,
    /// The PostgreSQL server's URL and the database's name, to drop it afterwards.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn create(dir: &std::path::Path) -> Self {
        let Ok(server) = std::env::var("LATCH_TEST_POSTGRES_URL") else {
            return Self {
                url: format!("sqlite://{}", dir.join("latch.db").display()),
                postgres: None,
            };
        };
        let name = format!("latch_test_{:032x}", rand_u128());
        let statement = format!("CREATE DATABASE \"{name}\"");
        on_postgres(&server, &statement);
        let (base, query) = server
            .split_once('?')
            .map_or((server.as_str(), ""), |(b, q)| (b, q));
        let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
        let url = if query.is_empty() {
            format!("{root}/{name}")
        } else {
            format!("{root}/{name}?{query}")
        };
        Self {
            url,
            postgres: Some((server.clone(), name)),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres {
            on_postgres(
                server,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            );
        }
    }
}

/// Runs one statement on the PostgreSQL server, on a thread of its own so it works from sync
/// code, async code and `Drop` alike.
fn on_postgres(server: &str, statement: &str) {
    use sqlx::Connection;
    let server = server.to_string();
    let statement = statement.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .expect("connect to LATCH_TEST_POSTGRES_URL");
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut conn)
                .await
                .expect("test database statement");
        })
    })
    .join()
    .expect("test database thread");
}

pub fn rand_u128() -> u128 {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    u128::from_le_bytes(bytes)
}

/// A cheap Argon2 cost so the suite stays fast; one test checks the real default.
pub fn test_config(dir: &TempDir) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        database_url: String::new(),
        secret_file: dir.path().join("latch.secret"),
        // Delivered messages lose their text in the outbox; tests read it here.
        mail: latch::config::MailConfig {
            log_file: dir.path().join("mail.log").display().to_string(),
            ..Default::default()
        },
        password: PasswordConfig {
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 2,
            max_queued_hashes: 64,
            // Most tests use short passwords; the policy's own tests switch it back on.
            min_length: 1,
            reject_common: false,
            max_similarity: 0.0,
            reject_numeric: false,
        },
        ..Config::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::create(dir.path());
    let mut config = test_config(&dir);
    config.database_url = database.url.clone();
    adjust(&mut config);
    let mut app = spawn_with_config(config, dir).await;
    app._database = Some(database);
    app
}

/// A server reached by the name `localhost` (`public_url` is `http://localhost:PORT`), as
/// browsers bind passkeys to a host name, never to an address.
pub async fn spawn_app_on_localhost() -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::create(dir.path());
    let mut config = test_config(&dir);
    config.database_url = database.url.clone();
    config.public_url = format!("http://localhost:{port}");
    let mut app = spawn_on(listener, config, dir).await;
    app._database = Some(database);
    app
}

/// A server on `config`'s database, which the caller keeps alive.
pub async fn spawn_with_config(config: Config, dir: TempDir) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    spawn_on(listener, config, dir).await
}

async fn spawn_on(listener: tokio::net::TcpListener, config: Config, dir: TempDir) -> TestApp {
    let core = Arc::new(Core::open(&config).await.expect("open core").core);
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
        _database: None,
    }
}

pub fn new_client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `message` of an error answer.
pub async fn message_of(response: Response) -> String {
    let text = response.text().await.unwrap();
    body_json(&text)["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message: {text}"))
        .to_string()
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
                    mail: Some(format!(
                        "{}@example.com",
                        name.to_lowercase().replace(' ', ".")
                    )),
                    password: Some(SecretString::from(password.to_string())),
                    state: Some(AccountState::Active),
                    roles: roles.iter().map(|r| r.to_string()).collect(),
                    ..Registration::default()
                },
                Registrar::Administrator { notify: false },
            )
            .await
            .expect("create account")
    }

    pub async fn session_token(&self, client: &Client) -> String {
        client
            .get(self.url("/session/token"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
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
        let body =
            json!({"name": {"value": name}, "mail": {"value": mail}, "pass": {"value": pass}});
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
        client
            .get(self.url("/user/login_status?_format=json"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// `POST path` with a JSON body, as it is given (well-formed or not).
    pub async fn post_json(&self, client: &Client, path: &str, body: &str) -> Response {
        client
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers")
    }

    /// `PATCH /user/{uid}` with a JSON body and the session's CSRF token.
    pub async fn patch_user(
        &self,
        client: &Client,
        token: &str,
        uid: i64,
        body: &Value,
    ) -> Response {
        client
            .patch(self.url(&format!("/user/{uid}?_format=json")))
            .header("Content-Type", "application/json")
            .header("X-CSRF-Token", token)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
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

    /// The text of outbox message `id` as delivered, waiting for its delivery: the outbox
    /// itself blanks it once the message has gone out.
    pub async fn mail_text(&self, id: i64) -> String {
        let marker = format!("X-Latch-Outbox-Id: {id}\n");
        for _ in 0..200 {
            let log = std::fs::read_to_string(&self.config.mail.log_file).unwrap_or_default();
            if let Some(start) = log.find(&marker) {
                let text = &log[start + marker.len()..];
                return text.split("\n=====").next().unwrap_or(text).to_string();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("message {id} never reached {}", self.config.mail.log_file);
    }

    pub async fn account_count(&self) -> i64 {
        self.core.store().count_accounts().await.unwrap()
    }

    /// Runs a query returning one text column, on whichever backend the test uses.
    pub async fn strings(&self, sql: &'static str) -> Vec<String> {
        match self.core.store() {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        }
    }

    /// Runs a query returning one integer column, on whichever backend the test uses.
    pub async fn integers(&self, sql: &'static str) -> Vec<i64> {
        match self.core.store() {
            Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
            Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        }
    }

    /// Runs a statement, on whichever backend the test uses.
    pub async fn execute(&self, sql: String) {
        let sql = sqlx::AssertSqlSafe(sql);
        match self.core.store() {
            Store::Sqlite(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
            Store::Postgres(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
        }
    }

    pub async fn session_count(&self) -> i64 {
        self.core.store().count_sessions().await.unwrap()
    }
}

/// A test, or part of one, that needs a program or server this machine lacks: where a developer
/// runs the suite it says so loudly and goes on; in CI (`LATCH_CI=1`, or `CI=true`), which
/// provides everything the suite needs, that is a failure, so CI never passes a test it did
/// not run.
pub fn skip(reason: &str) {
    let ci = std::env::var("LATCH_CI").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| v == "true");
    if ci {
        panic!("{reason}; CI must run every test: provide it in .ci/run");
    }
    skipped(reason);
}

/// Says `SKIPPED: reason` past the test harness's capture, so it shows though the test passes.
pub fn skipped(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}
