//! Webhooks: events delivered to a receiver on loopback, signed as the Standard Webhooks
//! specification says (checked with its reference library), retried, dead-lettered, and never
//! in a request's way.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use latch::core::accounts::AccountState;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, body_json, skip, spawn_app_with};
use crate::native_support::drupal_session;
use crate::process::latch;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What a receiver got: each delivery's headers and body.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String)>>>);

impl Received {
    fn events(&self) -> Vec<Value> {
        let deliveries = self.0.lock().unwrap();
        deliveries.iter().map(|(_, body)| body_json(body)).collect()
    }

    fn types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }

    async fn wait_for(&self, event: &str, count: usize) {
        let started = Instant::now();
        while self.types().iter().filter(|t| *t == event).count() < count {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{event} never arrived; got {:?}",
                self.types()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A receiver on a loopback port answering each delivery with `answer(n)` (n counts from 0)
/// after `delay`; returns its URL and what it got.
async fn receiver(answer: fn(usize) -> StatusCode, delay: Duration) -> (String, Received) {
    let received = Received::default();
    let seen = received.clone();
    let app = Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let n = {
                    let mut deliveries = seen.0.lock().unwrap();
                    deliveries.push((headers, String::from_utf8_lossy(&body).into_owned()));
                    deliveries.len() - 1
                };
                tokio::time::sleep(delay).await;
                answer(n)
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), received)
}

async fn app_with_receivers(receivers: &[(&str, &[&str])]) -> TestApp {
    let hooks: Vec<Value> = receivers
        .iter()
        .map(|(url, events)| json!({"url": url, "secret": SECRET, "events": events}))
        .collect();
    spawn_app_with(move |config| {
        config.webhooks = serde_json::from_value(Value::Array(hooks)).unwrap();
        config.webhook_delivery.first_retry = Duration::from_millis(100);
        config.webhook_delivery.timeout = Duration::from_secs(1);
    })
    .await
}

