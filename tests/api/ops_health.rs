//! `/healthz` and `/readyz`, as a load balancer or an orchestrator probes them.

use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_each_part_ready() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    for part in ["database", "migrations", "mail_worker"] {
        assert_eq!(body["checks"][part], "ok", "{part}: {body}");
    }
}

#[tokio::test]
async fn readyz_is_503_naming_the_database_when_it_is_gone() {
    let app = spawn_app().await;
    // The pool's connections end as if the server had gone away.
    app.core.store().close().await;
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "not ready", "{body}");
    assert_eq!(body["checks"]["database"], "unreachable", "{body}");
    assert_eq!(body["checks"]["mail_worker"], "ok", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("database"), "{message}");
    // The probe of the process itself does not depend on the database.
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn readyz_names_migrations_the_database_has_not_applied() {
    let app = spawn_app().await;
    let store = app.core.store();
    match store {
        latch::store::Store::Sqlite(pool) => {
            sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
                .execute(pool)
                .await
                .unwrap();
        }
        latch::store::Store::Postgres(pool) => {
            sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(
        body["checks"]["migrations"], "1 migrations not applied (run latch migrate)",
        "{body}"
    );
}
