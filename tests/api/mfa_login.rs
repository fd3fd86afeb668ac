//! The native two-step login: `POST /latch/login`, then `POST /latch/login/mfa`.

use serde_json::json;

use crate::helpers::spawn_app_with;
use crate::mfa_support::{
    enrolled_account, mfa_token, native_login, native_login_mfa, status_json,
};
use crate::native_support::get_with;

#[tokio::test]
async fn an_account_without_a_second_factor_gets_its_session_at_once() {
    let app = spawn_app_with(|_| {}).await;
    app.create_account("frank", "secret", &[]).await;
    let response = native_login(
        &app,
        &json!({"mail": "frank@example.com", "password": "secret"}),
    )
    .await;
    assert!(response.headers().get("set-cookie").is_some());
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mfa_required"], false);
    assert_eq!(body["user"]["name"], "frank");
    let token = body["session_token"].as_str().unwrap();
    let whoami = get_with(&app, "/latch/whoami", &[("X-Session-Token", token)]).await;
    assert_eq!(whoami.status(), 200);

    // Enumeration-safe as the dialects: one answer for a wrong password and an unknown name.
    let wrong = native_login(&app, &json!({"name": "frank", "password": "nope"})).await;
    let unknown = native_login(&app, &json!({"name": "nobody", "password": "nope"})).await;
    let (wrong, wrong_body) = status_json(wrong).await;
    let (unknown, unknown_body) = status_json(unknown).await;
    assert_eq!((wrong, unknown), (401, 401));
    assert_eq!(wrong_body, unknown_body);
}

#[tokio::test]
async fn the_second_step_opens_the_session_once_and_refuses_replayed_codes() {
    let app = spawn_app_with(|_| {}).await;
    let grace = enrolled_account(&app, "grace", "secret").await;

    let token = mfa_token(&app, "grace", "secret").await;
    // No session yet.
    let response = native_login(&app, &json!({"name": "grace", "password": "secret"})).await;
    let (_, body) = status_json(response).await;
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert!(body.get("session_token").is_none(), "{body}");
    let expires_at = body["expires_at"].as_i64().unwrap();
    assert!(expires_at <= latch::core::now() + 300, "{body}");

    // The code that confirmed the enrolment is used up.
    let (status, body) = status_json(native_login_mfa(&app, &token, &grace.code(-1)).await).await;
    assert_eq!(status, 401, "{body}");
    // Two steps ahead is too far.
    let (status, _) = status_json(native_login_mfa(&app, &token, &grace.code(2)).await).await;
    assert_eq!(status, 401);

    let response = native_login_mfa(&app, &token, &grace.code(0)).await;
    assert!(response.headers().get("set-cookie").is_some());
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200, "{body}");
    let session = body["session_token"].as_str().unwrap().to_string();
    let whoami = get_with(&app, "/latch/whoami", &[("X-Session-Token", &session)]).await;
    assert_eq!(whoami.status(), 200);

    // The token is good once.
    let (status, _) = status_json(native_login_mfa(&app, &token, &grace.code(1)).await).await;
    assert_eq!(status, 401);

    // The same code again is a replay, on a fresh token too; the next step's is accepted.
    let token = mfa_token(&app, "grace", "secret").await;
    let (status, _) = status_json(native_login_mfa(&app, &token, &grace.code(0)).await).await;
    assert_eq!(status, 401);
    let (status, body) = status_json(native_login_mfa(&app, &token, &grace.code(1)).await).await;
    assert_eq!(status, 200, "{body}");

    let kinds = app.strings("SELECT kind FROM audit_events").await;
    assert!(kinds.contains(&"mfa_code_failed".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"login".to_string()), "{kinds:?}");
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = spawn_app_with(|_| {}).await;
    let heidi = enrolled_account(&app, "heidi", "secret").await;
    let code = heidi.recovery_codes[3].clone();
    let token = mfa_token(&app, "heidi", "secret").await;
    // As a person types it: any case, with spaces.
    let typed = code.to_uppercase().replace('-', " ");
    let (status, body) = status_json(native_login_mfa(&app, &token, &typed).await).await;
    assert_eq!(status, 200, "{body}");

    let token = mfa_token(&app, "heidi", "secret").await;
    let (status, _) = status_json(native_login_mfa(&app, &token, &code).await).await;
    assert_eq!(status, 401);
    let (name, value) = &heidi.session;
    let (_, listed) = status_json(get_with(&app, "/latch/mfa", &[(name, value)]).await).await;
    assert_eq!(
        listed["recovery_codes_left"],
        heidi.recovery_codes.len() - 1
    );
    let kinds = app.strings("SELECT kind FROM audit_events").await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "mfa_recovery_code").count(),
        1,
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_pending_login_expires() {
    let app = spawn_app_with(|_| {}).await;
    let ivan = enrolled_account(&app, "ivan", "secret").await;
    let token = mfa_token(&app, "ivan", "secret").await;
    app.execute("UPDATE mfa_pending_logins SET expires_at = 1".into())
        .await;
    let (status, body) = status_json(native_login_mfa(&app, &token, &ivan.code(0)).await).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("log in again"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_codes_are_limited_per_account() {
    let app = spawn_app_with(|config| config.flood.user_limit = 3).await;
    let judy = enrolled_account(&app, "judy", "secret").await;
    let token = mfa_token(&app, "judy", "secret").await;
    for _ in 0..3 {
        let (status, _) = status_json(native_login_mfa(&app, &token, "000000x").await).await;
        assert_eq!(status, 401);
    }
    // Even the right code now waits; so does a new login's.
    let response = native_login_mfa(&app, &token, &judy.code(0)).await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0);
    let token = mfa_token(&app, "judy", "secret").await;
    let response = native_login_mfa(&app, &token, &judy.code(0)).await;
    assert_eq!(response.status(), 429);
    // Inline in a dialect, too.
    let inline = app
        .post_json(
            &reqwest::Client::new(),
            "/user/login?_format=json",
            &json!({"name": "judy", "pass": "secret", "code": judy.code(0)}).to_string(),
        )
        .await;
    assert_ne!(inline.status(), 200);
}
