//! The caller's own sessions and personal access tokens: `/latch/sessions`, `/latch/tokens`,
//! Bearer tokens in whoami and verify, and `latch session …` / `latch token …`.

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, body_json, message_of, spawn_app};
use crate::native_support::{Credential, drupal_session, get_with, verify};
use crate::process::latch;

/// `method path` with exactly these headers and an optional JSON body.
async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Response {
    let mut request = Client::new().request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    request.send().await.expect("the server answers")
}

/// The session's CSRF token, from whoami.
async fn csrf_token(app: &TestApp, (name, value): &Credential) -> String {
    let response = get_with(app, "/latch/whoami", &[(name, value)]).await;
    assert_eq!(response.status(), 200);
    body_json(&response.text().await.unwrap())["csrf_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn json_of(response: Response) -> Value {
    body_json(&response.text().await.unwrap())
}

async fn list_sessions(app: &TestApp, (name, value): &Credential) -> Vec<Value> {
    let response = get_with(app, "/latch/sessions", &[(name, value)]).await;
    assert_eq!(response.status(), 200);
    json_of(response).await["sessions"]
        .as_array()
        .unwrap()
        .clone()
}

async fn whoami_status(app: &TestApp, (name, value): &Credential) -> u16 {
    get_with(app, "/latch/whoami", &[(name, value)])
        .await
        .status()
        .as_u16()
}

/// A new token for the cookie session's account, made with `body`.
async fn create_token(app: &TestApp, session: &Credential, body: &Value) -> Value {
    let token = csrf_token(app, session).await;
    let (name, value) = session;
    let response = call(
        app,
        Method::POST,
        "/latch/tokens",
        &[(name, value), ("X-CSRF-Token", &token)],
        Some(body),
    )
    .await;
    assert_eq!(response.status(), 201);
    json_of(response).await
}

fn bearer(token: &Value) -> Credential {
    (
        "Authorization",
        format!("Bearer {}", token["token"].as_str().unwrap()),
    )
}

/// Waits for a session ended by another process (the command line) to be refused: the
/// server hears of it through the database's change feed, within a second.
async fn ends_soon(app: &TestApp, session: &Credential) {
    let started = std::time::Instant::now();
    while whoami_status(app, session).await != 401 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(3),
            "the session outlived its revocation"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_user_lists_their_sessions_and_ends_one_or_all_others() {
    let app = spawn_app().await;
    app.create_account("alice", "secret", &[]).await;
    app.create_account("bob", "secret", &[]).await;
    let first = drupal_session(&app, "alice", "secret").await;
    let second = drupal_session(&app, "alice", "secret").await;
    let third = drupal_session(&app, "alice", "secret").await;
    let bobs = drupal_session(&app, "bob", "secret").await;

    let sessions = list_sessions(&app, &first).await;
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    for session in &sessions {
        assert_eq!(session["dialect"], "drupal");
        assert_eq!(session["ip"], "127.0.0.1");
        assert!(session["created_at"].as_i64().unwrap() > 0);
        assert!(session["last_seen_at"].as_i64().unwrap() > 0);
        let id = session["id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        // The public id is neither the secret nor the stored hash.
        for (_, cookie) in [&first, &second, &third] {
            assert!(!cookie.contains(id));
        }
        assert!(
            app.strings("SELECT id_hash FROM sessions")
                .await
                .iter()
                .all(|h| h != id)
        );
    }

    // Ending one by its id: gone on the next request, and 404 the second time.
    let token = csrf_token(&app, &first).await;
    let second_id = list_sessions(&app, &second)
        .await
        .into_iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/latch/sessions/{second_id}");
    let headers = [
        (first.0, first.1.as_str()),
        ("X-CSRF-Token", token.as_str()),
    ];
    let response = call(&app, Method::DELETE, &path, &headers, None).await;
    assert_eq!(response.status(), 204);
    assert_eq!(whoami_status(&app, &second).await, 401);
    let response = call(&app, Method::DELETE, &path, &headers, None).await;
    assert_eq!(response.status(), 404);

    // Another user's session is as unknown as one that never existed.
    let bobs_id = list_sessions(&app, &bobs).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/latch/sessions/{bobs_id}");
    let response = call(&app, Method::DELETE, &path, &headers, None).await;
    assert_eq!(response.status(), 404);
    assert!(message_of(response).await.contains("GET /latch/sessions"));
    assert_eq!(whoami_status(&app, &bobs).await, 200);

    // All but the current one.
    let response = call(
        &app,
        Method::DELETE,
        "/latch/sessions?others=true",
        &headers,
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(whoami_status(&app, &third).await, 401);
    assert_eq!(whoami_status(&app, &first).await, 200);
    assert_eq!(list_sessions(&app, &first).await.len(), 1);

    // All of them, the current one included.
    let response = call(&app, Method::DELETE, "/latch/sessions", &headers, None).await;
    assert_eq!(response.status(), 204);
    assert_eq!(whoami_status(&app, &first).await, 401);
    assert_eq!(whoami_status(&app, &bobs).await, 200);
    let kinds = app
        .strings("SELECT kind FROM audit_events WHERE kind = 'session_revoke'")
        .await;
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}

#[tokio::test]
async fn a_cookie_caller_must_send_the_csrf_token_to_end_sessions() {
    let app = spawn_app().await;
    app.create_account("carol", "secret", &[]).await;
    let session = drupal_session(&app, "carol", "secret").await;
    let (name, value) = (&session.0, session.1.as_str());
    for headers in [
        vec![(*name, value)],
        vec![(*name, value), ("X-CSRF-Token", "forged")],
    ] {
        let response = call(&app, Method::DELETE, "/latch/sessions", &headers, None).await;
        assert_eq!(response.status(), 403);
        assert!(message_of(response).await.contains("X-CSRF-Token"));
    }
    assert_eq!(whoami_status(&app, &session).await, 200);
    // Reading needs no token; without any credential, 401 says what to send.
    assert_eq!(list_sessions(&app, &session).await.len(), 1);
    let response = get_with(&app, "/latch/sessions", &[]).await;
    assert_eq!(response.status(), 401);
    assert!(message_of(response).await.contains("Authorization: Bearer"));
}

#[tokio::test]
async fn a_personal_access_token_is_shown_once_and_proves_who_its_holder_is() {
    let app = spawn_app().await;
    app.create_account("dora", "secret", &["editor"]).await;
    let session = drupal_session(&app, "dora", "secret").await;
    let created = create_token(
        &app,
        &session,
        &json!({"name": "deploy", "expires_in_days": 7}),
    )
    .await;
    let secret = created["token"].as_str().unwrap();
    assert!(
        secret.starts_with("latch_pat_") && secret.len() == 53,
        "{secret}"
    );
    assert_eq!(created["name"], "deploy");
    assert_eq!(created["scopes"], json!(["verify"]));
    let expires = created["expires_at"].as_i64().unwrap();
    assert!((expires - latch::core::now() - 7 * 86_400).abs() < 5);
    // Stored only as a hash.
    let stored = app.strings("SELECT token_hash FROM access_tokens").await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&secret[10..]));

    let token = bearer(&created);
    let response = get_with(&app, "/latch/whoami", &[(token.0, &token.1)]).await;
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    assert_eq!(body["name"], "dora");
    assert_eq!(body["token"]["name"], "deploy");
    assert_eq!(body["csrf_token"], Value::Null);

    let response = verify(&app, "?role=editor", Some(&token), &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-latch-user-name"], "dora");
    assert_eq!(
        response.headers()["x-latch-session-expires"],
        expires.to_string().as_str()
    );
    assert_eq!(
        verify(&app, "?role=administrator", Some(&token), &[])
            .await
            .status(),
        403
    );

    // The listing never shows the token, and records its use.
    let response = get_with(&app, "/latch/tokens", &[(session.0, &session.1)]).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(!text.contains(secret));
    let listed = body_json(&text)["tokens"][0].clone();
    assert_eq!(listed["id"], created["id"]);
    assert!(listed["last_used_at"].as_i64().is_some());

    // A verify-only token may not manage the account.
    let response = get_with(&app, "/latch/sessions", &[(token.0, &token.1)]).await;
    assert_eq!(response.status(), 403);
    assert!(message_of(response).await.contains("\"account\""));

    // Forged and unknown tokens are refused alike.
    let forged = (
        "Authorization",
        format!("Bearer latch_pat_{}", "A".repeat(43)),
    );
    let response = get_with(&app, "/latch/whoami", &[(forged.0, &forged.1)]).await;
    assert_eq!(response.status(), 401);
    assert_eq!(verify(&app, "", Some(&forged), &[]).await.status(), 401);
}

#[tokio::test]
async fn an_account_token_manages_sessions_and_a_revoked_token_dies_at_once() {
    let app = spawn_app().await;
    app.create_account("erin", "secret", &[]).await;
    let session = drupal_session(&app, "erin", "secret").await;
    let created = create_token(
        &app,
        &session,
        &json!({"name": "ci", "scopes": ["account", "verify"]}),
    )
    .await;
    let token = bearer(&created);
    let headers = [(token.0, token.1.as_str())];
    // No CSRF token is needed with a bearer token: a browser never sends one by itself.
    let sessions = call(&app, Method::GET, "/latch/sessions", &headers, None).await;
    let sessions = json_of(sessions).await["sessions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["current"], false);
    let response = call(
        &app,
        Method::DELETE,
        "/latch/sessions?others=true",
        &headers,
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(whoami_status(&app, &session).await, 401);

    // The token makes another, then revokes itself.
    let response = call(
        &app,
        Method::POST,
        "/latch/tokens",
        &headers,
        Some(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(response.status(), 201);
    let path = format!("/latch/tokens/{}", created["id"].as_str().unwrap());
    let response = call(&app, Method::DELETE, &path, &headers, None).await;
    assert_eq!(response.status(), 204);
    assert_eq!(whoami_status(&app, &token).await, 401);
    assert_eq!(verify(&app, "", Some(&token), &[]).await.status(), 401);
    let kinds = app
        .strings("SELECT kind FROM audit_events WHERE kind LIKE 'token_%' ORDER BY id")
        .await;
    assert_eq!(kinds, ["token_create", "token_create", "token_revoke"]);
}

#[tokio::test]
async fn bad_token_requests_name_the_field_and_store_nothing() {
    let app = spawn_app().await;
    app.create_account("fay", "secret", &[]).await;
    let session = drupal_session(&app, "fay", "secret").await;
    let csrf = csrf_token(&app, &session).await;
    let headers = [
        (session.0, session.1.as_str()),
        ("X-CSRF-Token", csrf.as_str()),
    ];
    for (body, status, field) in [
        ("{\"name\": ", 400, "not valid JSON"),
        ("[]", 400, "JSON object"),
        ("{}", 400, "name"),
        ("{\"name\": 5}", 400, "name"),
        ("{\"name\": \"x\", \"scopes\": \"verify\"}", 400, "scopes"),
        ("{\"name\": \"x\", \"scopes\": [\"admin\"]}", 422, "scopes"),
        ("{\"name\": \"x\", \"scopes\": []}", 422, "scopes"),
        (
            "{\"name\": \"x\", \"expires_in_days\": 0}",
            422,
            "expires_in_days",
        ),
        (
            "{\"name\": \"x\", \"expires_in_days\": 1.5}",
            400,
            "expires_in_days",
        ),
        ("{\"name\": \"  \"}", 422, "name"),
    ] {
        let mut request = Client::new()
            .post(app.url("/latch/tokens"))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        let message = message_of(response).await;
        assert!(message.contains(field), "{body}: {message}");
    }
    let response = call(&app, Method::POST, "/latch/tokens", &headers, None).await;
    assert_eq!(response.status(), 415);
    assert_eq!(
        app.integers("SELECT COUNT(*) FROM access_tokens").await,
        [0]
    );
    let response = call(
        &app,
        Method::DELETE,
        "/latch/tokens/nonexistent",
        &headers,
        None,
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn an_expired_token_is_told_so_and_a_password_change_ends_tokens_not_kept() {
    let app = spawn_app().await;
    let account = app.create_account("gus", "secret", &[]).await;
    let session = drupal_session(&app, "gus", "secret").await;
    let plain = bearer(&create_token(&app, &session, &json!({"name": "plain"})).await);
    let kept = create_token(
        &app,
        &session,
        &json!({"name": "kept", "keep_on_password_change": true}),
    )
    .await;
    let old = bearer(&create_token(&app, &session, &json!({"name": "old"})).await);
    app.execute(format!(
        "UPDATE access_tokens SET expires_at = 1000 WHERE name = 'old' AND account_id = {}",
        account.id
    ))
    .await;
    let response = get_with(&app, "/latch/whoami", &[(old.0, &old.1)]).await;
    assert_eq!(response.status(), 401);
    assert!(message_of(response).await.contains("expired"));

    let (ok, _, stderr) = latch(
        &app,
        &["user", "set-password", "gus", "--password", "n3w-Secret!"],
    );
    assert!(ok, "{stderr}");
    assert_eq!(whoami_status(&app, &plain).await, 401);
    assert_eq!(whoami_status(&app, &bearer(&kept)).await, 200);
}

#[tokio::test]
async fn the_operator_lists_and_ends_sessions_and_tokens_from_the_command_line() {
    let app = spawn_app().await;
    app.create_account("hal", "secret", &[]).await;
    app.create_account("ida", "secret", &[]).await;
    let hal = drupal_session(&app, "hal", "secret").await;
    let hal2 = drupal_session(&app, "hal", "secret").await;
    let ida = drupal_session(&app, "ida", "secret").await;
    let token = create_token(&app, &ida, &json!({"name": "ida's script"})).await;

    let (ok, stdout, stderr) = latch(&app, &["session", "list"]);
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.contains(" hal ")).count(),
        2,
        "{stdout}"
    );
    let (ok, stdout, _) = latch(&app, &["session", "list", "--account", "ida"]);
    assert!(ok);
    let line = stdout
        .lines()
        .find(|l| l.contains(" ida "))
        .expect("ida's session");
    assert!(
        line.contains("drupal") && line.contains("127.0.0.1"),
        "{line}"
    );
    let ida_id = line.split_whitespace().next().unwrap().to_string();

    let (ok, _, stderr) = latch(&app, &["session", "revoke", &ida_id]);
    assert!(ok, "{stderr}");
    ends_soon(&app, &ida).await;
    let (ok, _, stderr) = latch(&app, &["session", "revoke", &ida_id]);
    assert!(!ok && stderr.contains("no live session"), "{stderr}");
    let (ok, stdout, stderr) = latch(&app, &["session", "revoke", "--account", "hal"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Ended 2 sessions"), "{stdout}");
    ends_soon(&app, &hal).await;
    ends_soon(&app, &hal2).await;

    let (ok, stdout, stderr) = latch(&app, &["token", "list", "--account", "ida"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("ida's script") && !stdout.contains(token["token"].as_str().unwrap()));
    let id = token["id"].as_str().unwrap();
    let (ok, _, stderr) = latch(&app, &["token", "revoke", id]);
    assert!(ok, "{stderr}");
    assert_eq!(whoami_status(&app, &bearer(&token)).await, 401);
}