/// Checks every delivery with the `standardwebhooks` library, as a Python receiver would.
fn verify_with_reference_library(received: &Received) {
    let deliveries: Vec<Value> = received
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(headers, body)| {
            let headers: serde_json::Map<String, Value> =
                ["webhook-id", "webhook-timestamp", "webhook-signature"]
                    .iter()
                    .map(|name| (name.to_string(), json!(headers[*name].to_str().unwrap())))
                    .collect();
            json!({"headers": headers, "body": body})
        })
        .collect();
    let available = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        skip(
            "checking signatures with the standardwebhooks library (python3 -m pip install standardwebhooks)",
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/verify.py");
    let mut child = Command::new("python3")
        .args([script, SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(deliveries).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn account_and_session_events_reach_the_receiver_signed() {
    let (url, received) = receiver(|_| StatusCode::NO_CONTENT, Duration::ZERO).await;
    let app = app_with_receivers(&[(&url, &[])]).await;
    let response = app
        .register_simple("kim", "kim@example.com", "Kim's-passw0rd")
        .await;
    assert_eq!(response.status(), 200);
    let session = drupal_session(&app, "kim", "Kim's-passw0rd").await;
    let failed = app.login(&reqwest::Client::new(), "kim", "wrong").await;
    assert_eq!(failed.status(), 400);
    let ids = app.strings("SELECT public_id FROM sessions").await;
    let (ok, _, stderr) = latch(&app, &["session", "revoke", &ids[0]]);
    assert!(ok, "{stderr}");
    app.core
        .set_password(
            "kim",
            &secrecy::SecretString::from("An0ther-passw0rd".to_string()),
        )
        .await
        .unwrap();
    app.core
        .set_account_state("kim", AccountState::Blocked)
        .await
        .unwrap();
    for event in [
        "account.created",
        "session.created",
        "login.failed",
        "account.password_changed",
        "account.blocked",
    ] {
        received.wait_for(event, 1).await;
    }
    let events = received.events();
    let created = events
        .iter()
        .find(|e| e["type"] == "session.created")
        .unwrap();
    assert_eq!(created["data"]["account"]["name"], "kim");
    assert_eq!(created["data"]["dialect"], "drupal");
    assert_eq!(created["data"]["ip"], "127.0.0.1");
    let failed = events.iter().find(|e| e["type"] == "login.failed").unwrap();
    assert_eq!(failed["data"]["name"], "kim");
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    // No secret in any payload: no password, no session id, no session hash.
    let everything = serde_json::to_string(&events).unwrap();
    for secret in [
        "Kim's-passw0rd",
        "An0ther-passw0rd",
        "wrong",
        session.1.split('=').nth(1).unwrap(),
    ] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    let delivered = app
        .strings("SELECT state FROM webhook_outbox WHERE state <> 'delivered'")
        .await;
    assert!(delivered.is_empty(), "{delivered:?}");
    verify_with_reference_library(&received);
}

#[tokio::test]
async fn a_logout_ends_a_session_for_the_receiver_that_asked_only_for_that() {
    let (url, received) = receiver(|_| StatusCode::OK, Duration::ZERO).await;
    let app = app_with_receivers(&[(&url, &["session.ended"])]).await;
    app.create_account("lou", "secret", &[]).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let body = app.logged_in(&client, "lou", "secret").await;
    let token = body["logout_token"].as_str().unwrap();
    assert_eq!(app.logout(&client, token).await.status(), 204);
    received.wait_for("session.ended", 1).await;
    assert_eq!(received.types(), ["session.ended"]);
    assert_eq!(received.events()[0]["data"]["reason"], "logout");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_and_a_refusing_one_dead_lettered() {
    let (flaky, flaky_got) = receiver(
        |n| {
            if n < 2 {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            }
        },
        Duration::ZERO,
    )
    .await;
    let (refusing, refusing_got) = receiver(|_| StatusCode::GONE, Duration::ZERO).await;
    let app = app_with_receivers(&[
        (&flaky, &["session.created"]),
        (&refusing, &["session.created"]),
    ])
    .await;
    app.create_account("max", "secret", &[]).await;
    drupal_session(&app, "max", "secret").await;
    flaky_got.wait_for("session.created", 3).await;
    let started = Instant::now();
    loop {
        let states = app
            .strings("SELECT state FROM webhook_outbox ORDER BY url")
            .await;
        if states.contains(&"delivered".to_string()) && states.contains(&"dead".to_string()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{states:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The same message id on every attempt, so a receiver can drop repeats.
    let ids: Vec<String> = flaky_got
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().unwrap().to_string())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert_eq!(refusing_got.types().len(), 1, "a 410 is not retried");
    let attempts = app
        .integers("SELECT attempts FROM webhook_outbox ORDER BY attempts")
        .await;
    assert_eq!(attempts, [1, 3]);

    let (ok, stdout, stderr) = latch(&app, &["webhook", "list"]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("1 dead") && stdout.contains("410"),
        "{stdout}"
    );
    let dead = app
        .integers("SELECT id FROM webhook_outbox WHERE state = 'dead'")
        .await;
    let (ok, _, stderr) = latch(&app, &["webhook", "retry", &dead[0].to_string()]);
    assert!(ok, "{stderr}");
    refusing_got.wait_for("session.created", 2).await;
}

#[tokio::test]
async fn a_slow_receiver_never_delays_a_request() {
    let (url, received) = receiver(|_| StatusCode::OK, Duration::from_secs(3)).await;
    let app = app_with_receivers(&[(&url, &[])]).await;
    app.create_account("ned", "secret", &[]).await;
    for _ in 0..3 {
        let started = Instant::now();
        drupal_session(&app, "ned", "secret").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    // The receiver took longer than the timeout: the event is queued again, not lost.
    received.wait_for("session.created", 1).await;
    let queued = app
        .integers("SELECT COUNT(*) FROM webhook_outbox WHERE state <> 'delivered'")
        .await;
    assert!(queued[0] >= 1);
}

#[tokio::test]
async fn second_factor_events_reach_the_receiver() {
    let (url, received) = receiver(|_| StatusCode::OK, Duration::ZERO).await;
    let events: &[&str] = &[
        "mfa.enrolled",
        "mfa.code_failed",
        "mfa.recovery_code_used",
        "mfa.removed",
    ];
    let app = app_with_receivers(&[(&url, events)]).await;
    let mia = crate::mfa_support::enrolled_account(&app, "mia", "secret").await;
    let token = crate::mfa_support::mfa_token(&app, "mia", "secret").await;
    let wrong = crate::mfa_support::native_login_mfa(&app, &token, "000000x").await;
    assert_eq!(wrong.status(), 401);
    let right = crate::mfa_support::native_login_mfa(&app, &token, &mia.recovery_codes[0]).await;
    assert_eq!(right.status(), 200);
    let (status, _) = crate::mfa_support::call_as(
        &app,
        &mia.session,
        reqwest::Method::DELETE,
        "/latch/mfa/totp",
        Some(&json!({"password": "secret"})),
    )
    .await;
    assert_eq!(status, 204);
    received.wait_for("mfa.removed", 1).await;
    let mut types = received.types();
    types.sort_unstable();
    let mut expected = events.to_vec();
    expected.sort_unstable();
    assert_eq!(types, expected);
    for event in received.events() {
        assert_eq!(event["data"]["account"]["name"], "mia", "{event}");
    }
}
