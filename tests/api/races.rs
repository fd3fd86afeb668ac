//! Concurrent requests against one account: one winner, clear errors for the rest, and no
//! rows left behind.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, new_client, spawn_app};

/// Sends every registration body at once; returns each answer's status and text.
async fn register_all(app: &TestApp, bodies: Vec<Value>) -> Vec<(StatusCode, String)> {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let url = app.url("/user/register?_format=json");
        tasks.spawn(async move {
            let response = new_client()
                .post(url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        });
    }
    tasks.join_all().await
}

fn registration(name: &str, mail: &str) -> Value {
    json!({"name": [{"value": name}], "mail": [{"value": mail}], "pass": [{"value": "pw"}]})
}

fn assert_one_winner(results: &[(StatusCode, String)], taken: &str) {
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = results
        .iter()
        .filter(|(s, t)| *s == StatusCode::UNPROCESSABLE_ENTITY && t.contains(taken))
        .count();
    assert_eq!((ok, refused), (1, results.len() - 1), "{results:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_registrations_of_one_name_make_one_account() {
    let app = spawn_app().await;
    let bodies = (0..50)
        .map(|i| {
            registration(
                if i % 2 == 0 { "racer" } else { "RACER" },
                &format!("r{i}@example.com"),
            )
        })
        .collect();
    let results = register_all(&app, bodies).await;
    assert_one_winner(&results, "is already taken.");
    assert_eq!(app.account_count().await, 1);
    assert_eq!(app.outbox().await.len(), 1, "only the winner is mailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_registrations_of_one_mail_in_any_case_make_one_account() {
    let app = spawn_app().await;
    let bodies = (0..50)
        .map(|i| {
            let mail = if i % 2 == 0 {
                "Same@Example.com"
            } else {
                "same@example.COM"
            };
            registration(&format!("user{i}"), mail)
        })
        .collect();
    let results = register_all(&app, bodies).await;
    assert_one_winner(&results, "mail: The email address ");
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_and_logouts_of_one_account_leave_no_session_behind() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let base = app.address.clone();
        tasks.spawn(async move {
            let client = new_client();
            let response = client
                .post(format!("{base}/user/login?_format=json"))
                .body(json!({"name": "bob", "pass": "secret"}).to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let login = body_json(&response.text().await.unwrap());
            let token = login["logout_token"].as_str().unwrap().to_string();
            let logout = client
                .post(format!("{base}/user/logout?_format=json&token={token}"))
                .send()
                .await
                .unwrap();
            logout.status()
        });
    }
    let statuses = tasks.join_all().await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::NO_CONTENT),
        "{statuses:?}"
    );
    assert_eq!(app.session_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_an_account_during_logins_leaves_no_orphaned_session() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let base = app.address.clone();
        tasks.spawn(async move {
            new_client()
                .post(format!("{base}/user/login?_format=json"))
                .body(json!({"name": "bob", "pass": "secret"}).to_string())
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    app.core.delete_account("bob").await.unwrap();
    tasks.join_all().await;
    assert_eq!(app.account_count().await, 0);
    assert_eq!(app.integers("SELECT COUNT(*) FROM sessions").await, vec![0]);
}
