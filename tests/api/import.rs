//! `latch import`: accounts with hashes made by Drupal, PHP and Django log in with their old
//! passwords, and their hashes are upgraded to Argon2id by that login.

use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{new_client, spawn_app};
use crate::process::latch;

/// One fixture per hash format: (format, password, hash).
fn fixtures() -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for file in ["php.json", "django.json"] {
        let path = format!(
            "{}/tests/fixtures/hashes/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let cases: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in cases {
            let format = case["format"].as_str().unwrap().to_string();
            if !out.iter().any(|(f, _, _)| *f == format) {
                out.push((
                    format,
                    case["password"].as_str().unwrap().into(),
                    case["hash"].as_str().unwrap().into(),
                ));
            }
        }
    }
    out
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn imported_legacy_hashes_log_in_and_are_upgraded_to_argon2id() {
    let app = spawn_app().await;
    let cases: Vec<_> = fixtures()
        .into_iter()
        .filter(|(f, _, _)| f != "django_unusable")
        .collect();
    assert_eq!(cases.len(), 14, "one account per verifiable format");
    let records: Vec<Value> = cases
        .iter()
        .map(|(format, _, hash)| {
            let name = format.replace('_', "-");
            json!({"name": name, "mail": format!("{name}@example.com"), "hash": hash, "roles": ["Content editor"]})
        })
        .collect();
    let file = write(
        app.dir.path(),
        "accounts.json",
        &Value::Array(records).to_string(),
    );
    let (ok, stdout, stderr) = latch(&app, &["import", "json", &file]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Imported 14 rows: 14 created"), "{stdout}");
    let (_, before, _) = latch(&app, &["user", "hashes"]);
    assert!(
        before.contains("phpass $S$ SHA-512") && before.contains("Django pbkdf2_sha256"),
        "{before}"
    );

    for (i, (format, password, _)) in cases.iter().enumerate() {
        let name = format.replace('_', "-");
        // Alternate between the Drupal 8+ and Drupal 7 Services dialects.
        let status = if i % 2 == 0 {
            app.login(&new_client(), &name, password).await.status()
        } else {
            new_client()
                .post(app.url("/rest/user/login.json"))
                .json(&json!({"username": name, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(status, 200, "{format}");
        let wrong = app
            .login(&new_client(), &name, &format!("x{password}"))
            .await;
        assert_eq!(wrong.status(), 400, "{format} accepted a wrong password");
        let account = app.core.account_named(&name).await.unwrap();
        assert!(
            account.password_hash.unwrap().starts_with("$argon2id$"),
            "{format} not upgraded"
        );
        assert_eq!(account.roles, vec!["content_editor"]);
    }
    let (_, after, _) = latch(&app, &["user", "hashes"]);
    assert!(!after.contains("upgraded at next login"), "{after}");
    // Every hash is Argon2id now; PHP's, stronger than the policy, was kept as it was.
    assert!(
        after
            .lines()
            .skip(1)
            .all(|line| line.contains("  argon2id ")),
        "{after}"
    );
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_existing_accounts_are_skipped_or_updated() {
    let app = spawn_app().await;
    let (_, password, hash) = fixtures()
        .into_iter()
        .find(|(f, _, _)| f == "drupal7_sha512")
        .unwrap();
    let csv = format!(
        "name,mail,hash,roles,status,created,login\n\
         bob,bob@example.com,{hash},administrator;editor,active,2024-05-01T10:00:00Z,1714557600\n\
         carol,carol@example.com,,,blocked,1700000000,\n"
    );
    let file = write(app.dir.path(), "accounts.csv", &csv);
    let (ok, stdout, _) = latch(&app, &["import", "csv", &file, "--dry-run"]);
    assert!(
        ok && stdout.contains("Would import 2 rows: 2 created"),
        "{stdout}"
    );
    assert_eq!(app.account_count().await, 0);

    let (ok, stdout, _) = latch(&app, &["import", "csv", &file]);
    assert!(ok && stdout.contains("2 created"), "{stdout}");
    let bob = app.core.account_named("bob").await.unwrap();
    assert_eq!(
        (bob.created_at, bob.login_at),
        (1_714_557_600, 1_714_557_600)
    );
    assert_eq!(bob.roles, vec!["administrator", "editor"]);
    let login = app.logged_in(&new_client(), "bob", &password).await;
    assert_eq!(
        login["current_user"]["roles"],
        json!(["authenticated", "administrator", "editor"])
    );
    assert_eq!(
        app.core
            .account_named("carol")
            .await
            .unwrap()
            .state
            .as_str(),
        "blocked"
    );

    let (ok, stdout, _) = latch(&app, &["import", "csv", &file]);
    assert!(ok && stdout.contains("0 created, 2 skipped"), "{stdout}");
    let renamed = csv.replace("carol@example.com", "carol@example.org");
    let file = write(app.dir.path(), "accounts.csv", &renamed);
    let (ok, stdout, _) = latch(&app, &["import", "csv", &file, "--update"]);
    assert!(ok && stdout.contains("0 created, 2 updated"), "{stdout}");
    assert_eq!(
        app.core
            .account_named("carol")
            .await
            .unwrap()
            .mail
            .as_deref(),
        Some("carol@example.org")
    );
}

#[tokio::test]
async fn a_bad_row_is_named_and_nothing_is_imported() {
    let app = spawn_app().await;
    let cases = [
        (
            "alice,alice@example.com\nbob,bob@example.com\ncarol,not-a-mail\n",
            "row 3 (carol)",
            "mail address is not valid",
        ),
        (
            "alice,alice@example.com\nALICE,other@example.com\n",
            "row 2 (ALICE)",
            "repeats row 1",
        ),
        (
            "alice,alice@example.com,md5:abc\n",
            "row 1 (alice)",
            "no format latch can verify",
        ),
    ];
    for (rows, row, problem) in cases {
        let header = if rows.contains("md5") {
            "name,mail,hash\n"
        } else {
            "name,mail\n"
        };
        let file = write(app.dir.path(), "bad.csv", &format!("{header}{rows}"));
        let (ok, _, stderr) = latch(&app, &["import", "csv", &file]);
        assert!(!ok);
        assert!(stderr.contains(row) && stderr.contains(problem), "{stderr}");
        assert!(stderr.contains("nothing was imported"), "{stderr}");
        assert_eq!(app.account_count().await, 0);
    }
}
