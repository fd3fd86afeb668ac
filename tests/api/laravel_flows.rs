//! The Laravel dialect's longer flows: Fortify's two-factor challenge and Breeze's inline
//! code, and a password reset from the mail to the new password.

use serde_json::json;

use crate::helpers::{new_client, spawn_app, spawn_app_with};
use crate::laravel_support::{PASSWORD, Spa, answer};
use crate::mfa_support::{enrolled_account, settle};

#[tokio::test]
async fn fortify_answers_two_factor_true_and_the_challenge_takes_a_code_or_recovery_code() {
    let app = spawn_app().await;
    let enrolled = enrolled_account(&app, "guarded", PASSWORD).await;
    settle(5).await;
    let mut spa = Spa::start(&app).await;
    assert_eq!(
        spa.login("guarded@example.com").await,
        (200, json!({"two_factor": true}))
    );
    assert_eq!(
        spa.user().await.0,
        401,
        "no session before the second factor"
    );

    let wrong = spa
        .post("/two-factor-challenge", &json!({"code": "000000"}))
        .await;
    let invalid = "The provided two factor authentication code was invalid.";
    assert_eq!(
        answer(wrong).await,
        (
            422,
            json!({"message": invalid, "errors": {"code": [invalid]}})
        )
    );
    let right = spa
        .post("/two-factor-challenge", &json!({"code": enrolled.code(0)}))
        .await;
    assert_eq!(right.status(), 204);
    assert_eq!(spa.user().await.1["name"], "guarded");
    // The waiting login is used up.
    let replay = spa
        .post("/two-factor-challenge", &json!({"code": enrolled.code(1)}))
        .await;
    assert_eq!(replay.status(), 422);

    let mut spa = Spa::start(&app).await;
    assert_eq!(spa.login("guarded@example.com").await.1["two_factor"], true);
    let wrong = spa
        .post(
            "/two-factor-challenge",
            &json!({"recovery_code": "AAAAA-BBBBB"}),
        )
        .await;
    let (status, body) = answer(wrong).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["recovery_code"],
        json!(["The provided two factor recovery code was invalid."])
    );
    let recovery = &enrolled.recovery_codes[0];
    let right = spa
        .post("/two-factor-challenge", &json!({"recovery_code": recovery}))
        .await;
    assert_eq!(right.status(), 204);
    assert_eq!(spa.user().await.0, 200);

    // Without a login waiting, the challenge has nothing to finish.
    let mut fresh = Spa::start(&app).await;
    let nothing = fresh
        .post("/two-factor-challenge", &json!({"code": enrolled.code(0)}))
        .await;
    assert_eq!(nothing.status(), 422);
}

#[tokio::test]
async fn breeze_takes_the_code_with_the_password_and_says_so_without_it() {
    let app = spawn_app_with(|c| c.laravel.stack = latch::config::LaravelStack::Breeze).await;
    let enrolled = enrolled_account(&app, "breezeguard", PASSWORD).await;
    settle(5).await;
    let mut spa = Spa::start(&app).await;
    let (status, body) = spa.login("breezeguard@example.com").await;
    assert_eq!(status, 422);
    let told = body["errors"]["email"][0].as_str().unwrap();
    assert!(
        told.contains("second factor") && told.contains("`code`"),
        "{told}"
    );
    assert_eq!(spa.user().await.0, 401);
    let with_code = json!({
        "email": "breezeguard@example.com",
        "password": PASSWORD,
        "code": enrolled.code(0),
    });
    assert_eq!(spa.post("/login", &with_code).await.status(), 204);
    assert_eq!(spa.user().await.0, 200);
}

#[tokio::test]
async fn a_reset_mail_leads_to_the_front_end_and_its_token_sets_the_password_once() {
    let app = spawn_app().await;
    app.create_account("forgetful", PASSWORD, &[]).await;
    let mut old_session = Spa::start(&app).await;
    assert_eq!(old_session.login("forgetful@example.com").await.0, 200);

    let mut spa = Spa::start(&app).await;
    let sent = json!({"message": "We have emailed your password reset link."});
    for email in ["forgetful@example.com", "nobody@example.com"] {
        let response = spa.post("/forgot-password", &json!({"email": email})).await;
        assert_eq!(answer(response).await, (200, sent.clone()), "{email}");
    }
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), 1, "only the known address gets mail");
    let text = app.mail_text(outbox[0].id).await;
    let marker = "/reset-password/";
    let start = text.find(marker).expect("a link in the mail") + marker.len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();

    let link = new_client()
        .get(app.url(&format!("/reset-password/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 302);
    assert_eq!(
        link.headers()["location"],
        format!("/password-reset/{token}").as_str()
    );

    let new_password = "another long pass phrase";
    let reset = json!({
        "token": token,
        "email": "forgetful@example.com",
        "password": new_password,
        "password_confirmation": new_password,
    });
    let mismatched = json!({
        "token": token,
        "email": "forgetful@example.com",
        "password": new_password,
        "password_confirmation": "something else",
    });
    let (status, body) = answer(spa.post("/reset-password", &mismatched).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["errors"]["password"],
        json!(["The password field confirmation does not match."])
    );
    let invalid = "This password reset token is invalid.";
    let token_refused = (
        422,
        json!({"message": invalid, "errors": {"email": [invalid]}}),
    );
    // As in Laravel, the token counts only with its own account's address.
    app.create_account("bystander", PASSWORD, &[]).await;
    for email in ["bystander@example.com", "nobody@example.com"] {
        let mut elsewhere = reset.clone();
        elsewhere["email"] = json!(email);
        let refused = spa.post("/reset-password", &elsewhere).await;
        assert_eq!(answer(refused).await, token_refused, "{email}");
        // Laravel's validation reports a bad password before the broker sees the token.
        let too_long = "x".repeat(600);
        elsewhere["password"] = json!(too_long);
        elsewhere["password_confirmation"] = json!(too_long);
        let (status, body) = answer(spa.post("/reset-password", &elsewhere).await).await;
        assert_eq!(status, 422, "{email}");
        assert!(body["errors"]["password"].is_array(), "{email}: {body}");
        assert!(body["errors"].get("email").is_none(), "{email}: {body}");
    }
    let done = spa.post("/reset-password", &reset).await;
    assert_eq!(
        answer(done).await,
        (200, json!({"message": "Your password has been reset."}))
    );
    assert_eq!(old_session.user().await.0, 401, "every session ended");
    let again = spa.post("/reset-password", &reset).await;
    assert_eq!(answer(again).await, token_refused);
    let mut forged = reset.clone();
    forged["token"] = json!("1.2.3");
    assert_eq!(spa.post("/reset-password", &forged).await.status(), 422);

    let body = json!({"email": "forgetful@example.com", "password": new_password});
    let response = spa.post("/login", &body).await;
    assert_eq!(response.status(), 200);
}
