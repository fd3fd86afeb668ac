//! Passkeys over HTTP without a browser: the options, and every way a ceremony is refused
//! (expired, replayed, another account's, malformed credentials, no CSRF token), a second
//! factor that is only a passkey in the dialects and on the command line. Registering and
//! logging in with a real authenticator is in `mfa_passkeys_browser`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, message_of, spawn_app, spawn_app_on_localhost};
use crate::mfa_support::{call, call_as, native_login, status_json};
use crate::native_support::{Credential, drupal_session};
use crate::process::latch;

/// A credential as a browser encodes it, well formed, but signed by no authenticator.
fn forged_attestation() -> Value {
    json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"},
    })
}

fn forged_assertion() -> Value {
    json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {
            "authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA",
            "userHandle": null,
        },
    })
}

async fn start_registration(app: &TestApp, session: &Credential) -> Value {
    let (status, body) = call_as(
        app,
        session,
        Method::POST,
        "/latch/mfa/passkeys/register",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn finish_registration(app: &TestApp, session: &Credential, body: &Value) -> (u16, Value) {
    call_as(
        app,
        session,
        Method::POST,
        "/latch/mfa/passkeys/register/finish",
        Some(body),
    )
    .await
}

/// The `mfa_token` of a login by password, if the account has a second factor.
async fn mfa_token(app: &TestApp, name: &str, pass: &str) -> Option<String> {
    let response = native_login(app, &json!({"name": name, "password": pass})).await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200, "{body}");
    body["mfa_token"].as_str().map(str::to_string)
}

/// Gives the account a passkey row directly, as if one had been registered: enough for
/// everything that asks only whether it has one.
async fn give_passkey(app: &TestApp, name: &str) {
    app.execute(format!(
        "INSERT INTO mfa_passkeys (account_id, credential_id, name, passkey, created_at) \
         SELECT id, 'cred-{name}', 'laptop', '{{}}', 1700000000 FROM accounts WHERE name = '{name}'"
    ))
    .await;
}

#[tokio::test]
async fn options_name_the_relying_party_and_ask_for_a_discoverable_passkey() {
    let app = spawn_app_on_localhost().await;
    app.create_account("ana", "secret", &[]).await;
    let session = drupal_session(&app, "ana", "secret").await;
    let body = start_registration(&app, &session).await;
    let options = &body["publicKey"];
    assert_eq!(options["rp"]["id"], "localhost", "{body}");
    assert_eq!(options["user"]["name"], "ana");
    assert_eq!(
        options["authenticatorSelection"]["residentKey"], "required",
        "{body}"
    );
    assert_eq!(
        options["authenticatorSelection"]["userVerification"],
        "required"
    );
    assert!(body["ceremony"].as_str().unwrap().len() >= 40);
    assert!(body["expires_at"].as_i64().unwrap() > 0);
    let stored = app
        .strings("SELECT id_hash FROM mfa_passkey_ceremonies")
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], body["ceremony"].as_str().unwrap(), "kept hashed");

    let login = call(&app, Method::POST, "/latch/login/passkey", &[], None).await;
    let (status, login) = status_json(login).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["publicKey"]["rpId"], "localhost");
    assert!(
        login["publicKey"]
            .get("allowCredentials")
            .is_none_or(|c| c.as_array().is_some_and(Vec::is_empty))
    );
    assert!(login.get("mediation").is_none(), "{login}");
}

#[tokio::test]
async fn passkeys_are_off_where_public_url_is_an_address() {
    let app = spawn_app().await;
    let response = call(&app, Method::POST, "/latch/login/passkey", &[], None).await;
    assert_eq!(response.status(), 404);
    assert!(message_of(response).await.contains("public_url"));
    let page = reqwest::get(app.url("/auth/login/")).await.unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!policy.contains("script-src"), "{policy}");
    assert!(!page.text().await.unwrap().contains("passkey"));
}

#[tokio::test]
async fn the_login_page_loads_its_passkey_script_under_a_strict_policy() {
    let app = spawn_app_on_localhost().await;
    let page = reqwest::get(app.url("/auth/login/")).await.unwrap();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline'; ") || !policy.contains("script-src 'unsafe"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<script src=\"/auth/passkey.js\" defer></script>"));
    assert!(html.contains("id=\"passkey-login\""));
    let script = reqwest::get(app.url("/auth/passkey.js")).await.unwrap();
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("navigator.credentials.get")
    );
}

