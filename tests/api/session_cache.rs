//! The in-memory session cache: a check answered from memory, and every revocation — on the
//! same node, on another node, from the command line, by hand-written SQL — seen at once or
//! within the documented bound, never a revoked session served.

use std::time::{Duration, Instant};

use latch::store::Store;

use crate::helpers::{TestApp, skipped, spawn_app, spawn_with_config};
use crate::native_support::{Credential, drupal_session, header, verify};
use crate::process::latch;

/// How long a change made elsewhere may take to arrive: SQLite's poll (200 ms) or a
/// PostgreSQL notification, with room for a loaded machine.
const PROPAGATION_BOUND: Duration = Duration::from_millis(1000);

async fn status(app: &TestApp, credential: &Credential) -> u16 {
    verify(app, "", Some(credential), &[])
        .await
        .status()
        .as_u16()
}

/// Waits until `app` refuses `credential`; fails if it takes longer than `bound`.
async fn refused_within(app: &TestApp, credential: &Credential, bound: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let answer = status(app, credential).await;
        if answer == 401 {
            return started.elapsed();
        }
        assert_eq!(answer, 200);
        assert!(
            started.elapsed() < bound,
            "still served {:?} after the change",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A second server on `first`'s database, with its secret.
async fn second_node(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = first.config.clone();
    config.secret_file = first.config.secret_file.clone();
    config.mail.log_file = dir.path().join("mail.log").display().to_string();
    spawn_with_config(config, dir).await
}

/// Waits until the app's cache is in use (its feed open).
async fn cache_ready(app: &TestApp) {
    let started = Instant::now();
    while !app.core.session_cache_trusted() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "cache never ready"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A Drupal session: its cookie and its logout token.
async fn drupal_login(app: &TestApp, name: &str) -> (Credential, String) {
    let response = app.login(&reqwest::Client::new(), name, "secret").await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().trim().to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    let token = body["logout_token"].as_str().unwrap().to_string();
    (("Cookie", cookie), token)
}

/// Logs the session out through the Drupal dialect of `app`.
async fn logout(app: &TestApp, (cookie, token): &(Credential, String)) {
    let response = reqwest::Client::new()
        .post(app.url(&format!("/user/logout?_format=json&token={token}")))
        .header(cookie.0, &cookie.1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn a_checked_session_is_kept_in_memory_and_its_logout_ends_it_at_once() {
    let app = spawn_app().await;
    cache_ready(&app).await;
    app.create_account("alice", "secret", &[]).await;
    let alice = drupal_login(&app, "alice").await;
    assert_eq!(status(&app, &alice.0).await, 200);
    assert_eq!(app.core.cached_sessions(), 1);
    logout(&app, &alice).await;
    assert_eq!(
        status(&app, &alice.0).await,
        401,
        "no wait on the same node"
    );
}

#[tokio::test]
async fn blocks_password_changes_and_role_changes_on_the_same_node_count_at_once() {
    let app = spawn_app().await;
    cache_ready(&app).await;
    app.create_account("bob", "secret", &["editor"]).await;
    let bob = drupal_session(&app, "bob", "secret").await;
    assert_eq!(status(&app, &bob).await, 200);
    app.core
        .set_account_state("bob", latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    assert_eq!(status(&app, &bob).await, 401);

    app.create_account("carol", "secret", &["editor"]).await;
    let carol = drupal_session(&app, "carol", "secret").await;
    assert_eq!(status(&app, &carol).await, 200);
    app.core
        .set_password("carol", &"another secret".to_string().into())
        .await
        .unwrap();
    assert_eq!(status(&app, &carol).await, 401);
}

#[tokio::test]
async fn a_command_line_block_reaches_a_running_server_within_the_bound() {
    let app = spawn_app().await;
    cache_ready(&app).await;
    app.create_account("dave", "secret", &[]).await;
    let dave = drupal_session(&app, "dave", "secret").await;
    assert_eq!(status(&app, &dave).await, 200);
    assert_eq!(status(&app, &dave).await, 200, "now from memory");
    let (ok, _, stderr) = latch(&app, &["user", "block", "dave"]);
    assert!(ok, "{stderr}");
    let took = refused_within(&app, &dave, PROPAGATION_BOUND).await;
    eprintln!("a command-line block took {took:?} to reach the server");
}

#[tokio::test]
async fn roles_granted_or_sessions_deleted_by_hand_written_sql_reach_the_server() {
    let app = spawn_app().await;
    cache_ready(&app).await;
    let erin = app.create_account("erin", "secret", &[]).await;
    let session = drupal_session(&app, "erin", "secret").await;
    let response = verify(&app, "", Some(&session), &[]).await;
    assert_eq!(header(&response, "x-latch-user-roles"), "authenticated");
    let id = erin.id;
    app.execute(format!(
        "INSERT INTO account_roles (account_id, role) VALUES ({id}, 'editor')"
    ))
    .await;
    let started = Instant::now();
    loop {
        let response = verify(&app, "", Some(&session), &[]).await;
        if header(&response, "x-latch-user-roles") == "authenticated,editor" {
            break;
        }
        assert!(
            started.elapsed() < PROPAGATION_BOUND,
            "the new role never showed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.execute(format!("DELETE FROM sessions WHERE account_id = {id}"))
        .await;
    refused_within(&app, &session, PROPAGATION_BOUND).await;
}

#[tokio::test]
async fn logout_block_and_password_change_on_one_node_end_the_session_on_another() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    cache_ready(&a).await;
    cache_ready(&b).await;
    for name in ["frank", "grace", "heidi"] {
        a.create_account(name, "secret", &[]).await;
    }
    let frank_login = drupal_login(&a, "frank").await;
    let frank = frank_login.0.clone();
    let grace = drupal_session(&a, "grace", "secret").await;
    let heidi = drupal_session(&a, "heidi", "secret").await;
    for session in [&frank, &grace, &heidi] {
        assert_eq!(status(&b, session).await, 200);
        assert_eq!(status(&b, session).await, 200);
    }
    assert_eq!(b.core.cached_sessions(), 3);

    logout(&a, &frank_login).await;
    let took = refused_within(&b, &frank, PROPAGATION_BOUND).await;
    eprintln!("logout on A reached B in {took:?}");

    a.core
        .set_account_state("grace", latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    refused_within(&b, &grace, PROPAGATION_BOUND).await;

    a.core
        .set_password("heidi", &"another secret".to_string().into())
        .await
        .unwrap();
    refused_within(&b, &heidi, PROPAGATION_BOUND).await;
}

/// Killing a node's listening connection must never let it serve a session revoked while it
/// could not hear: it reads the database until it has listened again.
#[tokio::test]
async fn a_node_that_lost_its_listening_connection_serves_no_revoked_session() {
    let a = spawn_app().await;
    if !a.config.database_url.starts_with("postgres") {
        skipped("the listening connection exists on PostgreSQL only");
        return;
    }
    let b = second_node(&a).await;
    cache_ready(&a).await;
    cache_ready(&b).await;
    a.create_account("ivan", "secret", &[]).await;
    a.create_account("judy", "secret", &[]).await;
    let ivan = drupal_session(&a, "ivan", "secret").await;
    let judy = drupal_session(&a, "judy", "secret").await;
    assert_eq!(status(&b, &ivan).await, 200);
    assert_eq!(status(&b, &judy).await, 200);
    assert_eq!(b.core.cached_sessions(), 2);

    let killed: Vec<bool> = {
        let Store::Postgres(pool) = a.core.store() else {
            unreachable!()
        };
        sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'latch session changes'",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    };
    assert_eq!(killed, [true, true], "both nodes listen");
    // The node notices when the socket closes, and empties its cache (the kill reaches the
    // backend and the node asynchronously, so the test waits for that, not for a reconnect).
    let started = Instant::now();
    while b.core.cached_sessions() > 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "never noticed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Revoked while the node may still be reconnecting; every check from now on must see it.
    a.execute("DELETE FROM sessions".to_string()).await;
    assert_eq!(status(&b, &ivan).await, 401);
    assert_eq!(status(&b, &judy).await, 401);

    // The node listens again and caches again, and what it caches is revoked at once again.
    cache_ready(&b).await;
    let ivan = drupal_session(&a, "ivan", "secret").await;
    assert_eq!(status(&b, &ivan).await, 200);
    assert_eq!(status(&b, &ivan).await, 200);
    assert_eq!(b.core.cached_sessions(), 1);
    a.core
        .set_account_state("ivan", latch::core::accounts::AccountState::Blocked)
        .await
        .unwrap();
    refused_within(&b, &ivan, PROPAGATION_BOUND).await;
}
