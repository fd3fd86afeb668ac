//! TOTP enrolment and removal through the native API, `latch user mfa` / `mfa-reset`, and
//! the audit trail of second factors.

use latch::core::totp;
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::mfa_support::{
    call, call_as, csrf_token, enrolled_account, mfa_token, native_login, settle, start,
    status_json, step_now,
};
use crate::native_support::{drupal_session, get_with};
use crate::process::latch;

#[tokio::test]
async fn enrolment_shows_the_secret_once_and_confirming_gives_single_use_recovery_codes() {
    let app = spawn_app().await;
    app.create_account("alice", "secret", &[]).await;
    let session = drupal_session(&app, "alice", "secret").await;
    let (name, value) = &session;

    // A cookie alone does not enrol: the CSRF token is needed.
    let refused = call(
        &app,
        Method::POST,
        "/latch/mfa/totp",
        &[(name, value)],
        None,
    )
    .await;
    assert_eq!(refused.status(), 403);

    let token = csrf_token(&app, &session).await;
    let response = call(
        &app,
        Method::POST,
        "/latch/mfa/totp",
        &[(name, value), ("X-CSRF-Token", &token)],
        None,
    )
    .await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap();
    assert_eq!(totp::base32_decode(secret).unwrap().len(), 20);
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("alice"), "{uri}");
    assert!(body["qr_svg"].as_str().unwrap().contains("<svg"));

    // Not on until confirmed: the password alone still logs in.
    let (status, listed) = status_json(get_with(&app, "/latch/mfa", &[(name, value)]).await).await;
    assert_eq!(status, 200);
    assert_eq!(listed["enrolled"], false);
    assert_eq!(listed["totp"]["pending"], true);
    assert_eq!(
        app.login(&reqwest::Client::new(), "alice", "secret")
            .await
            .status(),
        200
    );

    let bytes = totp::base32_decode(secret).unwrap();
    let wrong = format!(
        "{:06}",
        (totp::code_at(&bytes, step_now()).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let confirm = |code: String| {
        let session = session.clone();
        let app = &app;
        async move {
            call_as(
                app,
                &session,
                Method::POST,
                "/latch/mfa/totp/confirm",
                Some(&json!({"code": code})),
            )
            .await
        }
    };
    let (status, body) = confirm(wrong).await;
    assert_eq!(status, 401, "{body}");
    settle(5).await;
    let (status, body) = confirm(totp::code_at(&bytes, step_now())).await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<&str> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(codes.len() >= 8);
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), codes.len());

    // Stored only hashed.
    let stored = app
        .strings("SELECT code_hash FROM mfa_recovery_codes")
        .await;
    assert_eq!(stored.len(), codes.len());
    for code in &codes {
        assert!(!stored.iter().any(|h| h.contains(&code.replace('-', ""))));
    }

    let (_, listed) = status_json(get_with(&app, "/latch/mfa", &[(name, value)]).await).await;
    assert_eq!(listed["enrolled"], true);
    assert_eq!(listed["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(listed["recovery_codes_left"], codes.len());

    // A second enrolment waits for the first to be removed; confirming again is refused.
    let (status, _) = call_as(&app, &session, Method::POST, "/latch/mfa/totp", None).await;
    assert_eq!(status, 409);
    let (status, _) = confirm(totp::code_at(&bytes, step_now())).await;
    assert_eq!(status, 409);

    let kinds = app
        .strings("SELECT kind FROM audit_events ORDER BY id")
        .await;
    assert!(kinds.contains(&"mfa_code_failed".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"mfa_enrol".to_string()), "{kinds:?}");
}

#[tokio::test]
async fn personal_access_tokens_need_the_account_scope() {
    let app = spawn_app().await;
    app.create_account("bob", "secret", &[]).await;
    let session = drupal_session(&app, "bob", "secret").await;
    let mut tokens = Vec::new();
    for scopes in [json!(["verify"]), json!(["account"])] {
        let body = json!({"name": "script", "scopes": scopes});
        let (status, made) =
            call_as(&app, &session, Method::POST, "/latch/tokens", Some(&body)).await;
        assert_eq!(status, 201, "{made}");
        tokens.push(format!("Bearer {}", made["token"].as_str().unwrap()));
    }
    let verify_only = [("Authorization", tokens[0].as_str())];
    let account = [("Authorization", tokens[1].as_str())];
    assert_eq!(
        call(&app, Method::POST, "/latch/mfa/totp", &verify_only, None)
            .await
            .status(),
        403
    );
    assert_eq!(
        get_with(&app, "/latch/mfa", &verify_only).await.status(),
        403
    );
    // A token is no cookie: no CSRF token needed.
    assert_eq!(
        call(&app, Method::POST, "/latch/mfa/totp", &account, None)
            .await
            .status(),
        201
    );
    assert_eq!(get_with(&app, "/latch/mfa", &[]).await.status(), 401);
}

#[tokio::test]
async fn removal_needs_a_current_code_or_the_password() {
    let app = spawn_app().await;
    let carol = enrolled_account(&app, "carol", "secret").await;
    let session = &carol.session;
    let app = &app;
    let remove = |body: serde_json::Value| async move {
        call_as(app, session, Method::DELETE, "/latch/mfa/totp", Some(&body)).await
    };
    let (status, body) = remove(json!({"password": "wrong"})).await;
    assert_eq!(status, 401, "{body}");
    // The confirming code was used: a replay proves nothing.
    let (status, _) = remove(json!({"code": carol.code(-1)})).await;
    assert_eq!(status, 401);
    let (status, body) = remove(json!({})).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = remove(json!({"code": carol.code(0)})).await;
    assert_eq!(status, 204);
    let (status, _) = remove(json!({"password": "secret"})).await;
    assert_eq!(status, 409);
    assert_eq!(
        app.login(&reqwest::Client::new(), "carol", "secret")
            .await
            .status(),
        200
    );
    assert!(
        app.strings("SELECT code_hash FROM mfa_recovery_codes")
            .await
            .is_empty()
    );
    let kinds = app.strings("SELECT kind FROM audit_events").await;
    assert!(kinds.contains(&"mfa_remove".to_string()), "{kinds:?}");

    // By password, too.
    let secret = start(app, session).await;
    let code = totp::code_at(&secret, step_now());
    let (status, _) = call_as(
        app,
        session,
        Method::POST,
        "/latch/mfa/totp/confirm",
        Some(&json!({"code": code})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = remove(json!({"password": "secret"})).await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_4xx() {
    let app = spawn_app().await;
    app.create_account("dave", "secret", &[]).await;
    let session = drupal_session(&app, "dave", "secret").await;
    let token = csrf_token(&app, &session).await;
    let (name, value) = &session;
    let headers = [(*name, value.as_str()), ("X-CSRF-Token", token.as_str())];
    let raw = |path: &'static str, content_type: &'static str, body: &'static str| {
        let app = &app;
        async move {
            let mut request = reqwest::Client::new().post(app.url(path)).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request
                .header("Content-Type", content_type)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Confirming before starting.
    let (status, _) = call_as(
        &app,
        &session,
        Method::POST,
        "/latch/mfa/totp/confirm",
        Some(&json!({"code": "123456"})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        raw("/latch/mfa/totp/confirm", "text/plain", "123456").await,
        415
    );
    assert_eq!(
        raw("/latch/mfa/totp/confirm", "application/json", "{").await,
        400
    );
    assert_eq!(
        raw("/latch/mfa/totp/confirm", "application/json", "[]").await,
        400
    );
    assert_eq!(
        raw(
            "/latch/mfa/totp/confirm",
            "application/json",
            r#"{"code": 123456}"#
        )
        .await,
        400
    );
    assert_eq!(
        raw("/latch/mfa/totp/confirm", "application/json", "{}").await,
        400
    );
    assert_eq!(
        raw("/latch/login", "application/json", r#"{"name": "dave"}"#).await,
        400
    );
    assert_eq!(
        raw("/latch/login", "application/json", r#"{"password": "x"}"#).await,
        400
    );
    assert_eq!(
        raw(
            "/latch/login",
            "application/json",
            r#"{"name": "dave", "mail": "d@example.com", "password": "x"}"#
        )
        .await,
        400
    );
    assert_eq!(
        raw(
            "/latch/login",
            "application/json",
            r#"{"name": ["dave"], "password": "x"}"#
        )
        .await,
        400
    );
    assert_eq!(raw("/latch/login", "text/plain", "dave").await, 415);
    assert_eq!(
        raw(
            "/latch/login/mfa",
            "application/json",
            r#"{"code": "123456"}"#
        )
        .await,
        400
    );
    assert_eq!(
        raw(
            "/latch/login/mfa",
            "application/json",
            r#"{"mfa_token": "nonsense", "code": "123456"}"#
        )
        .await,
        401
    );
    // Removing nothing.
    let (status, _) = call_as(
        &app,
        &session,
        Method::DELETE,
        "/latch/mfa/totp",
        Some(&json!({"password": "secret"})),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn the_operator_sees_and_resets_a_second_factor_on_the_command_line() {
    let app = spawn_app().await;
    let _erin = enrolled_account(&app, "erin", "secret").await;
    let (ok, out, err) = latch(&app, &["user", "mfa", "erin"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("TOTP since") && out.contains("10 recovery codes left"),
        "{out}"
    );
    mfa_token(&app, "erin", "secret").await;

    let (ok, out, err) = latch(&app, &["user", "mfa-reset", "erin"]);
    assert!(ok, "{err}");
    assert!(out.contains("Removed"), "{out}");
    let (ok, out, _) = latch(&app, &["user", "mfa", "erin"]);
    assert!(ok);
    assert!(out.contains("no second factor"), "{out}");
    let response = native_login(&app, &json!({"name": "erin", "password": "secret"})).await;
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, body["mfa_required"].clone()),
        (200, json!(false)),
        "{body}"
    );
    let kinds = app.strings("SELECT kind FROM audit_events").await;
    assert!(kinds.contains(&"mfa_remove".to_string()), "{kinds:?}");

    let (ok, _, err) = latch(&app, &["user", "mfa", "nobody"]);
    assert!(!ok);
    assert!(err.contains("no such account"), "{err}");
}
