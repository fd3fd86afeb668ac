//! Account names as Unicode: one account per name whatever its letter case or normalisation
//! form, no invisible or text-direction characters, and logins in any form.

use latch::config::Config;
use reqwest::Method;
use serde_json::{Value, json};

use crate::django_support::{rest, status_json};
use crate::helpers::{TestApp, body_json, new_client, spawn_app, spawn_with_config};

const PRECOMPOSED: &str = "jos\u{e9}";
const DECOMPOSED: &str = "jose\u{301}";
const INVALID: &str = "Unprocessable Entity: validation failed.\n";
const INVISIBLE: &str = "The username contains an invisible, control or text-direction character.";
const DJANGO_INVALID: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";

/// Registers over the Drupal 8+ dialect; the status and the `message`, if any.
async fn drupal_register(app: &TestApp, name: &str, mail: &str) -> (u16, String) {
    let body = json!({"name": [{"value": name}], "mail": [{"value": mail}],
        "pass": [{"value": "pw"}]});
    let response = app.register(&new_client(), &body).await;
    let status = response.status().as_u16();
    let json = body_json(&response.text().await.unwrap());
    (status, json["message"].as_str().unwrap_or_default().into())
}

/// Registers over dj-rest-auth; the status and the body.
async fn django_register(app: &TestApp, name: &str, mail: &str) -> (u16, Value) {
    let body = json!({"username": name, "email": mail, "password1": "pw", "password2": "pw"});
    let response = rest(
        app,
        &new_client(),
        Method::POST,
        "registration/",
        Some(&body),
        None,
    )
    .await;
    status_json(response).await
}

#[tokio::test]
async fn a_decomposed_name_is_taken_once_its_precomposed_form_is_registered() {
    let app = spawn_app().await;
    assert_eq!(
        drupal_register(&app, PRECOMPOSED, "a@example.com").await.0,
        200
    );
    let taken = format!("{INVALID}name: The username {PRECOMPOSED} is already taken.\n");
    assert_eq!(
        drupal_register(&app, DECOMPOSED, "b@example.com").await,
        (422, taken)
    );
    let django = json!({"username": ["A user with that username already exists."]});
    assert_eq!(
        django_register(&app, DECOMPOSED, "c@example.com").await,
        (400, django.clone())
    );
    assert_eq!(
        django_register(&app, "JOSE\u{301}", "d@example.com").await,
        (400, django)
    );
    let services = app
        .services_json(
            "user/register",
            &json!({"name": DECOMPOSED, "mail": "e@example.com", "pass": "x-pass"}),
        )
        .await;
    assert_eq!(
        services.json()["form_errors"]["name"],
        json!(format!(
            "The name <em class=\"placeholder\">{PRECOMPOSED}</em> is already taken."
        ))
    );
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test]
async fn names_differing_in_letter_case_or_compatibility_form_are_one_name() {
    let app = spawn_app().await;
    app.create_account("bob", "pw", &[]).await;
    app.create_account("fix", "pw", &[]).await;
    for (name, shown) in [("Bob", "Bob"), ("\u{fb01}x", "\u{fb01}x")] {
        let taken = format!("{INVALID}name: The username {shown} is already taken.\n");
        assert_eq!(
            drupal_register(&app, name, "new@example.com").await,
            (422, taken)
        );
    }
    assert_eq!(app.account_count().await, 2);
}

