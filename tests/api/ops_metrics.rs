//! Prometheus metrics on their own listener (`metrics.listen`), never on the public one.

use serde_json::json;

use crate::helpers::{new_client, spawn_app_with};
use crate::process::free_port;

/// The sample lines of `metric` whose labels include each of `labels`.
fn samples<'a>(text: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|line| {
            line.starts_with(&format!("{metric}{{")) || line.starts_with(&format!("{metric} "))
        })
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .collect()
}

#[tokio::test]
async fn metrics_count_requests_logins_hashes_sessions_and_the_database_on_their_own_port() {
    let metrics_port = free_port();
    let app = spawn_app_with(|config| {
        config.metrics.listen = format!("127.0.0.1:{metrics_port}");
        config.flood.user_limit = 1;
    })
    .await;
    app.create_account("dora", "dora pass", &[]).await;
    app.create_account("eve", "eve pass", &[]).await;
    // Each login from a client of its own: a logged-in client may not log in again.
    let login = |name: &'static str, pass: &'static str| {
        new_client()
            .post(app.url("/user/login?_format=json"))
            .json(&json!({"name": name, "pass": pass}))
            .send()
    };
    let dora = app
        .client
        .post(app.url("/user/login?_format=json"))
        .json(&json!({"name": "dora", "pass": "dora pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dora.status(), 200);
    let status = app
        .client
        .get(app.url("/user/login_status?_format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(status.text().await.unwrap(), "1");
    assert_eq!(login("eve", "wrong").await.unwrap().status(), 400);
    // Past flood.user_limit: blocked before any hashing.
    let blocked = login("eve", "wrong").await.unwrap();
    assert!(blocked.status().is_client_error(), "{}", blocked.status());
    // A reset link goes through the outbox to the mail log.
    let reset = new_client()
        .post(app.url("/user/password?_format=json"))
        .json(&json!({"name": "dora"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);

    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "never on the public listener");

    let scrape = || reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"));
    // The worker delivers off the request's path.
    for _ in 0..50 {
        let text = scrape().await.unwrap().text().await.unwrap();
        if !samples(
            &text,
            "latch_mail_deliveries_total",
            &[r#"outcome="logged""#],
        )
        .is_empty()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let response = scrape().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for (metric, labels) in [
        (
            "latch_http_requests_total",
            &[
                r#"route="/user/login""#,
                r#"dialect="drupal""#,
                r#"status="200""#,
            ][..],
        ),
        ("latch_http_requests_total", &[r#"status="400""#][..]),
        (
            "latch_http_request_duration_seconds_bucket",
            &[r#"route="/user/login""#][..],
        ),
        (
            "latch_logins_total",
            &[r#"dialect="drupal""#, r#"result="success""#][..],
        ),
        ("latch_logins_total", &[r#"result="bad_credentials""#][..]),
        ("latch_logins_total", &[r#"result="flooded""#][..]),
        ("latch_flood_blocks_total", &[r#"limited="login""#][..]),
        ("latch_mail_deliveries_total", &[r#"outcome="logged""#][..]),
        ("latch_password_hash_duration_seconds_bucket", &[][..]),
        ("latch_password_hash_queue", &[][..]),
        ("latch_session_checks_total", &[][..]),
        ("latch_db_pool_connections", &[r#"state="idle""#][..]),
        ("latch_db_pool_connections", &[r#"state="in_use""#][..]),
        ("latch_mail_outbox_depth", &[][..]),
    ] {
        assert!(
            !samples(&text, metric, labels).is_empty(),
            "{metric} {labels:?} in:\n{text}"
        );
    }
    assert!(text.contains("# HELP latch_logins_total"), "{text}");
}
