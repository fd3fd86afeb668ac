//! Several latch processes over one database, and a database that goes away and comes back.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{
    TestDatabase, body_json, new_client, skipped, spawn_with_config, test_config,
};
use crate::process::{Server, free_port, free_ports, latch_command};

const SHARED_SECRET: &str = "a shared secret that every node of the cluster has";

async fn start_node(dir: &Path, database: &str, port: u16) -> Server {
    let mut command = latch_command(dir);
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            database,
        ])
        .env("LATCH_SECRET", SHARED_SECRET);
    let mut node = Server::start(command, dir);
    node.ready(port).await;
    node
}

/// Sends `request` with the session cookie set by hand, so which node gets it is explicit.
async fn send(
    client: &Client,
    method: &str,
    url: String,
    cookie: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, String) {
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("Cookie", cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn two_nodes_share_accounts_sessions_and_csrf_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let [port_a, port_b] = free_ports::<2>();
    let _a = start_node(dir.path(), &database.url, port_a).await;
    let _b = start_node(dir.path(), &database.url, port_b).await;
    let a = |path: &str| format!("http://127.0.0.1:{port_a}{path}");
    let b = |path: &str| format!("http://127.0.0.1:{port_b}{path}");
    let client = Client::new();

    let registration = json!({"name": {"value": "bob"}, "mail": {"value": "bob@example.com"}, "pass": {"value": "secret"}});
    let (status, _) = send(
        &client,
        "POST",
        a("/user/register?_format=json"),
        "",
        &[],
        Some(registration),
    )
    .await;
    assert_eq!(status, 200);

    let response = client
        .post(b("/user/login?_format=json"))
        .body(json!({"name": "bob", "pass": "secret"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let login = body_json(&response.text().await.unwrap());

    let (_, status_on_a) = send(&client, "GET", a("/user/login_status"), &cookie, &[], None).await;
    assert_eq!(status_on_a, "1", "a session opened on B is live on A");

    // A CSRF token minted by A is accepted by B.
    let (_, token_from_a) = send(&client, "GET", a("/session/token"), &cookie, &[], None).await;
    let uid = login["current_user"]["uid"].as_str().unwrap();
    let patch = json!({"timezone": [{"value": "Europe/Berlin"}]});
    let (status, body) = send(
        &client,
        "PATCH",
        b(&format!("/user/{uid}?_format=json")),
        &cookie,
        &[("X-CSRF-Token", &token_from_a)],
        Some(patch),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let logout_token = login["logout_token"].as_str().unwrap();
    let (status, _) = send(
        &client,
        "POST",
        a(&format!("/user/logout?_format=json&token={logout_token}")),
        &cookie,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, status_on_b) = send(&client, "GET", b("/user/login_status"), &cookie, &[], None).await;
    assert_eq!(
        status_on_b, "0",
        "a logout on A ends the session on B at once"
    );
}

/// A PostgreSQL server of the test's own, so it can be stopped and started.
struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// `None` where no PostgreSQL server binaries are installed.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .find(|bin| bin.join("initdb").exists())?;
        let dir = PathBuf::from(as_postgres(Command::new("mktemp").arg("-d")).trim());
        let pg = PrivatePostgres {
            port: free_port(),
            bin,
            dir,
        };
        let data = pg.dir.join("data");
        as_postgres(
            Command::new(pg.bin.join("initdb"))
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(&data),
        );
        pg.run();
        Some(pg)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, action: &str) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        as_postgres(
            Command::new(self.bin.join("pg_ctl"))
                .args(["-w", "-m", "fast", "-D"])
                .arg(self.dir.join("data"))
                .arg("-l")
                .arg(self.dir.join("log"))
                .args(["-o", &options, action]),
        );
    }

    fn run(&self) {
        self.pg_ctl("start");
    }

    fn stop(&self) {
        self.pg_ctl("stop");
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `command` as the `postgres` user when we are root (the server refuses to run as root).
fn as_postgres(command: &mut Command) -> String {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let output = if root {
        let mut wrapped = Command::new("runuser");
        wrapped
            .args(["-u", "postgres", "--"])
            .arg(command.get_program())
            .args(command.get_args());
        wrapped.output()
    } else {
        command.output()
    }
    .expect("run a PostgreSQL command");
    assert!(
        output.status.success(),
        "{:?}: {}",
        command,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn a_database_outage_gets_503_and_latch_recovers_when_it_returns() {
    if std::env::var("LATCH_TEST_POSTGRES_URL").is_err() {
        skipped("the outage test on SQLite: it runs in the PostgreSQL pass");
        return;
    }
    let pg =
        PrivatePostgres::start().expect("PostgreSQL server binaries under /usr/lib/postgresql");
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.database_url = pg.url();
    let app = spawn_with_config(config, dir).await;
    app.create_account("bob", "secret", &[]).await;
    let client = new_client();
    app.logged_in(&client, "bob", "secret").await;
    assert_eq!(app.login_status(&client).await, "1");

    pg.stop();
    let started = Instant::now();
    let response = client
        .get(app.url("/user/login_status?_format=json"))
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered in {:?}",
        started.elapsed()
    );
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body = body_json(&response.text().await.unwrap());
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("temporarily unavailable"),
        "{body}"
    );
    assert_eq!(
        app.login(&new_client(), "bob", "secret").await.status(),
        503
    );
    // Requests that need no database still work.
    assert_eq!(
        new_client()
            .get(app.url("/session/token"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    pg.run();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut status = String::new();
    while Instant::now() < deadline {
        status = app.login_status(&client).await;
        if status == "1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        status, "1",
        "the session survives the outage and latch reconnects by itself"
    );
}
