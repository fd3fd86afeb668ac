//! The allauth headless dialect, through both of allauth's clients: logging in and out, the
//! envelope and its flows, signup, the second factor, passwords and addresses, and the shared
//! account and session stores.

use reqwest::Method;
use serde_json::{Value, json};

use crate::allauth_support::{Front, PASSWORD, flow_ids};
use crate::helpers::{new_client, spawn_app, spawn_app_with};
use crate::laravel_support::set_cookie;
use crate::mfa_support::{enrolled_account, settle};

#[tokio::test]
async fn a_browser_logs_in_with_the_csrf_cookie_and_out_again() {
    let app = spawn_app().await;
    app.create_account("ada", PASSWORD, &[]).await;
    let mut front = Front::browser(&app);
    let (status, body) = front.session().await;
    assert_eq!(status, 401);
    assert_eq!(flow_ids(&body), ["login", "signup"]);
    assert_eq!(body["meta"], json!({"is_authenticated": false}));
    assert!(front.csrf.is_some(), "the first answer sets csrftoken");

    // An unsafe request without the token is refused before its body is read, in JSON that
    // says what to send.
    let bare = new_client()
        .post(front.url("auth/login"))
        .json(&json!({"username": "ada", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, body) = front.read(bare).await;
    assert_eq!(status, 403);
    assert_eq!(body["errors"][0]["code"], "csrf_failed");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("X-CSRFToken")
    );

    let before = front.csrf.clone();
    let (status, body) = front.login("ada", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["username"], "ada");
    assert_eq!(body["data"]["user"]["email"], "ada@example.com");
    assert_eq!(body["data"]["user"]["has_usable_password"], true);
    assert_eq!(body["data"]["methods"][0]["method"], "password");
    assert_eq!(body["data"]["methods"][0]["username"], "ada");
    assert_eq!(
        body["meta"],
        json!({"is_authenticated": true}),
        "no token for browsers"
    );
    assert_ne!(front.csrf, before, "a login rotates the CSRF token");

    let (status, body) = front.session().await;
    assert_eq!(
        (status, body["data"]["user"]["username"].clone()),
        (200, json!("ada"))
    );
    // The session is latch's: the native API sees it.
    let whoami = front
        .client
        .get(app.url("/latch/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(whoami.status(), 200);

    let (status, again) = front.login("ada", PASSWORD).await;
    assert_eq!((status, again), (409, json!({"status": 409})));

    let (status, body) = front.call(Method::DELETE, "auth/session", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["meta"]["is_authenticated"], false);
    assert_eq!(front.session().await.0, 401);
}

#[tokio::test]
async fn an_app_carries_its_session_in_the_session_token() {
    let app = spawn_app().await;
    app.create_account("grace", PASSWORD, &[]).await;
    let mut front = Front::app(&app);
    let body = json!({"email": "grace@example.com", "password": PASSWORD});
    let (status, body) = front.call(Method::POST, "auth/login", Some(&body)).await;
    assert_eq!(status, 200, "{body}");
    let token = body["meta"]["session_token"].as_str().unwrap().to_string();
    assert_eq!(body["data"]["methods"][0]["email"], "grace@example.com");

    // No CSRF token and no cookies: the header is the session.
    let (status, body) = front.session().await;
    assert_eq!(status, 200);
    assert!(
        body["meta"].get("session_token").is_none(),
        "not new, not repeated"
    );
    let cookie_only = Front::app(&app);
    assert_eq!(
        cookie_only
            .send(Method::GET, "auth/session", None)
            .await
            .status(),
        401
    );

    let (status, _) = front.call(Method::DELETE, "auth/session", None).await;
    assert_eq!(status, 401);
    // The token names no session any more: allauth's 410, so the app forgets it.
    let (status, body) = front.session().await;
    assert_eq!(status, 410);
    assert_eq!(body["status"], 410);
    assert_eq!(flow_ids(&body), ["login", "signup"]);

    let mut forged = Front::app(&app);
    forged.session_token = Some(format!("{token}x"));
    assert_eq!(forged.session().await.0, 410);
    forged.session_token = Some("mfa.nothing".into());
    assert_eq!(forged.session().await.0, 410);
}

#[tokio::test]
async fn login_refusals_speak_allauths_codes() {
    let app = spawn_app().await;
    app.create_account("linus", PASSWORD, &[]).await;
    let mut front = Front::app(&app);
    let cases = [
        (
            json!({"username": "linus", "password": "wrong"}),
            json!([{"message": "The username and/or password you specified are not correct.",
                    "code": "username_password_mismatch", "param": "password"}]),
        ),
        (
            json!({"email": "nobody@example.com", "password": "wrong"}),
            json!([{"message": "The email address and/or password you specified are not correct.",
                    "code": "email_password_mismatch", "param": "password"}]),
        ),
        (
            json!({"username": "linus"}),
            json!([{"message": "This field is required.", "code": "required", "param": "password"}]),
        ),
        (
            json!({"email": "not an address", "password": "   "}),
            json!([{"message": "Enter a valid email address.", "code": "invalid", "param": "email"},
                   {"message": "This field is required.", "code": "required", "param": "password"}]),
        ),
        (
            json!({"username": "linus", "email": "linus@example.com", "password": PASSWORD}),
            json!([{"message": "Invalid login.", "code": "invalid_login"}]),
        ),
        (
            json!({"password": PASSWORD}),
            json!([{"message": "Invalid login.", "code": "invalid_login"}]),
        ),
    ];
    for (body, errors) in cases {
        let (status, answer) = front.call(Method::POST, "auth/login", Some(&body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer, json!({"status": 400, "errors": errors}), "{body}");
    }
    // A body that is not JSON is refused with what to send, and nothing is logged in.
    let response = front
        .client
        .post(front.url("auth/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("username=linus&password=x")
        .send()
        .await
        .unwrap();
    let (status, answer) = front.read(response).await;
    assert_eq!(status, 400);
    assert_eq!(answer["errors"][0]["code"], "invalid_json");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    assert_eq!(front.session_token, None);
}

#[tokio::test]
async fn signup_creates_a_logged_in_account_or_lists_what_is_wrong() {
    let app = spawn_app_with(|c| c.password.min_length = 8).await;
    app.create_account("taken", PASSWORD, &[]).await;
    let mut front = Front::browser(&app);
    let body = json!({"email": "new@example.com", "username": "newcomer", "password": PASSWORD});
    let (status, answer) = front.call(Method::POST, "auth/signup", Some(&body)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["user"]["username"], "newcomer");
    assert_eq!(front.session().await.0, 200);
    let (status, _) = front.call(Method::POST, "auth/signup", Some(&body)).await;
    assert_eq!(status, 409, "signing up while logged in");
    // The account is everyone's: it logs in through the Drupal dialect too.
    let drupal = app.login(&new_client(), "newcomer", PASSWORD).await;
    assert_eq!(drupal.status(), 200);

    let mut other = Front::app(&app);
    let clash = json!({"email": "taken@example.com", "username": "taken", "password": "short"});
    let (status, answer) = other.call(Method::POST, "auth/signup", Some(&clash)).await;
    assert_eq!(status, 400, "{answer}");
    let codes: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["password_too_short"],
        "the form's own checks come first"
    );
    let clash = json!({"email": "taken@example.com", "username": "taken", "password": PASSWORD});
    let (status, answer) = other.call(Method::POST, "auth/signup", Some(&clash)).await;
    assert_eq!(status, 400, "{answer}");
    let params: Vec<&str> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["param"].as_str().unwrap())
        .collect();
    assert!(
        params.contains(&"username") && params.contains(&"email"),
        "{answer}"
    );
    let (status, answer) = other
        .call(Method::POST, "auth/signup", Some(&json!({})))
        .await;
    assert_eq!(status, 400);
    assert_eq!(answer["errors"].as_array().unwrap().len(), 3, "{answer}");
    assert_eq!(other.session_token, None);
}

#[tokio::test]
async fn closed_registration_is_forbidden_and_not_offered() {
    let app = spawn_app_with(|c| {
        c.registration.mode = latch::config::RegistrationMode::AdminOnly;
    })
    .await;
    let mut front = Front::app(&app);
    let (_, config) = front.call(Method::GET, "config", None).await;
    assert_eq!(config["data"]["account"]["is_open_for_signup"], false);
    assert_eq!(flow_ids(&front.session().await.1), ["login"]);
    let body = json!({"email": "x@example.com", "username": "x", "password": PASSWORD});
    let (status, answer) = front.call(Method::POST, "auth/signup", Some(&body)).await;
    assert_eq!((status, answer), (403, json!({"status": 403})));
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn a_second_factor_is_a_pending_flow_on_both_clients() {
    let app = spawn_app().await;
    let enrolled = enrolled_account(&app, "guarded", PASSWORD).await;
    settle(5).await;
    for (mut front, step) in [(Front::browser(&app), 0), (Front::app(&app), 1)] {
        let (status, body) = front.login("guarded", PASSWORD).await;
        assert_eq!(status, 401, "{body}");
        let pending = &body["data"]["flows"][2];
        assert_eq!(
            *pending,
            json!({"id": "mfa_authenticate", "is_pending": true, "types": ["recovery_codes", "totp"]})
        );
        if front.kind == "app" {
            assert!(front.session_token.as_deref().unwrap().starts_with("mfa."));
        }
        // Asking where it stands shows the same pending flow.
        let (status, body) = front.session().await;
        assert_eq!(status, 401);
        assert_eq!(body["data"]["flows"][2]["id"], "mfa_authenticate");

        let wrong = json!({"code": "000000"});
        let (status, body) = front
            .call(Method::POST, "auth/2fa/authenticate", Some(&wrong))
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body["errors"],
            json!([{"message": "Incorrect code.", "code": "incorrect_code", "param": "code"}])
        );
        let right = json!({"code": enrolled.code(step)});
        let (status, body) = front
            .call(Method::POST, "auth/2fa/authenticate", Some(&right))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["methods"][1]["type"], "totp");
        let (status, body) = front.session().await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["user"]["username"], "guarded");
    }
    // Without a waiting login there is nothing to finish.
    let mut fresh = Front::browser(&app);
    let code = json!({"code": enrolled.recovery_codes[0]});
    let (status, _) = fresh
        .call(Method::POST, "auth/2fa/authenticate", Some(&code))
        .await;
    assert_eq!(status, 401);
}

/// The reset key in the newest mail's link.
async fn mailed_key(app: &crate::helpers::TestApp) -> String {
    let mail = app.outbox().await.pop().expect("a mail");
    let text = app.mail_text(mail.id).await;
    let start = text.find("/_allauth/reset/").expect("the allauth link") + "/_allauth/reset/".len();
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_mailed_key_resets_the_password_once() {
    let app = spawn_app().await;
    app.create_account("hopper", PASSWORD, &[]).await;
    let mut front = Front::browser(&app);
    let (status, body) = front
        .call(
            Method::POST,
            "auth/password/request",
            Some(&json!({"email": "hopper@example.com"})),
        )
        .await;
    assert_eq!((status, body), (200, json!({"status": 200})));
    let (status, body) = front
        .call(
            Method::POST,
            "auth/password/request",
            Some(&json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"status": 200})),
        "no account oracle"
    );
    let key = mailed_key(&app).await;

    // The mailed link sends the browser on to the front end's page.
    let link = new_client()
        .get(app.url(&format!("/_allauth/reset/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status(), 302);
    assert_eq!(
        link.headers()["location"],
        format!("/account/password/reset/key/{key}").as_str()
    );

    let info = front
        .client
        .get(front.url("auth/password/reset"))
        .header("X-Password-Reset-Key", &key)
        .send()
        .await
        .unwrap();
    let (status, body) = front.read(info).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["user"]["username"], "hopper");

    let new_password = "another long phrase 2";
    let reset = json!({"key": key, "password": new_password});
    let (status, body) = front
        .call(Method::POST, "auth/password/reset", Some(&reset))
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(flow_ids(&body)[0], "login");
    let (status, body) = front
        .call(Method::POST, "auth/password/reset", Some(&reset))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "invalid_password_reset");
    assert_eq!(front.login("hopper", new_password).await.0, 200);

    let forged = json!({"key": "1-2-3", "password": new_password});
    let (status, body) = front
        .call(Method::POST, "auth/password/reset", Some(&forged))
        .await;
    assert_eq!(
        (status, body["errors"][0]["param"].clone()),
        (400, json!("key"))
    );
}

#[tokio::test]
async fn a_password_change_needs_the_current_one() {
    let app = spawn_app_with(|c| c.password.min_length = 8).await;
    app.create_account("turing", PASSWORD, &[]).await;
    let mut front = Front::app(&app);
    let change = json!({"current_password": "wrong", "new_password": "a brand new phrase 3"});
    let (status, _) = front
        .call(Method::POST, "account/password/change", Some(&change))
        .await;
    assert_eq!(status, 401, "not logged in");
    assert_eq!(front.login("turing", PASSWORD).await.0, 200);
    let (status, body) = front
        .call(Method::POST, "account/password/change", Some(&change))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["param"], "current_password", "{body}");
    let weak = json!({"current_password": PASSWORD, "new_password": "short"});
    let (status, body) = front
        .call(Method::POST, "account/password/change", Some(&weak))
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].clone()),
        (400, json!("password_too_short"))
    );
    let right = json!({"current_password": PASSWORD, "new_password": "a brand new phrase 3"});
    let (status, body) = front
        .call(Method::POST, "account/password/change", Some(&right))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(front.session().await.0, 200, "this session stays");
    assert_eq!(
        Front::app(&app)
            .login("turing", "a brand new phrase 3")
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_one_address_is_listed_primary_and_kept() {
    let app = spawn_app().await;
    app.create_account("lovelace", PASSWORD, &[]).await;
    let mut front = Front::browser(&app);
    assert_eq!(front.call(Method::GET, "account/email", None).await.0, 401);
    front.login("lovelace", PASSWORD).await;
    let listed = json!({"status": 200, "data": [
        {"email": "lovelace@example.com", "verified": false, "primary": true}]});
    assert_eq!(
        front.call(Method::GET, "account/email", None).await,
        (200, listed.clone())
    );
    let own = json!({"email": "lovelace@example.com", "primary": true});
    assert_eq!(
        front.call(Method::PATCH, "account/email", Some(&own)).await,
        (200, listed)
    );
    let (status, body) = front
        .call(Method::DELETE, "account/email", Some(&own))
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].clone()),
        (400, json!("cannot_remove_primary_email"))
    );
    let other = json!({"email": "second@example.com"});
    let (status, body) = front
        .call(Method::POST, "account/email", Some(&other))
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].clone()),
        (400, json!("max_email_addresses"))
    );
    let (status, body) = front
        .call(Method::DELETE, "account/email", Some(&other))
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].clone()),
        (400, json!("unknown_email"))
    );
}

