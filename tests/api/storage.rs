//! What latch leaves on disk: private SQLite files, an outbox that forgets a message's text
//! once it is delivered, and `latch backup` of a running server.

use std::path::Path;
use std::time::Duration;

use latch::store::Store;
use serde_json::json;

use crate::helpers::{TestApp, new_client, spawn_app_with, spawn_with_config, test_config};
use crate::mail_sink::{Reply, SmtpSink};
use crate::process::latch_command;

/// A server on a SQLite file in its directory, whatever the test pass.
async fn sqlite_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir);
    config.database_url = format!("sqlite://{}", dir.path().join("latch.db").display());
    spawn_with_config(config, dir).await
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    metadata.permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_its_journal_and_the_secret_are_readable_by_their_owner_only() {
    let app = sqlite_app().await;
    app.create_account("bob", "secret", &[]).await;
    for file in ["latch.db", "latch.db-wal", "latch.db-shm", "latch.secret"] {
        assert_eq!(mode(&app.dir.path().join(file)), 0o600, "{file}");
    }
}

async fn ask_reset(app: &TestApp, name: &str) {
    let response = new_client()
        .post(app.url("/user/password?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({ "name": name }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Waits until the outbox's only message is in `state`.
async fn outbox_in(app: &TestApp, state: &str) -> latch::store::QueuedMail {
    for _ in 0..300 {
        if let [mail] = app.outbox().await.as_slice()
            && mail.state == state
        {
            return mail.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no message became {state}: {:?}", app.outbox().await);
}

#[tokio::test]
async fn a_delivered_message_keeps_its_metadata_but_not_its_text() {
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| {
        sink.configure(c);
        c.mail.templates.insert(
            "password_reset".into(),
            latch::config::TemplateConfig {
                html: Some("<a href=\"{link}\">{link}</a>".into()),
                ..Default::default()
            },
        );
    })
    .await;
    app.create_account("bob", "secret", &[]).await;
    ask_reset(&app, "bob").await;
    let received = sink.wait_for("bob@example.com", "").await;
    assert!(
        received.text.contains("/user/reset/"),
        "the mail had the link"
    );
    let sent = outbox_in(&app, "sent").await;
    assert_eq!((sent.body.as_str(), sent.html_body), ("", None));
    assert_eq!(
        (sent.kind.as_str(), sent.recipient.as_str()),
        ("password_reset", "bob@example.com")
    );
    assert!(sent.sent_at.is_some() && sent.created_at > 0);
}

#[tokio::test]
async fn a_dead_message_keeps_its_text_for_a_retry() {
    let sink = SmtpSink::start(Reply::Refuse("550 mailbox unavailable"));
    let app = spawn_app_with(|c| sink.configure(c)).await;
    app.create_account("bob", "secret", &[]).await;
    ask_reset(&app, "bob").await;
    let dead = outbox_in(&app, "dead").await;
    assert!(dead.body.contains("/user/reset/"), "{dead:?}");
}

fn backup(app: &TestApp, database: &str, to: &Path) -> std::process::Output {
    latch_command(app.dir.path())
        .args(["backup", "--database", database, "--to"])
        .arg(to)
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_backup_taken_while_the_server_writes_opens_with_every_account() {
    let app = sqlite_app().await;
    for n in 0..20 {
        app.create_account(&format!("user{n}"), "secret", &[]).await;
    }
    // Registrations keep writing while the backup runs.
    let writer = {
        let url = app.url("/user/register?_format=json");
        tokio::spawn(async move {
            for n in 0.. {
                let body = json!({"name": {"value": format!("late{n}")},
                    "mail": {"value": format!("late{n}@example.com")}, "pass": {"value": "pw"}});
                let _ = reqwest::Client::new()
                    .post(&url)
                    .header("Content-Type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let file = app.dir.path().join("backup.db");
    let output = backup(&app, &app.config.database_url, &file);
    writer.abort();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("Keep the server secret"), "{said}");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    let copy = Store::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let accounts = copy.count_accounts().await.unwrap();
    assert!(accounts >= 20, "{accounts} accounts in the backup");
    let names: Vec<String> = match &copy {
        Store::Sqlite(pool) => sqlx::query_scalar("SELECT name FROM accounts ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap(),
        Store::Postgres(_) => unreachable!(),
    };
    assert_eq!(names[..2], ["user0", "user1"]);
    copy.close().await;

    let again = backup(&app, &app.config.database_url, &file);
    assert!(
        !again.status.success(),
        "an existing file is never replaced"
    );
    let missing = backup(&app, "sqlite://no-such.db", &app.dir.path().join("b2.db"));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("there is no SQLite database"), "{stderr}");
    assert!(!app.dir.path().join("no-such.db").exists());
}

#[tokio::test]
async fn backup_on_postgresql_names_pg_dump_and_never_the_password() {
    let app = sqlite_app().await;
    let output = backup(
        &app,
        "postgres://latch:hunter2@db.internal:5432/latch",
        Path::new("latch.dump"),
    );
    assert!(!output.status.success(), "no backup was made");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "pg_dump --format=custom --file latch.dump 'postgres://latch@db.internal:5432/latch'"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
