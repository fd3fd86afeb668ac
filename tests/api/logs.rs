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

#[tokio::test]
async fn json_logs_carry_one_object_a_line_with_the_request_id_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let port = free_port();
    let mut command = latch_command(dir.path());
    command
        .args(["--database", &database.url, "serve"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("LATCH_LOG", "info")
        .env("LATCH_LOG__FORMAT", "json");
    let mut server = Server::start(command, dir.path());
    server.ready(port).await;

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = client
        .get(format!("{base}/session/token"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let register = client
        .post(format!("{base}/user/register?_format=json"))
        .header("X-CSRF-Token", &token)
        .json(
            &json!({"name": [{"value": "carol"}], "mail": [{"value": "carol@example.com"}],
                      "pass": [{"value": "carol pass"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 200);
    let login = client
        .post(format!("{base}/user/login?_format=json"))
        .header("X-Request-Id", "probe-42")
        .json(&json!({"name": "carol", "pass": "carol pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["x-request-id"], "probe-42");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    let session_id = cookie
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    let login = body_json(&login.text().await.unwrap());
    let logout_token = login["logout_token"].as_str().unwrap().to_string();
    let csrf_token = login["csrf_token"].as_str().unwrap().to_string();
    let logout = client
        .post(format!(
            "{base}/user/logout?_format=json&token={logout_token}"
        ))
        .header("X-Request-Id", "bad id\twith a tab")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let made_up = logout.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(
        made_up.len(),
        36,
        "a fresh id replaces an unusable one: {made_up}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let log = server.stderr();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let answered = lines
        .iter()
        .find(|line| line["request_id"] == "probe-42")
        .unwrap_or_else(|| panic!("no line for the request: {log}"));
    assert_eq!(answered["level"], "INFO");
    assert_eq!(answered["message"], "answered");
    assert_eq!(answered["route"], "/user/login");
    assert_eq!(answered["dialect"], "drupal");
    assert_eq!(answered["status"], 200);
    assert!(
        answered["latency_ms"].as_f64().unwrap() >= 0.0,
        "{answered}"
    );
    assert!(answered["timestamp"].is_string(), "{answered}");
    let logout_line = lines
        .iter()
        .find(|line| line["request_id"] == made_up)
        .unwrap_or_else(|| panic!("no line for the logout: {log}"));
    assert_eq!(
        logout_line["span"]["uri"],
        "/user/logout?_format=json&token=[redacted]"
    );
    for secret in [
        logout_token.as_str(),
        csrf_token.as_str(),
        session_id.as_str(),
        token.as_str(),
        "carol pass",
    ] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
}