#[tokio::test]
async fn invisible_and_text_direction_characters_in_names_are_refused() {
    let app = spawn_app().await;
    for name in [
        "bob\u{200B}",
        "\u{202E}bob",
        "bob\u{2066}x",
        "b\u{AD}ob",
        "bob\u{200D}",
        "bob\u{E0041}",
        "bob\u{3164}",
    ] {
        let line = format!("{INVALID}name: {INVISIBLE}\n");
        assert_eq!(
            drupal_register(&app, name, "new@example.com").await,
            (422, line),
            "{name:?}"
        );
        // No invisible character is a word character for Django's `UnicodeUsernameValidator`.
        assert_eq!(
            django_register(&app, name, "new@example.com").await,
            (400, json!({"username": [DJANGO_INVALID]})),
            "{name:?}"
        );
    }
    let mixed = "The username mixes Latin, Greek or Cyrillic letters, as look-alike names do.";
    assert_eq!(
        drupal_register(&app, "p\u{430}ypal", "new@example.com").await,
        (422, format!("{INVALID}name: {mixed}\n"))
    );
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn login_finds_the_account_whichever_normalisation_form_the_client_sends() {
    let app = spawn_app().await;
    assert_eq!(
        drupal_register(&app, DECOMPOSED, "a@example.com").await.0,
        200
    );
    // Stored in its composed form.
    let account = app.core.account_named(PRECOMPOSED).await.unwrap();
    assert_eq!(account.name, PRECOMPOSED);
    for name in [PRECOMPOSED, DECOMPOSED, "JOS\u{c9}", "JOSE\u{301}"] {
        let login = app.logged_in(&new_client(), name, "pw").await;
        assert_eq!(login["current_user"]["name"], PRECOMPOSED, "{name:?}");
    }
}

#[tokio::test]
async fn an_administrator_cannot_rename_an_account_to_another_form_of_a_taken_name() {
    let app = spawn_app().await;
    app.create_account("admin", "pw", &["administrator"]).await;
    app.create_account(PRECOMPOSED, "pw", &[]).await;
    let bob = app.create_account("bob", "pw", &[]).await;
    let client = new_client();
    let token = app.logged_in(&client, "admin", "pw").await["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    for (name, status) in [(DECOMPOSED, 422), ("bob\u{200B}", 422), ("Bob", 200)] {
        let response = client
            .patch(app.url(&format!("/user/{}?_format=json", bob.id)))
            .header("Content-Type", "application/json")
            .header("X-CSRF-Token", &token)
            .body(json!({"name": [{"value": name}]}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{name:?}");
    }
    assert_eq!(app.core.account_named("BOB").await.unwrap().name, "Bob");
}

/// Accounts from before the folded-name key: a server started on them fills the key, keeps
/// both accounts of a colliding pair, and logs the older one in by any form of its name.
#[tokio::test]
async fn existing_accounts_get_folded_keys_and_colliding_ones_are_kept() {
    let old = spawn_app().await;
    let older = old.create_account(PRECOMPOSED, "pw", &[]).await;
    old.create_account("plain", "pw", &[]).await;
    // As an earlier version stored them: no folded key, and a decomposed twin whose
    // lower-cased key differed.
    let legacy = [
        "UPDATE accounts SET name_fold = NULL".to_string(),
        format!(
            "INSERT INTO accounts (uuid, name, name_key, mail, mail_key, password_hash, state, \
             created_at, changed_at) SELECT 'twin', '{DECOMPOSED}', '{DECOMPOSED}', \
             'twin@example.com', 'twin@example.com', password_hash, 'active', 1, 1 \
             FROM accounts WHERE id = {}",
            older.id
        ),
    ];
    for sql in legacy {
        execute(&old, &sql).await;
    }
    let config: Config = old.config.clone();
    let new = spawn_with_config(config, tempfile::tempdir().unwrap()).await;
    assert_eq!(new.account_count().await, 3);
    let mut folds = new
        .strings("SELECT COALESCE(name_fold, '-') FROM accounts ORDER BY id")
        .await;
    folds.sort();
    assert_eq!(folds, ["-", "jos\u{e9}", "plain"]);
    let login = new.logged_in(&new_client(), DECOMPOSED, "pw").await;
    assert_eq!(login["current_user"]["uid"], older.id.to_string());
    new.logged_in(&new_client(), "PLAIN", "pw").await;
}

async fn execute(app: &TestApp, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match app.core.store() {
        latch::store::Store::Sqlite(pool) => {
            sqlx::raw_sql(sql).execute(pool).await.unwrap();
        }
        latch::store::Store::Postgres(pool) => {
            sqlx::raw_sql(sql).execute(pool).await.unwrap();
        }
    }
}

/// `latch import json FILE` on the test's database: success, stdout and stderr.
fn import(app: &TestApp, records: Value) -> (bool, String, String) {
    let file = app.dir.path().join("accounts.json");
    std::fs::write(&file, records.to_string()).unwrap();
    let file = file.to_str().expect("a UTF-8 temporary path");
    crate::process::latch(app, &["import", "json", file])
}

#[tokio::test]
async fn an_import_stores_names_composed_and_matches_them_in_any_form() {
    let app = spawn_app().await;
    let (ok, stdout, stderr) = import(
        &app,
        json!([{"name": DECOMPOSED, "mail": "j@example.com"}, {"name": "plain"}]),
    );
    assert!(ok && stdout.contains("2 created"), "{stdout}{stderr}");
    let password = secrecy::SecretString::from("pw".to_string());
    app.core.set_password(DECOMPOSED, &password).await.unwrap();
    let login = app.logged_in(&new_client(), PRECOMPOSED, "pw").await;
    assert_eq!(login["current_user"]["name"], PRECOMPOSED);

    let (ok, stdout, _) = import(&app, json!([{"name": "JOS\u{c9}"}, {"name": "Plain"}]));
    assert!(ok && stdout.contains("0 created, 2 skipped"), "{stdout}");
    let (ok, _, stderr) = import(&app, json!([{"name": "x\u{e9}"}, {"name": "XE\u{301}"}]));
    assert!(!ok && stderr.contains("repeats row 1"), "{stderr}");
    let (ok, _, stderr) = import(&app, json!([{"name": "bob\u{200B}"}]));
    assert!(!ok && stderr.contains("invisible"), "{stderr}");
    assert_eq!(app.account_count().await, 2);
}
