//! The server secret's fingerprint: real nodes on one database (SQLite, or PostgreSQL in the
//! PostgreSQL pass) refuse to start with another secret than the database's, and `latch
//! secret rotate` changes it on purpose.

use std::path::Path;
use std::process::Output;

use reqwest::Client;
use serde_json::json;

use crate::helpers::{TestDatabase, body_json, spawn_app};
use crate::process::{Server, free_port, latch_command};

const SECRET: &str = "the secret every node of this cluster shares";
const OTHER_SECRET: &str = "another secret, not the one the cluster shares";

/// `latch serve` in `dir` on `database`, with `secret` in LATCH_SECRET or, if `None`, the
/// directory's latch.secret.
fn serve(dir: &Path, database: &str, secret: Option<&str>) -> (Server, u16) {
    let port = free_port();
    let mut command = latch_command(dir);
    command.args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--database",
        database,
    ]);
    if let Some(secret) = secret {
        command.env("LATCH_SECRET", secret);
    }
    (Server::start(command, dir), port)
}

async fn serving(dir: &Path, database: &str, secret: Option<&str>) -> (Server, u16) {
    let (mut node, port) = serve(dir, database, secret);
    node.ready(port).await;
    (node, port)
}

/// Waits for a node that must not start; returns what it said.
fn refused(mut node: Server) -> String {
    assert_eq!(
        node.exit(),
        Some(false),
        "the node started: {}",
        node.stderr()
    );
    node.stderr()
}

fn latch(dir: &Path, args: &[&str], secret: Option<&str>) -> Output {
    let mut command = latch_command(dir);
    command.args(args);
    if let Some(secret) = secret {
        command.env("LATCH_SECRET", secret);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Registers bob on `port`, logs him in, and returns the session cookie and logout token.
async fn bob_logged_in(port: u16) -> (String, String) {
    let client = Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let registration = json!({"name": {"value": "bob"}, "mail": {"value": "bob@example.com"},
        "pass": {"value": "secret"}});
    let response = client
        .post(format!("{base}/user/register?_format=json"))
        .header("Content-Type", "application/json")
        .body(registration.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client
        .post(format!("{base}/user/login?_format=json"))
        .body(json!({"name": "bob", "pass": "secret"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let login = body_json(&response.text().await.unwrap());
    (cookie, login["logout_token"].as_str().unwrap().to_string())
}

async fn get(port: u16, path: &str, cookie: &str) -> String {
    Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn logout(port: u16, cookie: &str, token: &str) -> u16 {
    Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/user/logout?_format=json&token={token}"
        ))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_second_node_with_another_secret_refuses_to_start_and_one_with_the_same_starts() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let (_first, port_a) = serving(dir.path(), &database.url, Some(SECRET)).await;

    let (stranger, _) = serve(dir.path(), &database.url, Some(OTHER_SECRET));
    let said = refused(stranger);
    assert!(
        said.contains("the `secret` setting is not the one this database is served with"),
        "{said}"
    );
    assert!(said.contains("copy latch.secret"), "{said}");
    assert!(said.contains("latch secret rotate"), "{said}");
    assert!(
        !said.contains(OTHER_SECRET) && !said.contains(SECRET),
        "{said}"
    );

    let (_second, port_b) = serving(dir.path(), &database.url, Some(SECRET)).await;
    let (cookie, token) = bob_logged_in(port_a).await;
    assert_eq!(get(port_b, "/user/login_status", &cookie).await, "1");
    assert_eq!(
        logout(port_b, &cookie, &token).await,
        204,
        "B accepts A's logout token"
    );
}

#[tokio::test]
async fn a_node_without_the_secret_file_creates_none_and_says_where_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let first = dir.path().join("first");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let (_node, _) = serving(&first, &database.url, None).await;
    assert!(first.join("latch.secret").exists());

    let (stranger, _) = serve(&elsewhere, &database.url, None);
    let said = refused(stranger);
    assert!(said.contains("latch.secret does not exist"), "{said}");
    assert!(said.contains("copy latch.secret"), "{said}");
    let listed = latch(
        &elsewhere,
        &["user", "list", "--database", &database.url],
        None,
    );
    assert!(!listed.status.success());
    assert!(
        !elsewhere.join("latch.secret").exists(),
        "no second secret is made"
    );

    std::fs::copy(first.join("latch.secret"), elsewhere.join("latch.secret")).unwrap();
    serving(&elsewhere, &database.url, None).await;
}

#[tokio::test]
async fn rotating_the_secret_file_keeps_sessions_and_voids_tokens_issued_before() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let (node, port) = serving(dir.path(), &database.url, None).await;
    let (cookie, token) = bob_logged_in(port).await;
    drop(node);
    let old = std::fs::read_to_string(dir.path().join("latch.secret")).unwrap();

    let rotated = latch(
        dir.path(),
        &["secret", "rotate", "--database", &database.url],
        None,
    );
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(text(&rotated).contains("Sessions stay logged in"));
    let new = std::fs::read_to_string(dir.path().join("latch.secret")).unwrap();
    assert_ne!(old, new);

    let (stale, _) = serve(dir.path(), &database.url, Some(old.trim()));
    assert!(refused(stale).contains("is not the one this database is served with"));
    let (_node, port) = serving(dir.path(), &database.url, None).await;
    assert_eq!(get(port, "/user/login_status", &cookie).await, "1");
    assert_eq!(
        logout(port, &cookie, &token).await,
        403,
        "a logout token of the old secret"
    );
    let audit = latch(
        dir.path(),
        &[
            "audit",
            "--type",
            "secret_rotate",
            "--database",
            &database.url,
        ],
        None,
    );
    assert!(
        text(&audit).contains("secret_rotate"),
        "the rotation is in the audit trail: {}",
        text(&audit)
    );
}

#[tokio::test]
async fn rotating_a_configured_secret_records_the_new_value_set_before() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    drop(serving(dir.path(), &database.url, Some(SECRET)).await);
    let args = ["secret", "rotate", "--database", &database.url];

    let unchanged = latch(dir.path(), &args, Some(SECRET));
    assert!(!unchanged.status.success());
    assert!(
        text(&unchanged).contains("set `secret` (LATCH_SECRET) to a new value"),
        "{}",
        text(&unchanged)
    );
    let rotated = latch(dir.path(), &args, Some(OTHER_SECRET));
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert!(!dir.path().join("latch.secret").exists());
    serving(dir.path(), &database.url, Some(OTHER_SECRET)).await;
    refused(serve(dir.path(), &database.url, Some(SECRET)).0);
}

#[tokio::test]
async fn a_running_node_notices_that_the_secret_was_rotated_under_it() {
    let app = spawn_app().await;
    assert!(app.core.secret_is_current().await.unwrap());
    app.core
        .store()
        .replace_secret_fingerprint("someone else's", 0)
        .await
        .unwrap();
    assert!(!app.core.secret_is_current().await.unwrap());
}
