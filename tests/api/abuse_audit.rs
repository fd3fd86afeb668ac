//! The audit trail over HTTP: each security event is recorded with the account, client
//! address and user agent, never a password or a token, and `latch audit` shows it.

use std::time::Duration;

use latch::store::{AuditFilter, AuditRow};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};

fn client(agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(agent)
        .build()
        .unwrap()
}

async fn events(app: &TestApp, kind: Option<&str>) -> Vec<AuditRow> {
    let filter = AuditFilter {
        account: None,
        kind: kind.map(String::from),
        limit: 100,
        ..Default::default()
    };
    app.core.audit_events(&filter).await.unwrap()
}

/// Waits for events recorded off the request's path (CSRF rejections).
async fn eventually(app: &TestApp, kind: &str) -> Vec<AuditRow> {
    for _ in 0..50 {
        let found = events(app, Some(kind)).await;
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {kind} event recorded");
}

#[tokio::test]
async fn logins_logouts_registrations_and_password_changes_are_recorded() {
    let app = spawn_app_with(|c| c.flood.user_limit = 2).await;
    let browser = client("AuditBrowser/1.0");
    let register = json!({"name": {"value": "bob"}, "mail": {"value": "bob@example.com"},
        "pass": {"value": "first secret pass"}});
    assert_eq!(app.register(&browser, &register).await.status(), 200);
    assert_eq!(
        app.login(&browser, "bob", "wrong guess one").await.status(),
        400
    );
    assert_eq!(
        app.login(&browser, "ghost", "wrong guess two")
            .await
            .status(),
        400
    );
    let login = app.logged_in(&browser, "bob", "first secret pass").await;
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    let patch = json!({"pass": [{"existing": "first secret pass", "value": "second secret pass"}]});
    let changed = browser
        .patch(app.url("/user/1?_format=json"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", &csrf)
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let forged = browser
        .patch(app.url("/user/1?_format=json"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", "forged")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let logout_token = login["logout_token"].as_str().unwrap();
    assert_eq!(app.logout(&browser, logout_token).await.status(), 204);
    for _ in 0..3 {
        app.login(&browser, "bob", "wrong again").await;
    }
    let reset = browser
        .post(app.url("/user/password?_format=json"))
        .header("Content-Type", "application/json")
        .body(r#"{"name": "bob"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);

    let csrf_events = eventually(&app, "csrf_reject").await;
    assert_eq!(csrf_events[0].account_name.as_deref(), Some("bob"));
    let all = events(&app, None).await;
    let mut kinds: Vec<_> = all.iter().rev().map(|e| e.kind.as_str()).collect();
    // The CSRF event is written off the request's path, so its place may vary.
    kinds.retain(|k| *k != "csrf_reject");
    assert_eq!(
        kinds,
        [
            "register",
            "login_failed",
            "login_failed",
            "login",
            "password_change",
            "logout",
            "login_failed",
            "login_failed",
            "flood_block",
            "password_reset_request",
        ]
    );
    for event in &all {
        assert_eq!(event.client_ip.as_deref(), Some("127.0.0.1"), "{event:?}");
        assert_eq!(
            event.user_agent.as_deref(),
            Some("AuditBrowser/1.0"),
            "{event:?}"
        );
    }
    let ghost = all
        .iter()
        .find(|e| e.account_name.as_deref() == Some("ghost"));
    assert_eq!(
        ghost.map(|e| (e.kind.as_str(), e.account_id)),
        Some(("login_failed", None))
    );
    let login_event = all.iter().find(|e| e.kind == "login").unwrap();
    assert_eq!(login_event.account_id, Some(1));

    // No secret reaches the table, whatever the column.
    let dump = app
        .strings(
            "SELECT kind || ' ' || COALESCE(account_name, '') || ' ' || COALESCE(client_ip, '') \
             || ' ' || COALESCE(user_agent, '') || ' ' || COALESCE(detail, '') FROM audit_events",
        )
        .await
        .join("\n");
    for secret in [
        "first secret pass",
        "second secret pass",
        "wrong",
        &csrf,
        logout_token,
    ] {
        assert!(
            !dump.contains(secret),
            "{secret} in the audit trail:\n{dump}"
        );
    }
}

#[tokio::test]
async fn latch_audit_lists_events_filtered_by_account_and_type() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("carol", "carol pass", &[]).await;
    let browser = client("AuditCli/2.0");
    app.login(&browser, "carol", "not it").await;
    app.logged_in(&browser, "carol", "carol pass").await;
    app.login(&client("AuditCli/2.0"), "dave", "not it").await;

    let run = |args: &[&str]| {
        let output = crate::process::latch_command(app.dir.path())
            .arg("--database")
            .arg(&app.config.database_url)
            .arg("audit")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        (
            output.status.success(),
            stdout,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&["--account", "CAROL", "--type", "login_failed"]);
    assert!(ok, "{err}");
    let rows: Vec<_> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].contains("login_failed") && rows[0].contains("carol"),
        "{out}"
    );
    assert!(
        rows[0].contains("127.0.0.1") && rows[0].contains("AuditCli/2.0"),
        "{out}"
    );

    let (ok, out, _) = run(&["--type", "login_failed"]);
    assert!(ok);
    assert_eq!(out.lines().count(), 3, "{out}");
    let (ok, _, err) = run(&["--type", "nonsense"]);
    assert!(!ok);
    assert!(err.contains("unknown event type"), "{err}");
}