#[tokio::test]
async fn config_describes_what_latch_offers() {
    let app = spawn_app().await;
    let mut front = Front::app(&app);
    let (status, body) = front.call(Method::GET, "config", None).await;
    assert_eq!(status, 200);
    let account = &body["data"]["account"];
    assert_eq!(account["is_open_for_signup"], true);
    assert_eq!(account["authentication_method"], "username_email");
    assert_eq!(
        body["data"]["mfa"]["supported_types"],
        json!(["recovery_codes", "totp"])
    );
    // The browser client's first answer hands out the CSRF cookie; the app's sets none.
    let browser = new_client()
        .get(app.url("/_allauth/browser/v1/config"))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&browser, "csrftoken").is_some());
    let app_answer = new_client().get(front.url("config")).send().await.unwrap();
    assert!(app_answer.headers().get("set-cookie").is_none());
    let value: Value = app_answer.json().await.unwrap();
    assert_eq!(value["status"], 200);
}

#[tokio::test]
async fn allauth_sessions_pass_forward_auth_on_both_clients() {
    let app = spawn_app().await;
    app.create_account("verified", PASSWORD, &[]).await;
    let mut browser = Front::browser(&app);
    assert_eq!(browser.login("verified", PASSWORD).await.0, 200);
    let by_cookie = browser
        .client
        .get(app.url("/latch/verify"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);
    assert_eq!(by_cookie.headers()["x-latch-user-name"], "verified");

    let mut phone = Front::app(&app);
    assert_eq!(phone.login("verified", PASSWORD).await.0, 200);
    let token = phone.session_token.clone().unwrap();
    let by_header = new_client()
        .get(app.url("/latch/verify"))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    phone.call(Method::DELETE, "auth/session", None).await;
    let after = new_client()
        .get(app.url("/latch/verify"))
        .header("X-Session-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401, "a logout is seen at once");
}
