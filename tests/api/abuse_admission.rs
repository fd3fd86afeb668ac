//! Hashing admission control: past the running and queued hash limits a login is refused at
//! once with 503 and `Retry-After`, and session checks keep answering during a login flood.

use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::helpers::{TestApp, message_of, new_client, spawn_app_with};
use crate::services_support::reason;

const BUSY: &str = "The server is too busy to check passwords. Retry the request in a few seconds.";

/// One hash at a time, one waiting, each hash costly enough to keep the slot busy.
async fn spawn_narrow_app() -> TestApp {
    let app = spawn_app_with(|config| {
        config.password.argon2_memory_kib = 16 * 1024;
        config.password.argon2_iterations = 6;
        config.password.max_concurrent_hashes = 1;
        config.password.max_queued_hashes = 1;
    })
    .await;
    app.create_account("bob", "right password", &[]).await;
    app
}

/// Starts `count` logins at once; returns each one's status, elapsed time and response.
async fn login_burst(app: &TestApp, count: usize) -> Vec<(u16, Duration, reqwest::Response)> {
    let mut logins = JoinSet::new();
    for _ in 0..count {
        let request = new_client()
            .post(app.url("/user/login?_format=json"))
            .header("Content-Type", "application/json")
            .body(r#"{"name": "bob", "pass": "right password"}"#);
        logins.spawn(async move {
            let started = Instant::now();
            let response = request.send().await.unwrap();
            (response.status().as_u16(), started.elapsed(), response)
        });
    }
    logins.join_all().await
}

#[tokio::test]
async fn logins_past_the_hashing_queue_get_a_fast_503_with_retry_after() {
    let app = spawn_narrow_app().await;
    let results = login_burst(&app, 12).await;
    let slowest_success = results
        .iter()
        .filter(|(status, ..)| *status == 200)
        .map(|(_, elapsed, _)| *elapsed)
        .max()
        .expect("some logins succeed");
    let mut refused = 0;
    for (status, elapsed, response) in results {
        if status == 200 {
            continue;
        }
        assert_eq!(status, 503);
        assert!(
            elapsed < slowest_success,
            "{elapsed:?} ≥ {slowest_success:?}"
        );
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(message_of(response).await, BUSY);
        refused += 1;
    }
    assert!(refused >= 1, "no login was refused");
    // The refusals held nothing: the slots are free again.
    app.logged_in(&new_client(), "bob", "right password").await;
}

#[tokio::test]
async fn the_services_dialect_answers_503_too() {
    let app = spawn_narrow_app().await;
    let mut logins = JoinSet::new();
    for _ in 0..12 {
        let request = app
            .services(&new_client(), "user/login.json")
            .header("Content-Type", "application/json")
            .body(r#"{"username": "bob", "password": "right password"}"#);
        logins.spawn(async move { request.send().await.unwrap() });
    }
    let responses = logins.join_all().await;
    let busy: Vec<_> = responses.iter().filter(|r| r.status() == 503).collect();
    assert!(!busy.is_empty(), "no login was refused");
    assert_eq!(busy[0].headers()["retry-after"], "2");
    assert_eq!(reason(busy[0]), format!(": {BUSY}"));
}

#[tokio::test]
async fn session_checks_answer_promptly_during_a_login_flood() {
    let app = spawn_narrow_app().await;
    let client = new_client();
    app.logged_in(&client, "bob", "right password").await;
    let flood = async {
        let until = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < until {
            login_burst(&app, 8).await;
        }
    };
    let checks = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let started = Instant::now();
            assert_eq!(app.login_status(&client).await, "1");
            slowest = slowest.max(started.elapsed());
        }
        slowest
    };
    let ((), slowest) = tokio::join!(flood, checks);
    assert!(slowest < Duration::from_millis(750), "{slowest:?}");
}
