//! No account enumeration: login and password reset answer an existing and an unknown
//! account with the same status and body, and with the same time within noise, measured
//! over many interleaved requests at the real Argon2 cost.
//!
//! Registration does tell a taken name or address: every dialect's spec says so (Drupal's
//! "The username … is already taken.", Services' form error, dj-rest-auth's "A user with that
//! username already exists."), and a client cannot pick a free name without it. The README's
//! Security section records the decision.

use std::time::{Duration, Instant};

use latch::config::PasswordConfig;
use reqwest::Client;

use crate::helpers::{TestApp, new_client, spawn_app_with};

const SAMPLES: usize = 31;

async fn app() -> TestApp {
    let app = spawn_app_with(|c| {
        c.password = PasswordConfig {
            min_length: 1,
            reject_common: false,
            ..PasswordConfig::default()
        };
        // Flood control would block the existing account after five failures, which Drupal
        // reports too; the timing of the check itself is what is measured here.
        c.flood.enabled = false;
    })
    .await;
    app.create_account("bob", "the real password", &[]).await;
    app
}

/// One request's status, body and duration.
async fn timed(client: &Client, app: &TestApp, path: &str, body: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let response = client
        .post(app.url(path))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, text, started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Asserts that `known` and `unknown` get the same answer, and that the two distributions of
/// response times have medians within noise: 3 ms, or a fifth of the slower median.
async fn indistinguishable(app: &TestApp, path: &str, known: &str, unknown: &str) {
    let client = new_client();
    // Warm up connections, caches and the hashing pool.
    timed(&client, app, path, known).await;
    timed(&client, app, path, unknown).await;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        // Alternating which goes first cancels any effect of the order itself.
        let ((status_a, body_a, took_a), (status_b, body_b, took_b)) = if i % 2 == 0 {
            let a = timed(&client, app, path, known).await;
            (a, timed(&client, app, path, unknown).await)
        } else {
            let b = timed(&client, app, path, unknown).await;
            (timed(&client, app, path, known).await, b)
        };
        assert_eq!((status_a, &body_a), (status_b, &body_b), "{path}");
        a.push(took_a);
        b.push(took_b);
    }
    let (ma, mb) = (median(a), median(b));
    let gap = ma.abs_diff(mb);
    let allowed = Duration::from_millis(3).max(ma.max(mb) / 5);
    println!(
        "{path}: existing median {ma:?}, unknown median {mb:?}, gap {gap:?} (allowed {allowed:?})"
    );
    assert!(gap <= allowed, "{path}: existing {ma:?} vs unknown {mb:?}");
}

#[tokio::test]
async fn drupal_login_answers_and_times_a_wrong_password_like_an_unknown_name() {
    let app = app().await;
    indistinguishable(
        &app,
        "/user/login?_format=json",
        r#"{"name":"bob","pass":"wrong"}"#,
        r#"{"name":"nobody","pass":"wrong"}"#,
    )
    .await;
}

#[tokio::test]
async fn django_login_by_mail_answers_and_times_a_known_address_like_an_unknown_one() {
    let app = app().await;
    indistinguishable(
        &app,
        "/dj-rest-auth/login/",
        r#"{"email":"bob@example.com","password":"wrong"}"#,
        r#"{"email":"nobody@example.com","password":"wrong"}"#,
    )
    .await;
}

#[tokio::test]
async fn password_reset_answers_and_times_a_known_account_like_an_unknown_one() {
    let app = app().await;
    indistinguishable(
        &app,
        "/user/password?_format=json",
        r#"{"name":"bob"}"#,
        r#"{"name":"nobody"}"#,
    )
    .await;
    indistinguishable(
        &app,
        "/dj-rest-auth/password/reset/",
        r#"{"email":"bob@example.com"}"#,
        r#"{"email":"nobody@example.com"}"#,
    )
    .await;
}
