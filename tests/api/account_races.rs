//! A holder's own profile update racing an administrator's block or demotion: whichever
//! order they land in, the account ends blocked and demoted. The update's password check and
//! hashing take long enough for the administrator's change to land in between.

use std::time::Duration;

use latch::core::accounts::AccountState;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, new_client, spawn_app_with};

const ROUNDS: u64 = 24;

/// A server whose Argon2 takes tens of milliseconds, the window the race needs.
async fn app_with_slow_hashing() -> TestApp {
    spawn_app_with(|c| {
        c.password.argon2_memory_kib = 16 * 1024;
        c.password.argon2_iterations = 2;
        c.password.max_concurrent_hashes = 4;
    })
    .await
}

/// A logged-in client and its CSRF token.
async fn session(app: &TestApp, name: &str, pass: &str) -> (Client, String) {
    let client = new_client();
    let login = app.logged_in(&client, name, pass).await;
    let token = login["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_string();
    (client, token)
}

async fn patch(app: &TestApp, (client, token): &(Client, String), uid: i64, body: Value) -> u16 {
    app.patch_user(client, token, uid, &body)
        .await
        .status()
        .as_u16()
}

/// Milliseconds the administrator waits in round `round`, spread over the update's hashing.
fn delay(round: u64) -> Duration {
    Duration::from_millis(round * 7 % 60)
}

async fn sessions_of(app: &TestApp, uid: i64) -> usize {
    app.integers("SELECT account_id FROM sessions")
        .await
        .into_iter()
        .filter(|id| *id == uid)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_block_landing_during_a_mail_and_password_change_is_never_undone() {
    let app = app_with_slow_hashing().await;
    for round in 0..ROUNDS {
        let name = format!("holder{round}");
        let account = app.create_account(&name, "old pass", &[]).await;
        let holder = session(&app, &name, "old pass").await;
        let change = json!({
            "mail": [{"value": format!("new{round}@example.com")}],
            "pass": [{"existing": "old pass", "value": "new pass"}],
        });
        let update = patch(&app, &holder, account.id, change);
        let block = async {
            tokio::time::sleep(delay(round)).await;
            // What `latch user block` runs.
            app.core
                .set_account_state(&name, AccountState::Blocked)
                .await
                .expect("block")
        };
        let (status, _) = tokio::join!(update, block);
        assert!(matches!(status, 200 | 403), "round {round}: {status}");
        let after = app.core.account_named(&name).await.unwrap();
        assert_eq!(after.state, AccountState::Blocked, "round {round}");
        assert_eq!(sessions_of(&app, account.id).await, 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_demotion_and_block_landing_during_an_administrators_own_update_are_never_undone() {
    let app = app_with_slow_hashing().await;
    app.create_account("root", "root pass", &["administrator"])
        .await;
    let root = session(&app, "root", "root pass").await;
    for round in 0..ROUNDS {
        let name = format!("admin{round}");
        let account = app
            .create_account(&name, "old pass", &["administrator", "editor"])
            .await;
        let holder = session(&app, &name, "old pass").await;
        let change = json!({
            "mail": [{"value": format!("new{round}@example.com")}],
            "pass": [{"existing": "old pass", "value": "new pass"}],
            "timezone": [{"value": "Europe/Berlin"}],
        });
        let update = patch(&app, &holder, account.id, change);
        let demote = async {
            tokio::time::sleep(delay(round)).await;
            let roles = json!({"roles": [{"target_id": "editor"}]});
            patch(&app, &root, account.id, roles).await
        };
        let block = async {
            tokio::time::sleep(delay(round + 3)).await;
            app.core
                .set_account_state(&name, AccountState::Blocked)
                .await
                .expect("block")
        };
        let (status, demoted, _) = tokio::join!(update, demote, block);
        assert!(matches!(status, 200 | 403), "round {round}: {status}");
        assert_eq!(demoted, 200, "round {round}");
        let after = app.core.account_named(&name).await.unwrap();
        assert_eq!(after.state, AccountState::Blocked, "round {round}");
        assert_eq!(after.roles, vec!["editor".to_string()], "round {round}");
        assert_eq!(sessions_of(&app, account.id).await, 0, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_operators_password_reset_landing_during_the_holders_own_change_is_never_undone() {
    let app = app_with_slow_hashing().await;
    for round in 0..ROUNDS / 2 {
        let name = format!("holder{round}");
        let account = app.create_account(&name, "old pass", &[]).await;
        let holder = session(&app, &name, "old pass").await;
        let change = json!({"pass": [{"existing": "old pass", "value": "holder's"}]});
        let update = patch(&app, &holder, account.id, change);
        let reset = async {
            tokio::time::sleep(delay(round * 2)).await;
            // What `latch user set-password` runs: it ends every session, the holder's too.
            let password = secrecy::SecretString::from("operator's".to_string());
            app.core.set_password(&name, &password).await.unwrap();
        };
        let (status, _) = tokio::join!(update, reset);
        assert!(matches!(status, 200 | 403 | 422), "round {round}: {status}");
        app.logged_in(&new_client(), &name, "operator's").await;
        let holders = app.login(&new_client(), &name, "holder's").await;
        assert_eq!(holders.status(), 400, "round {round}");
    }
}
