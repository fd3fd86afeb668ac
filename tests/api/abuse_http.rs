//! Hardened HTTP over real sockets: security headers, CORS for listed origins only, which
//! proxies' X-Forwarded-For is believed, the connection cap and slow clients.

use std::time::{Duration, Instant};

use latch::config::Network;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{new_client, spawn_app, spawn_app_with};

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_hsts_over_plain_http() {
    let app = spawn_app().await;
    for path in [
        "/session/token",
        "/user/login_status?_format=json",
        "/no/such/page",
    ] {
        let response = new_client().get(app.url(path)).send().await.unwrap();
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
}

#[tokio::test]
async fn an_https_public_url_turns_on_hsts() {
    let app = spawn_app_with(|c| c.public_url = "https://login.example.com".into()).await;
    let response = new_client()
        .get(app.url("/session/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn cors_answers_listed_origins_with_credentials_and_ignores_others() {
    let app =
        spawn_app_with(|c| c.http.cors_origins = vec!["https://app.example.com".parse().unwrap()])
            .await;
    app.create_account("bob", "secret", &[]).await;
    let preflight = |origin: &'static str| {
        new_client()
            .request(
                reqwest::Method::OPTIONS,
                app.url("/user/login?_format=json"),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,x-csrf-token",
            )
            .send()
    };
    let listed = preflight("https://app.example.com").await.unwrap();
    let h = listed.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(h["access-control-allow-methods"], "POST");
    assert_eq!(
        h["access-control-allow-headers"],
        "content-type,x-csrf-token"
    );
    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    // The listed origin may also log in for real; an unlisted one is refused as cross-site.
    let login = |origin: &'static str| {
        new_client()
            .post(app.url("/user/login?_format=json"))
            .header("Origin", origin)
            .header("Content-Type", "application/json")
            .body(r#"{"name":"bob","pass":"secret"}"#)
            .send()
    };
    let ok = login("https://app.example.com").await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = login("https://evil.example.com").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn native_app_origins_are_listed_like_any_other() {
    let origins = [
        "capacitor://localhost",
        "ionic://localhost",
        "http://localhost",
    ];
    let app = spawn_app_with(|c| {
        c.http.cors_origins = origins.iter().map(|o| o.parse().unwrap()).collect();
    })
    .await;
    app.create_account("bob", "secret", &[]).await;
    for origin in origins {
        let preflight = new_client()
            .request(
                reqwest::Method::OPTIONS,
                app.url("/user/login?_format=json"),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
            .await
            .unwrap();
        assert_eq!(
            preflight.headers()["access-control-allow-origin"],
            origin,
            "{origin}"
        );
        let login = new_client()
            .post(app.url("/user/login?_format=json"))
            .header("Origin", origin)
            .header("Content-Type", "application/json")
            .body(r#"{"name":"bob","pass":"secret"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200, "{origin}");
        assert_eq!(
            login.headers()["access-control-allow-credentials"],
            "true",
            "{origin}"
        );
    }
    // The same host under another scheme is another origin.
    let other = new_client()
        .post(app.url("/user/login?_format=json"))
        .header("Origin", "https://localhost")
        .header("Content-Type", "application/json")
        .body(r#"{"name":"bob","pass":"secret"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
}

async fn failed_login(app: &crate::helpers::TestApp, forwarded_for: &str) -> u16 {
    new_client()
        .post(app.url("/user/login?_format=json"))
        .header("Content-Type", "application/json")
        .header("X-Forwarded-For", forwarded_for)
        .body(r#"{"name":"nobody","pass":"wrong"}"#)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_for_is_not_believed_by_default() {
    let app = spawn_app_with(|c| c.flood.ip_limit = 2).await;
    assert_eq!(failed_login(&app, "198.51.100.1").await, 400);
    assert_eq!(failed_login(&app, "198.51.100.2").await, 400);
    // A client changing the header is still one client: 127.0.0.1.
    assert_eq!(failed_login(&app, "198.51.100.3").await, 403);
}

#[tokio::test]
async fn a_trusted_proxy_reports_the_client_address() {
    let app = spawn_app_with(|c| {
        c.flood.ip_limit = 2;
        c.http.trusted_proxies = vec![Network::parse("127.0.0.0/8").unwrap()];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(failed_login(&app, "198.51.100.1").await, 400);
    }
    assert_eq!(failed_login(&app, "198.51.100.1").await, 403);
    // Another client behind the same proxy is counted on its own; a spoofed entry to the
    // left of the proxy's own does not help the first one.
    assert_eq!(failed_login(&app, "198.51.100.2").await, 400);
    assert_eq!(failed_login(&app, "10.9.9.9, 198.51.100.1").await, 403);
    let ips = app
        .strings(
            "SELECT DISTINCT identifier FROM flood_events \
             WHERE event = 'user.failed_login_ip' ORDER BY identifier",
        )
        .await;
    assert_eq!(ips, ["198.51.100.1", "198.51.100.2"]);
}

/// Whether a plain GET gets an answer within `wait`.
async fn answered_within(address: &str, wait: Duration) -> bool {
    let client = reqwest::Client::builder().timeout(wait).build().unwrap();
    client
        .get(format!("{address}/session/token"))
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(|c| c.http.max_connections = 2).await;
    let first = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let second = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    // Give the server a moment to accept both.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!answered_within(&app.address, Duration::from_millis(700)).await);
    drop(first);
    assert!(answered_within(&app.address, Duration::from_secs(5)).await);
    drop(second);
}

/// Sends `head`, then one byte of `trickle` every 200 ms; returns what the server answered
/// (empty if it just closed) and how long it took.
async fn trickle(port: u16, head: &str, trickle: &[u8]) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    for byte in trickle.iter().cycle().take(100) {
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_client_trickling_its_body_is_cut_off_at_the_request_deadline() {
    let app = spawn_app_with(|c| c.http.request_timeout = Duration::from_secs(1)).await;
    let head = "POST /user/login?_format=json HTTP/1.1\r\nHost: x\r\n\
                Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let (answer, took) = trickle(app.port, head, b"{").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // The server still serves everyone else.
    assert!(answered_within(&app.address, Duration::from_secs(2)).await);
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off_at_the_request_deadline() {
    let app = spawn_app_with(|c| c.http.request_timeout = Duration::from_secs(1)).await;
    let (_, took) = trickle(app.port, "GET /session/token HTTP/1.1\r\nX-Slow: ", b"a").await;
    assert!(
        took < Duration::from_secs(5),
        "still connected after {took:?}"
    );
    assert!(
        took >= Duration::from_millis(900),
        "cut off early, after {took:?}"
    );
    assert!(answered_within(&app.address, Duration::from_secs(2)).await);
}

#[tokio::test]
async fn headers_past_the_header_limit_are_a_431_in_every_dialect() {
    let app = spawn_app_with(|c| c.http.header_limit = 2048).await;
    let big = "a".repeat(4096);
    let cases = [
        ("/user/login_status?_format=json", "message"),
        ("/rest/user/1.json", ""),
        ("/dj-rest-auth/user/", "detail"),
        ("/auth/login/", "detail"),
        ("/api/sessions", ""),
    ];
    for (path, field) in cases {
        let response = new_client()
            .get(app.url(path))
            .header("X-Big", &big)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 431, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains("the limit is 2048"), "{path}: {body}");
        if !field.is_empty() {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                json[field].as_str().unwrap().contains("2048"),
                "{path}: {json}"
            );
        }
        // Within the limit, the same request is served.
        let response = new_client().get(app.url(path)).send().await.unwrap();
        assert_ne!(response.status(), 431, "{path}");
    }
}
