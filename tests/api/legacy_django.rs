//! Trickle migration from a live Django site with dj-rest-auth: a second latch speaking
//! Django plays it, and so does the reference project of the differential test
//! (`tests/django_reference/`: Django, DRF, dj-rest-auth and allauth).

use latch::config::LegacyDialect;
use serde_json::json;

use crate::differential_reference::{python, start_reference};
use crate::helpers::{new_client, skip, spawn_app, spawn_app_with};
use crate::legacy_support::{
    drupal_login, events, import_without_hash, latch_before, native_login_by_mail, stored_hash,
};

/// `POST /dj-rest-auth/login/` on `app` by name: the status.
async fn rest_login(app: &crate::helpers::TestApp, name: &str, pass: &str) -> u16 {
    new_client()
        .post(app.url("/dj-rest-auth/login/"))
        .json(&json!({"username": name, "password": pass}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_account_comes_over_from_a_django_site_by_name_or_by_mail() {
    let legacy = spawn_app().await;
    legacy.create_account("gil", "gil's pw", &[]).await;
    legacy.create_account("hal", "hal's pw", &[]).await;
    let app = latch_before(&legacy.address, LegacyDialect::Django).await;

    assert_eq!(rest_login(&app, "gil", "gil's pw").await, 204);
    let gil = app.core.store().account_by_name("gil").await.unwrap();
    assert_eq!(gil.unwrap().mail.as_deref(), Some("gil@example.com"));
    assert_eq!(
        native_login_by_mail(&app, "hal@example.com", "hal's pw").await,
        200
    );
    let hash = stored_hash(&app, "hal").await.unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_eq!(events(&app, "legacy_migrate").await, 2);
    // Each legacy session was logged out again.
    assert_eq!(legacy.session_count().await, 0);
    assert_eq!(events(&legacy, "logout").await, 2);

    assert_eq!(rest_login(&app, "gil", "wrong").await, 400);
    assert_eq!(events(&legacy, "login_failed").await, 0);
    assert_eq!(rest_login(&app, "nobody", "nobody's pw").await, 400);
    assert_eq!(app.account_count().await, 2);
}

#[tokio::test]
async fn a_django_site_on_another_login_path_is_asked_there() {
    let legacy = spawn_app_with(|c| c.django.rest_auth_prefix = "/api/auth/".into()).await;
    legacy.create_account("kim", "kim's pw", &[]).await;
    let app =
        crate::legacy_support::latch_before_with(&legacy.address, LegacyDialect::Django, |c| {
            c.legacy.login_path = "/api/auth/login/".into()
        })
        .await;
    import_without_hash(&app, "kim").await;

    assert_eq!(drupal_login(&app, "kim", "kim's pw").await.0, 200);
    let counts = app.core.legacy_counts().await.unwrap();
    assert_eq!((counts.migrated, counts.remaining), (1, 0));
}

#[tokio::test]
async fn accounts_come_over_from_the_reference_django_project() {
    let Some(python) = python() else {
        return skip(
            "trickle migration from the Django reference project: no reference project \
             environment (python3 -m venv tests/django_reference/.venv && \
             tests/django_reference/.venv/bin/pip install -r \
             tests/django_reference/requirements.txt; .ci/run does it)",
        );
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = start_reference(&python, dir.path()).await;
    // runserver under a busy test suite can take seconds over a login.
    let app =
        crate::legacy_support::latch_before_with(&reference.base, LegacyDialect::Django, |c| {
            c.legacy.timeout = std::time::Duration::from_secs(20);
        })
        .await;

    // A wrong password, and an account Django keeps inactive, come over as nothing.
    let (status, wrong) = drupal_login(&app, "bench", "wrong horse").await;
    assert_eq!(status, 400);
    assert_eq!(
        drupal_login(&app, "blocked", "pw pw pw").await,
        (status, wrong)
    );
    assert_eq!(app.account_count().await, 0);

    // allauth logs in by mail too.
    assert_eq!(
        native_login_by_mail(&app, "bench@example.com", "correct horse").await,
        200
    );
    let bench = app.core.store().account_by_name("bench").await.unwrap();
    assert_eq!(bench.unwrap().mail.as_deref(), Some("bench@example.com"));
    assert_eq!(drupal_login(&app, "bench", "correct horse").await.0, 200);
    assert_eq!(events(&app, "legacy_migrate").await, 1);
}
