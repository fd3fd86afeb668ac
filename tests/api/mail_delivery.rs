//! Delivery through a real SMTP server on loopback: requests never wait for it, messages
//! survive its outages, permanent refusals are dead-lettered, and two nodes never send the
//! same message twice.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use latch::core::mail::{MailKind, OutgoingMail};
use serde_json::json;

use crate::helpers::{TestApp, new_client, spawn_app_with, spawn_with_config};
use crate::mail_sink::{Reply, SmtpSink, latch_cli, smtp_on};
use crate::process::free_port;

async fn request_reset(app: &TestApp, mail: &str) -> Duration {
    let started = Instant::now();
    let response = new_client()
        .post(app.url("/user/password?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({ "mail": mail }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    started.elapsed()
}

/// Waits until every message in the outbox has left the `queued` state.
async fn settled(app: &TestApp) -> Vec<String> {
    for _ in 0..300 {
        let states = app
            .strings("SELECT state FROM mail_outbox ORDER BY id")
            .await;
        if !states.is_empty() && !states.iter().any(|s| s == "queued") {
            return states;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox never settled: {:?}", app.outbox().await);
}

#[tokio::test]
async fn registration_answers_at_once_while_smtp_is_down_and_the_mail_follows_when_it_returns() {
    let port = free_port();
    let app = spawn_app_with(|c| smtp_on(c, port)).await;
    let started = Instant::now();
    let response = app
        .register_simple("dora", "dora@example.com", "dora-pass")
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "registration took {:?}",
        started.elapsed()
    );
    // Let the worker fail at least once against the closed port. The attempt is counted when
    // the message is claimed, so wait for the failure itself to be recorded.
    for _ in 0..200 {
        if app.outbox().await[0].last_error.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outbox = app.outbox().await;
    assert_eq!(outbox[0].state, "queued");
    assert!(outbox[0].last_error.is_some(), "{outbox:?}");

    let sink = SmtpSink::start_on(port, Reply::Accept);
    let message = sink.wait_for("dora@example.com", "Account details").await;
    assert!(message.text.contains("/user/reset/"), "{}", message.text);
    assert!(!message.tls, "mail.smtp.tls = \"none\" came encrypted");
    assert_eq!(settled(&app).await, ["sent"]);
}

#[tokio::test]
async fn a_slow_smtp_server_does_not_slow_password_reset_requests() {
    let sink = SmtpSink::start(Reply::Slow(3.0));
    let app = spawn_app_with(|c| sink.configure(c)).await;
    app.create_account("sam", "sam-pass", &[]).await;
    let first = request_reset(&app, "sam@example.com").await;
    // The worker is now stuck in the slow conversation; the next request must not notice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = request_reset(&app, "sam@example.com").await;
    assert!(
        first < Duration::from_secs(1) && second < Duration::from_secs(1),
        "{first:?} {second:?}"
    );
    assert_eq!(sink.wait_for_count(1).await.len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_is_dead_lettered_and_can_be_retried_once_fixed() {
    let port = free_port();
    let refusing = SmtpSink::start_on(port, Reply::Refuse("550 5.1.1 No such mailbox"));
    let app = spawn_app_with(|c| smtp_on(c, port)).await;
    app.create_account("pete", "pete-pass", &[]).await;
    request_reset(&app, "pete@example.com").await;
    assert_eq!(settled(&app).await, ["dead"]);
    let outbox = app.outbox().await;
    assert_eq!(outbox[0].attempts, 1, "a permanent failure is not retried");
    assert!(
        outbox[0].last_error.as_deref().unwrap().contains("550"),
        "{outbox:?}"
    );
    assert!(refusing.messages().is_empty());
    let listed = latch_cli(&app, &["mail", "list", "--state", "dead"]);
    assert!(listed.contains("pete@example.com"), "{listed}");

    drop(refusing);
    let sink = SmtpSink::start_on(port, Reply::Accept);
    latch_cli(&app, &["mail", "retry", &outbox[0].id.to_string()]);
    sink.wait_for("pete@example.com", "Replacement login").await;
    assert_eq!(settled(&app).await, ["sent"]);
    let purged = latch_cli(&app, &["mail", "purge"]);
    assert!(purged.contains("Deleted 1 message"), "{purged}");
    assert!(app.outbox().await.is_empty());
}

#[tokio::test]
async fn temporary_refusals_are_retried_until_the_configured_attempts_then_dead_lettered() {
    let sink = SmtpSink::start(Reply::Refuse("451 4.3.0 Try again later"));
    let app = spawn_app_with(|c| {
        sink.configure(c);
        c.mail.max_attempts = 2;
    })
    .await;
    app.create_account("tess", "tess-pass", &[]).await;
    request_reset(&app, "tess@example.com").await;
    assert_eq!(settled(&app).await, ["dead"]);
    let outbox = app.outbox().await;
    assert_eq!(outbox[0].attempts, 2);
    assert!(
        outbox[0].last_error.as_deref().unwrap().contains("451"),
        "{outbox:?}"
    );
}

#[tokio::test]
async fn two_nodes_on_one_database_never_send_a_message_twice() {
    let sink = SmtpSink::start(Reply::Slow(0.2));
    let first = spawn_app_with(|c| {
        sink.configure(c);
        c.mail.poll_interval = Duration::from_millis(50);
    })
    .await;
    let second = spawn_with_config(first.config.clone(), tempfile::tempdir().unwrap()).await;
    const COUNT: usize = 12;
    let now = latch::core::now();
    for n in 0..COUNT {
        let mail = OutgoingMail {
            kind: MailKind::PasswordReset,
            recipient: format!("user{n}@example.com"),
            subject: format!("message {n}"),
            body: "hello".into(),
            html: None,
            account_id: None,
        };
        second.core.store().enqueue_mail(&mail, now).await.unwrap();
    }
    let received = sink.wait_for_count(COUNT).await;
    // Any duplicate would arrive within a few more sends.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let received_now = sink.messages();
    let ids: HashSet<&str> = received_now.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(received_now.len(), COUNT, "{received:#?}");
    assert_eq!(ids.len(), COUNT);
    let senders = first
        .strings("SELECT DISTINCT claimed_by FROM mail_outbox WHERE state = 'sent'")
        .await;
    assert_eq!(
        senders.len(),
        2,
        "both nodes should have taken part: {senders:?}"
    );
}

#[tokio::test]
async fn a_registration_that_fails_validation_leaves_no_message() {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| sink.configure(c)).await;
    app.register_simple("nina", "nina@example.com", "nina-pass")
        .await;
    let response = app
        .register_simple("nina", "other@example.com", "other-pass")
        .await;
    assert_eq!(response.status(), 422);
    let response = app
        .register_simple("bad name ", "bad@example.com", "pass")
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(settled(&app).await, ["sent"]);
    let recipients = app.strings("SELECT recipient FROM mail_outbox").await;
    assert_eq!(recipients, ["nina@example.com"]);
}

#[tokio::test]
async fn configured_templates_fill_in_the_site_and_link_and_add_an_html_part() {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| {
        sink.configure(c);
        c.site_name = "Acme".into();
        c.public_url = "https://login.acme.test/".into();
        c.mail.templates.insert(
            "password_reset".into(),
            latch::config::TemplateConfig {
                subject: Some("{site_name}: reset for {name}".into()),
                text: Some("Follow {link} to reset.".into()),
                html: Some("<p><a href=\"{link}\">Reset</a> at {site_name}</p>".into()),
            },
        );
    })
    .await;
    app.create_account("hal", "hal-pass", &[]).await;
    request_reset(&app, "hal@example.com").await;
    let message = sink
        .wait_for("hal@example.com", "Acme: reset for hal")
        .await;
    assert!(
        message
            .text
            .starts_with("Follow https://login.acme.test/user/reset/"),
        "{}",
        message.text
    );
    let html = message.html.expect("an HTML alternative");
    assert!(
        html.contains("<a href=\"https://login.acme.test/user/reset/"),
        "{html}"
    );
}

#[tokio::test]
async fn a_claim_of_a_worker_that_died_mid_send_lapses_and_another_worker_takes_the_message() {
    // No SMTP and a long poll: this node's own worker stays out of the way.
    let app = spawn_app_with(|c| c.mail.poll_interval = Duration::from_secs(3600)).await;
    let store = app.core.store();
    let now = latch::core::now() + 10;
    let mail = OutgoingMail {
        kind: MailKind::PasswordReset,
        recipient: "zoe@example.com".into(),
        subject: "s".into(),
        body: "b".into(),
        html: None,
        account_id: None,
    };
    store.enqueue_mail(&mail, now).await.unwrap();
    let claimed = store.claim_mail("crashed", now, now + 60).await.unwrap();
    assert_eq!(claimed.unwrap().attempts, 1);
    assert!(
        store
            .claim_mail("other", now + 30, now + 90)
            .await
            .unwrap()
            .is_none()
    );

    let taken = store
        .claim_mail("other", now + 61, now + 120)
        .await
        .unwrap();
    let taken = taken.expect("the lapsed claim is free again");
    assert_eq!(taken.attempts, 2);
    let sent = latch::store::Outcome::Delivered { logged: false };
    let id = taken.id;
    assert!(
        !store
            .finish_mail(id, "crashed", sent, None, now + 62)
            .await
            .unwrap()
    );
    assert!(
        store
            .finish_mail(id, "other", sent, None, now + 62)
            .await
            .unwrap()
    );
    assert_eq!(app.outbox().await[0].state, "sent");
}