#[tokio::test]
async fn a_ceremony_serves_once_and_not_after_it_expires() {
    let app = spawn_app_on_localhost().await;
    app.create_account("ben", "secret", &[]).await;
    let session = drupal_session(&app, "ben", "secret").await;
    let started = start_registration(&app, &session).await;
    let finish = json!({"ceremony": started["ceremony"], "credential": forged_attestation()});
    let (status, body) = finish_registration(&app, &session, &finish).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("does not verify"),
        "{body}"
    );
    let (status, body) = finish_registration(&app, &session, &finish).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown, expired or already finished"),
        "{body}"
    );

    let started = start_registration(&app, &session).await;
    app.execute("UPDATE mfa_passkey_ceremonies SET expires_at = 1".into())
        .await;
    let finish = json!({"ceremony": started["ceremony"], "credential": forged_attestation()});
    let (status, body) = finish_registration(&app, &session, &finish).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    assert_eq!(app.integers("SELECT COUNT(*) FROM mfa_passkeys").await, [0]);
}

#[tokio::test]
async fn another_accounts_ceremony_is_refused() {
    let app = spawn_app_on_localhost().await;
    app.create_account("cai", "secret", &[]).await;
    app.create_account("dov", "secret", &[]).await;
    let cai = drupal_session(&app, "cai", "secret").await;
    let dov = drupal_session(&app, "dov", "secret").await;
    let started = start_registration(&app, &cai).await;
    let finish = json!({"ceremony": started["ceremony"], "credential": forged_attestation()});
    let (status, body) = finish_registration(&app, &dov, &finish).await;
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("another account"),
        "{body}"
    );
}

