//! The audit trail stays bounded: text a client chooses is cut short, events an anonymous
//! client causes over and over are counted on one row, and old rows are purged.

use std::time::Duration;

use latch::core::accounts::AccountState;
use latch::core::{ClientContext, Registrar, Registration, now};
use latch::store::{AuditFilter, AuditRow, Store};
use serde_json::json;
use tokio::task::JoinSet;

use crate::helpers::{TestApp, TestDatabase, spawn_app_with, spawn_with_config, test_config};

async fn events(app: &TestApp, kind: &str) -> Vec<AuditRow> {
    let filter = AuditFilter {
        account: None,
        kind: Some(kind.into()),
        limit: 100_000,
        ..Default::default()
    };
    app.core.audit_events(&filter).await.unwrap()
}

/// Bytes of client-chosen text the rows hold.
fn stored_text(rows: &[AuditRow]) -> usize {
    rows.iter()
        .map(|r| {
            [&r.account_name, &r.user_agent, &r.detail]
                .iter()
                .map(|t| t.as_deref().map_or(0, str::len))
                .sum::<usize>()
        })
        .sum()
}

#[tokio::test]
async fn thousands_of_failed_logins_with_huge_names_leave_a_bounded_trail() {
    // Without flood control every attempt is a failed login, the costliest case.
    let app = spawn_app_with(|c| c.flood.enabled = false).await;
    let attempts = 2_000;
    let mut tasks = JoinSet::new();
    for worker in 0..16 {
        let (url, agent) = (app.url("/user/login?_format=json"), "A".repeat(4096));
        tasks.spawn(async move {
            let client = reqwest::Client::builder()
                .user_agent(agent)
                .build()
                .unwrap();
            for n in (worker..attempts).step_by(16) {
                // Every name differs, so folding only identical events would not help.
                let name = format!("{n}-{}", "x".repeat(32 * 1024));
                let response = client
                    .post(&url)
                    .body(json!({"name": name, "pass": "wrong"}).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 400);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let rows = events(&app, "login_failed").await;
    // 20 in full and a summary; on PostgreSQL each of the 16 concurrent requests may add one.
    assert!(rows.len() <= 40, "{} rows for one client", rows.len());
    assert_eq!(
        rows.iter().map(|r| r.repeats).sum::<i64>(),
        attempts as i64,
        "every attempt is counted"
    );
    assert!(
        stored_text(&rows) < 40 * 1024,
        "{} bytes",
        stored_text(&rows)
    );
    let (summaries, full): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.account_name.is_none());
    assert!(summaries.iter().any(|r| r.repeats > 1900), "{summaries:?}");
    assert!(summaries.iter().all(|r| r.last_at >= Some(r.created_at)));
    assert!(full.len() >= 20);
    for row in full {
        let name = row.account_name.as_deref().unwrap();
        assert_eq!(name.chars().count(), 100, "the name is cut");
        assert!(name.ends_with('…'));
        assert_eq!(row.user_agent.as_deref().unwrap().chars().count(), 255);
    }
}

#[tokio::test]
async fn refused_origins_are_cut_and_counted_and_flood_blocks_too() {
    let app = spawn_app_with(|_| {}).await;
    let origin = format!("https://{}.example", "o".repeat(16 * 1024));
    let client = reqwest::Client::new();
    for i in 0..100 {
        let response = client
            .post(app.url("/rest/system/connect.json"))
            .header("Origin", &origin)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let response = client
            .post(app.url("/user/login?_format=json"))
            // A new name each time: only the per-IP limit blocks, after 50.
            .body(json!({"name": format!("ghost{i}"), "pass": "wrong"}).to_string())
            .send()
            .await
            .unwrap();
        assert!([400, 403].contains(&response.status().as_u16()));
    }
    // CSRF rejections are recorded off the request's path.
    let mut rejected = Vec::new();
    for _ in 0..100 {
        rejected = events(&app, "csrf_reject").await;
        if rejected.iter().map(|r| r.repeats).sum::<i64>() == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rejected.iter().map(|r| r.repeats).sum::<i64>(), 100);
    assert!(rejected.len() <= 22, "{} rows", rejected.len());
    assert!(
        rejected
            .iter()
            .all(|r| r.detail.as_deref().unwrap().chars().count() <= 255)
    );
    let blocked = events(&app, "flood_block").await;
    assert_eq!(blocked.iter().map(|r| r.repeats).sum::<i64>(), 50);
    assert!(blocked.len() <= 22, "{} rows", blocked.len());
}

#[tokio::test]
async fn successful_logins_are_never_folded() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("bob", "secret", &[]).await;
    for _ in 0..30 {
        app.logged_in(&reqwest::Client::new(), "bob", "secret")
            .await;
    }
    let rows = events(&app, "login").await;
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.repeats == 1));
}

#[tokio::test]
async fn events_and_finished_mail_older_than_retain_days_are_purged_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let mut config = test_config(&dir);
    config.database_url = database.url.clone();
    config.audit.retain_days = Duration::from_secs(30 * 86_400);
    let core = latch::core::Core::open(&config).await.unwrap().core;
    let day = 86_400;
    for (age, kind) in [
        (31 * day, "login"),
        (400 * day, "logout"),
        (29 * day, "register"),
    ] {
        let row = AuditRow {
            id: 0,
            created_at: now() - age,
            kind: kind.into(),
            account_id: None,
            account_name: Some("bob".into()),
            client_ip: Some("192.0.2.1".into()),
            user_agent: None,
            detail: None,
            repeats: 1,
            last_at: None,
            actor: None,
        };
        core.store().insert_audit(&row, None).await.unwrap();
    }
    let bob = Registration {
        name: "bob".into(),
        mail: Some("bob@example.com".into()),
        password: None,
        state: Some(AccountState::Active),
        roles: Vec::new(),
        ..Registration::default()
    };
    core.register(bob, Registrar::Administrator { notify: true })
        .await
        .unwrap();
    // The welcome mail, delivered long ago.
    let old_mail = format!(
        "UPDATE mail_outbox SET state = 'sent', created_at = {}",
        now() - 31 * day
    );
    match core.store() {
        Store::Sqlite(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(old_mail))
            .execute(pool)
            .await
            .map(|_| ()),
        Store::Postgres(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(old_mail))
            .execute(pool)
            .await
            .map(|_| ()),
    }
    .unwrap();
    core.request_password_reset(
        latch::core::AccountLookup::Name("bob".into()),
        &ClientContext::command_line(),
    )
    .await
    .unwrap();
    core.store().close().await;

    let app = spawn_with_config(config, dir).await;
    // The server's upkeep runs as it starts, then every ten minutes.
    let filter = AuditFilter {
        limit: 100,
        ..Default::default()
    };
    // The upkeep purges the audit trail and the outbox one after the other: wait for both.
    let (mut rows, mut outbox) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        rows = app.core.audit_events(&filter).await.unwrap();
        outbox = app.outbox().await;
        if rows.iter().all(|r| r.kind != "login" && r.kind != "logout") && outbox.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let kinds: Vec<_> = rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["password_reset_request", "register", "register"],
        "the 29-day-old event stays"
    );
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0].kind, "password_reset");
}
