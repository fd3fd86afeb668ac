//! What the server writes to its log: the shape of each request, never its secrets.

use std::io::Write;
use std::process::Stdio;

use serde_json::json;

use crate::helpers::{TestDatabase, body_json};
use crate::process::{Server, free_port, latch_command};

#[tokio::test]
async fn debug_logs_show_requests_without_logout_tokens_or_link_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let mut add = latch_command(dir.path())
        .args(["--database", &database.url, "user", "add", "bob"])
        .args(["--mail", "bob@example.com", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"bob pass\n").unwrap();
    assert!(add.wait().unwrap().success());

    let port = free_port();
    let mut command = latch_command(dir.path());
    command
        .args(["--database", &database.url, "serve"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("LATCH_LOG", "debug");
    let mut server = Server::start(command, dir.path());
    server.ready(port).await;

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{base}/user/login?_format=json"))
        .json(&json!({"name": "bob", "pass": "bob pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let login = body_json(&login.text().await.unwrap());
    let logout_token = login["logout_token"].as_str().unwrap().to_string();
    let logout = client
        .post(format!(
            "{base}/user/logout?_format=json&token={logout_token}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let link_secret = "LinkSecretThatMustNotBeLogged";
    client
        .get(format!(
            "{base}/user/reset/1/1767225600/{link_secret}?_format=json"
        ))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let log = server.stderr();
    assert!(
        log.contains("/user/logout?_format=json&token=[redacted]"),
        "requests are logged at debug: {log}"
    );
    assert!(log.contains("/user/reset/1/1767225600/[redacted]"), "{log}");
    assert!(!log.contains(&logout_token), "{log}");
    assert!(!log.contains(link_secret), "{log}");
    assert!(!log.contains("bob pass"), "{log}");
}