#[tokio::test]
async fn malformed_credentials_and_missing_fields_get_a_400_naming_them() {
    let app = spawn_app_on_localhost().await;
    app.create_account("eve", "secret", &[]).await;
    let session = drupal_session(&app, "eve", "secret").await;
    let started = start_registration(&app, &session).await;
    let ceremony = started["ceremony"].clone();
    for (body, needle) in [
        (
            json!({"ceremony": ceremony, "credential": "x"}),
            "credential",
        ),
        (
            json!({"ceremony": ceremony, "credential": {}}),
            "credential",
        ),
        (
            json!({"ceremony": ceremony, "credential": {"id": 1}}),
            "credential",
        ),
        (json!({"ceremony": ceremony}), "credential: missing"),
        (
            json!({"credential": forged_attestation()}),
            "ceremony: missing",
        ),
        (
            json!({"ceremony": ceremony, "name": "x".repeat(101), "credential": forged_attestation()}),
            "name",
        ),
        (json!({"ceremony": 5, "credential": {}}), "ceremony"),
    ] {
        let (status, answer) = finish_registration(&app, &session, &body).await;
        assert_eq!(status, 400, "{body} → {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body} → {message}");
    }
    for path in ["/latch/login/passkey/finish", "/latch/login/mfa"] {
        let body = json!({"ceremony": "x", "mfa_token": "y", "credential": {"rawId": []}});
        let response = call(&app, Method::POST, path, &[], Some(&body)).await;
        let status = response.status().as_u16();
        assert!(status == 400 || status == 401, "{path}: {status}");
    }
    let response = call(&app, Method::POST, "/latch/login/passkey/finish", &[], None).await;
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn a_cookie_caller_needs_the_csrf_token() {
    let app = spawn_app_on_localhost().await;
    app.create_account("fay", "secret", &[]).await;
    let (name, value) = drupal_session(&app, "fay", "secret").await;
    for path in [
        "/latch/mfa/passkeys/register",
        "/latch/mfa/passkeys/register/finish",
    ] {
        let response = call(&app, Method::POST, path, &[(name, &value)], None).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    let response = call(
        &app,
        Method::DELETE,
        "/latch/mfa/passkeys/1",
        &[(name, &value)],
        Some(&json!({"password": "secret"})),
    )
    .await;
    assert_eq!(response.status(), 403);
    let response = call(
        &app,
        Method::POST,
        "/latch/mfa/passkeys/register",
        &[],
        None,
    )
    .await;
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_forged_login_is_refused_counted_and_its_ceremony_used_up() {
    let app = spawn_app_on_localhost().await;
    let (_, started) =
        status_json(call(&app, Method::POST, "/latch/login/passkey", &[], None).await).await;
    let finish = json!({"ceremony": started["ceremony"], "credential": forged_assertion()});
    let response = call(
        &app,
        Method::POST,
        "/latch/login/passkey/finish",
        &[],
        Some(&finish),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none());
    let response = call(
        &app,
        Method::POST,
        "/latch/login/passkey/finish",
        &[],
        Some(&finish),
    )
    .await;
    assert_eq!(response.status(), 400);
    let kinds = app
        .strings("SELECT kind FROM audit_events WHERE detail = 'passkey'")
        .await;
    assert_eq!(kinds, ["login_failed"]);
    let flood = app
        .integers("SELECT COUNT(*) FROM flood_events WHERE event = 'user.failed_login_ip'")
        .await;
    assert_eq!(flood, [1]);
}

#[tokio::test]
async fn a_passkey_second_factor_is_listed_asked_for_and_named_by_the_dialects() {
    let app = spawn_app_on_localhost().await;
    app.create_account("gus", "secret", &[]).await;
    app.create_account("hal", "secret", &[]).await;
    give_passkey(&app, "gus").await;

    let response = native_login(&app, &json!({"name": "gus", "password": "secret"})).await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["methods"],
        json!(["passkey", "recovery_code"]),
        "{body}"
    );
    let token = body["mfa_token"].as_str().unwrap().to_string();
    let body = json!({"mfa_token": token, "credential": forged_assertion()});
    let response = call(&app, Method::POST, "/latch/login/mfa", &[], Some(&body)).await;
    assert_eq!(response.status(), 400, "options first");
    assert!(message_of(response).await.contains("ask for new options"));

    let unknown = json!({"mfa_token": "nope"});
    let response = call(
        &app,
        Method::POST,
        "/latch/login/mfa/passkey",
        &[],
        Some(&unknown),
    )
    .await;
    assert_eq!(response.status(), 401);

    // Drupal's login with the password alone names the way on.
    let response = app.login(&reqwest::Client::new(), "gus", "secret").await;
    assert_eq!(response.status(), 400);
    let message = message_of(response).await;
    assert!(message.contains("POST /latch/login"), "{message}");
    assert!(message.contains("passkey"), "{message}");

    let (ok, out, err) = latch(&app, &["user", "mfa", "gus"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 passkey") && out.contains("\"laptop\""),
        "{out}"
    );
    let (ok, out, _) = latch(&app, &["user", "mfa-reset", "gus"]);
    assert!(ok && out.contains("Removed"), "{out}");
    assert_eq!(app.integers("SELECT COUNT(*) FROM mfa_passkeys").await, [0]);
    let response = native_login(&app, &json!({"name": "gus", "password": "secret"})).await;
    assert_eq!(status_json(response).await.1["mfa_required"], false);

    // Without a passkey, no passkey options.
    let token = mfa_token(&app, "hal", "secret").await.unwrap_or_default();
    assert!(token.is_empty(), "hal has no second factor");
}

#[tokio::test]
async fn removing_a_passkey_needs_proof_and_an_id_of_ones_own() {
    let app = spawn_app_on_localhost().await;
    app.create_account("ida", "secret", &[]).await;
    app.create_account("jon", "secret", &[]).await;
    let ida = drupal_session(&app, "ida", "secret").await;
    give_passkey(&app, "ida").await;
    give_passkey(&app, "jon").await;
    let (status, mfa) = call_as(&app, &ida, Method::GET, "/latch/mfa", None).await;
    assert_eq!(status, 200);
    assert_eq!(mfa["enrolled"], true);
    assert_eq!(mfa["passkeys"][0]["name"], "laptop", "{mfa}");
    let own = mfa["passkeys"][0]["id"].as_i64().unwrap();
    let jons = app
        .integers("SELECT p.id FROM mfa_passkeys p JOIN accounts a ON a.id = p.account_id WHERE a.name = 'jon'")
        .await[0];

    let path = |id: i64| format!("/latch/mfa/passkeys/{id}");
    let proof = json!({"password": "secret"});
    let (status, _) = call_as(&app, &ida, Method::DELETE, &path(jons), Some(&proof)).await;
    assert_eq!(status, 404);
    let (status, _) = call_as(
        &app,
        &ida,
        Method::DELETE,
        "/latch/mfa/passkeys/x",
        Some(&proof),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call_as(&app, &ida, Method::DELETE, &path(own), Some(&json!({}))).await;
    assert_eq!(status, 400);
    let wrong = json!({"password": "wrong"});
    let (status, _) = call_as(&app, &ida, Method::DELETE, &path(own), Some(&wrong)).await;
    assert_eq!(status, 401);
    let (status, body) = call_as(&app, &ida, Method::DELETE, &path(own), Some(&proof)).await;
    assert_eq!(status, 204, "{body}");
    let (_, mfa) = call_as(&app, &ida, Method::GET, "/latch/mfa", None).await;
    assert_eq!(mfa["enrolled"], false, "{mfa}");
    assert_eq!(app.integers("SELECT COUNT(*) FROM mfa_passkeys").await, [1]);
    let details = app
        .strings("SELECT detail FROM audit_events WHERE kind = 'mfa_remove'")
        .await;
    assert_eq!(details, ["passkey"]);
}
