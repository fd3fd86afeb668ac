//! SQLite faults that need no root: another process holding the write lock (an outage: 503
//! with `Retry-After` in every dialect, then recovery) and a damaged schema (a fault: 500 with
//! an error id in every dialect, the cause logged once under that id).

use std::time::Duration;

use sqlx::{Connection, Executor, SqliteConnection};

use crate::dialects::ALL;
use crate::support::{Server, client, login, register};

#[tokio::test]
async fn sqlite_locked_by_another_process_answers_503_in_every_dialect_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latch.db");
    let url = format!("sqlite://{}", path.display());
    let server = Server::start(dir.path(), &url, &[]).await;
    let http = client();
    assert!(register(&http, &server.base, "alice", "pass").await.is(200));
    let cookie = login(&http, &server.base, "alice", "pass")
        .await
        .cookie
        .expect("a session cookie");

    // What a backup tool or a long script does: take the write lock and keep it.
    let mut holder = SqliteConnection::connect(&url).await.unwrap();
    holder.execute("BEGIN IMMEDIATE").await.unwrap();
    let refused = ALL.map(|dialect| {
        let (http, base) = (http.clone(), server.base.clone());
        tokio::spawn(async move {
            let name = format!("locked{dialect:?}").to_lowercase();
            (dialect, dialect.register(&http, &base, &name, "pass").await)
        })
    });
    for answer in refused {
        let (dialect, answer) = answer.await.unwrap();
        dialect.assert_retry_later(&answer, "registration while another process holds the lock");
    }
    // Reading needs no lock: sessions are still recognised meanwhile.
    for dialect in ALL {
        let answer = dialect.whoami(&http, &server.base, &cookie).await;
        assert!(
            dialect.knows(&answer, "alice"),
            "{dialect:?} session check while the write lock is held: {answer:?}"
        );
    }

    holder.execute("ROLLBACK").await.unwrap();
    for dialect in ALL {
        let name = format!("after{dialect:?}").to_lowercase();
        let answer = dialect.register(&http, &server.base, &name, "pass").await;
        assert!(
            dialect.registered(&answer),
            "{dialect:?} registration once the lock is released: {answer:?}\n{}",
            server.stderr()
        );
    }
    let log = server.stderr();
    assert!(
        !log.contains("error_id"),
        "an outage is not logged as an internal fault: {log}"
    );
}

#[tokio::test]
async fn an_internal_fault_answers_500_with_an_error_id_that_the_log_explains_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latch.db");
    let url = format!("sqlite://{}", path.display());
    let server = Server::start(dir.path(), &url, &[]).await;
    let http = client();

    // A schema damaged behind the server's back: nothing a client did, nothing to retry.
    let mut damage = SqliteConnection::connect(&url).await.unwrap();
    damage
        .execute("ALTER TABLE account_roles RENAME TO account_roles_moved")
        .await
        .unwrap();
    damage.close().await.unwrap();

    let mut ids = Vec::new();
    for dialect in ALL {
        let name = format!("broken{dialect:?}").to_lowercase();
        let answer = dialect.register(&http, &server.base, &name, "pass").await;
        assert!(answer.is(500), "{dialect:?}: want 500, got {answer:?}");
        assert!(
            answer.retry_after.is_none(),
            "a fault is not an outage: no Retry-After"
        );
        let message = dialect
            .error_message(&answer)
            .unwrap_or_else(|| panic!("{dialect:?}: the 500 is not in its shape: {}", answer.body));
        assert!(
            !message.contains("account_roles"),
            "{dialect:?}: the cause stays in the log: {message}"
        );
        let id = message
            .split("error id ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{dialect:?}: no error id in {message:?}"))
            .to_string();
        ids.push((dialect, id));
    }

    // The log is written as the request ends; give it a moment to reach the file.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = server.stderr();
    for (dialect, id) in &ids {
        let lines: Vec<&str> = log
            .lines()
            .filter(|line| line.contains(id.as_str()))
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "{dialect:?}: error id {id} is logged exactly once: {log}"
        );
        assert!(
            lines[0].contains("account_roles"),
            "{dialect:?}: the log line names the cause: {}",
            lines[0]
        );
    }
    let distinct: std::collections::BTreeSet<&String> = ids.iter().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), ids.len(), "every failure has its own id");
}
