//! The differential tests: each corpus of `tests/django_reference/` is sent to latch and to a
//! real Django 5.2 + DRF + dj-rest-auth + allauth project (`tests/django_reference/`), each
//! with the same accounts on a fresh database, and the answers must agree in status, JSON body
//! and the names and attributes of the cookies set — except where the corpus's allowlist names
//! an intended deviation (each also in the README). The harness is `differential.rs`.
//!
//! `scenarios.json` covers the Django dialect (dj-rest-auth); `headless_scenarios.json`
//! covers allauth's headless API, both its browser and its app client, with a TOTP login.

use latch::core::accounts::AccountState;
use latch::core::audit::ClientContext;
use latch::core::totp;

use crate::differential::{Corpus, compare};
use crate::differential_reference::{NO_REFERENCE, python, start_reference, start_reference_with};
use crate::helpers::{TestApp, skip, spawn_app_with};
use crate::mfa_support::{settle, step_now};

/// latch as the reference is set up: Django's password validators, and no flood control
/// (the corpus fails logins more often than the limits allow; flood control has tests of
/// its own).
async fn start_latch() -> TestApp {
    let app = spawn_app_with(|c| {
        c.password.min_length = 8;
        c.password.reject_common = true;
        c.password.max_similarity = 0.7;
        c.password.reject_numeric = true;
        c.flood.enabled = false;
    })
    .await;
    app.create_account("bench", "correct horse", &[]).await;
    let blocked = app.create_account("blocked", "pw pw pw", &[]).await;
    app.core
        .set_account_state(&blocked.name, AccountState::Blocked)
        .await
        .unwrap();
    app
}

/// Enrols TOTP for a new account `totp` through the core, confirmed with the previous step's
/// code so that the codes the corpus sends are still unused; its secret (base32).
async fn enrol_totp(app: &TestApp) -> String {
    let account = app.create_account("totp", "correct horse", &[]).await;
    settle(8).await;
    let enrolment = app.core.start_totp(&account).await.unwrap();
    let secret = totp::base32_decode(&enrolment.secret).unwrap();
    app.core
        .confirm_totp(
            &account,
            &totp::code_at(&secret, step_now() - 1),
            &ClientContext::command_line(),
        )
        .await
        .unwrap();
    enrolment.secret
}

#[tokio::test]
async fn latch_answers_as_a_real_django_project_does() {
    let Some(python) = python() else {
        return skip(NO_REFERENCE);
    };
    let dir = tempfile::tempdir().unwrap();
    let reference = start_reference(&python, dir.path()).await;
    let app = start_latch().await;
    let corpus = Corpus {
        scenarios: "scenarios.json",
        allowlist: "allowlist.json",
        at_least: 90,
        totp_secret: None,
    };
    compare(&corpus, &app.url(""), &reference.base).await;
}

#[tokio::test]
async fn latch_answers_as_django_allauth_headless_does() {
    let Some(python) = python() else {
        return skip(NO_REFERENCE);
    };
    let app = start_latch().await;
    let secret = enrol_totp(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let reference = start_reference_with(&python, dir.path(), Some(&secret)).await;
    let corpus = Corpus {
        scenarios: "headless_scenarios.json",
        allowlist: "headless_allowlist.json",
        at_least: 100,
        totp_secret: Some(totp::base32_decode(&secret).unwrap()),
    };
    compare(&corpus, &app.url(""), &reference.base).await;
}
