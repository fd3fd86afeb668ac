//! No account enumeration: login and password reset answer an existing and an unknown
//! account with the same status and body, and with the same time within noise, measured
//! over many interleaved requests at the real Argon2 cost. An imported account whose hash
//! can never match (Django's unusable `!…`) costs what an unknown name does.
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
    app_with(|_| {}).await
}

async fn app_with(adjust: impl FnOnce(&mut latch::config::Config)) -> TestApp {
    let app = spawn_app_with(|c| {
        c.password = PasswordConfig {
            min_length: 1,
            reject_common: false,
            ..PasswordConfig::default()
        };
        // Flood control would block the existing account after five failures, which Drupal
        // reports too; the timing of the check itself is what is measured here.
        c.flood.enabled = false;
        adjust(c);
    })
    .await;
    app.create_account("bob", "the real password", &[]).await;
    app
}

/// One request's status, body and duration.
async fn timed(client: &Client, app: &TestApp, path: &str, body: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let response = app.post_json(client, path, body).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, text, started.elapsed())
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times `SAMPLES` interleaved pairs; returns the median of each side and the median of the
/// paired differences (in ms), which cancels load that drifts over the run.
async fn measure(app: &TestApp, path: &str, known: &str, unknown: &str) -> (f64, f64, f64) {
    let client = new_client();
    let (mut a, mut b, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
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
        let (ms_a, ms_b) = (took_a.as_secs_f64() * 1e3, took_b.as_secs_f64() * 1e3);
        a.push(ms_a);
        b.push(ms_b);
        gaps.push(ms_a - ms_b);
    }
    (median(a), median(b), median(gaps).abs())
}

/// Asserts that `known` and `unknown` get the same answer, and that their response times
/// agree within noise: the median paired difference is under 3 ms or a fifth of the slower
/// median. A loaded machine may spoil one run; a real difference fails every run.
async fn indistinguishable(app: &TestApp, path: &str, known: &str, unknown: &str) {
    // Warm up connections, caches and the hashing pool.
    measure_warm_up(app, path, known, unknown).await;
    let mut last = (0.0, 0.0, 0.0);
    for _ in 0..3 {
        let (ma, mb, gap) = measure(app, path, known, unknown).await;
        let allowed = 3f64.max(ma.max(mb) / 5.0);
        println!(
            "{path}: existing median {ma:.3} ms, unknown median {mb:.3} ms, \
             median paired gap {gap:.3} ms (allowed {allowed:.3} ms)"
        );
        if gap <= allowed {
            return;
        }
        last = (ma, mb, gap);
    }
    panic!("{path}: existing vs unknown (ms, ms, gap): {last:?}");
}

async fn measure_warm_up(app: &TestApp, path: &str, known: &str, unknown: &str) {
    let client = new_client();
    timed(&client, app, path, known).await;
    timed(&client, app, path, unknown).await;
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
async fn login_answers_and_times_an_unusable_imported_hash_like_an_unknown_name() {
    let app = app().await;
    let carol = app.create_account("carol", "the real password", &[]).await;
    let old = carol.password_hash.clone().unwrap();
    // Django's set_unusable_password(): "!" and 40 random characters.
    let unusable = "!Xq3pVn8sL2mK9rT4wY7zB1cD6fG0hJ5kA2eR8uI";
    app.core
        .store()
        .upgrade_password_hash(carol.id, &old, unusable)
        .await
        .unwrap();
    let stored = app.core.account_named("carol").await.unwrap().password_hash;
    assert_eq!(stored.as_deref(), Some(unusable));
    indistinguishable(
        &app,
        "/user/login?_format=json",
        r#"{"name":"carol","pass":"wrong"}"#,
        r#"{"name":"nobody","pass":"wrong"}"#,
    )
    .await;
}

#[tokio::test]
async fn password_reset_answers_and_times_a_known_account_like_an_unknown_one() {
    // Flood control on, with limits no run reaches: its writes are part of what is timed.
    let app = app_with(|c| {
        c.flood.enabled = true;
        c.flood.password_request_ip_limit = 100_000;
        c.flood.password_request_user_limit = 100_000;
    })
    .await;
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
    indistinguishable(
        &app,
        "/rest/user/request_new_password.json",
        r#"{"name":"bob@example.com"}"#,
        r#"{"name":"nobody@example.com"}"#,
    )
    .await;
    // Every known request did queue its mail: the timing compared real work.
    assert!(app.outbox().await.len() >= 3 * 32);
}
