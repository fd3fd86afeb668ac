//! A database whose disk fills up while latch runs: writes get 503 with `Retry-After` and a log
//! line naming the disk, reads and session checks keep working, and writes come back by
//! themselves once there is space again.

use std::time::{Duration, Instant};

use crate::dialects::ALL;
use crate::disk::SmallDisk;
use crate::postgres::PrivatePostgres;
use crate::support::{Server, client, login, register, skip};

/// Session checks write the last-access time every second, so they meet the full disk too.
const ENV: &[(&str, &str)] = &[("LATCH_SESSION__WRITE_INTERVAL", "1")];

#[tokio::test]
async fn sqlite_on_a_full_disk_answers_503_and_recovers_when_space_returns() {
    let disk = match SmallDisk::mount(8) {
        Ok(disk) => disk,
        Err(reason) => return skip(&format!("the full-disk test: {reason}")),
    };
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", disk.path.join("latch.db").display());
    let server = Server::start(dir.path(), &database, ENV).await;
    exercise_a_full_disk(&server, &disk).await;
    let log = server.stderr();
    assert!(
        log.contains(&disk.path.join("latch.db").display().to_string())
            && log.contains("the disk holding the database is full"),
        "the log names the database file on the full disk: {log}"
    );
}

#[tokio::test]
async fn postgres_out_of_space_answers_503_and_recovers_when_space_returns() {
    let disk = match SmallDisk::mount(24) {
        Ok(disk) => disk,
        Err(reason) => return skip(&format!("the PostgreSQL full-disk test: {reason}")),
    };
    let pg = match PrivatePostgres::start() {
        Ok(pg) => pg,
        Err(reason) => return skip(&format!("the PostgreSQL full-disk test: {reason}")),
    };
    // The database's tables live in a tablespace on the small disk; PostgreSQL's own files
    // (and its write-ahead log) stay where they are, as when a data volume fills up.
    crate::support::checked(
        std::process::Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&disk.path),
    );
    let location = disk.path.display();
    pg.execute(
        "postgres",
        &format!("CREATE TABLESPACE small LOCATION '{location}'"),
    )
    .await;
    pg.execute("postgres", "CREATE DATABASE latch TABLESPACE small")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &pg.url("latch"), ENV).await;
    exercise_a_full_disk(&server, &disk).await;
    let log = server.stderr();
    assert!(
        log.contains("out of disk space"),
        "the log says the database server ran out of space: {log}"
    );
}

/// Registers through every dialect while `disk` is full and after it is freed; returns once
/// writes work again.
async fn exercise_a_full_disk(server: &Server, disk: &SmallDisk) {
    let client = client();
    assert!(
        register(&client, &server.base, "alice", "pass")
            .await
            .is(200)
    );
    let session = login(&client, &server.base, "alice", "pass").await;
    assert!(session.is(200), "{session:?}");
    let cookie = session.cookie.unwrap();

    let filler = disk.fill();
    // Some writes may still fit in pages the database already has; the disk shows as full
    // once it must grow. Each answer is 200 or 503 with Retry-After, never a 500.
    let mut refused = 0;
    let mut attempt = 0;
    while refused < 8 {
        attempt += 1;
        assert!(
            attempt < 2000,
            "the full disk never refused a registration: {}",
            server.stderr()
        );
        let dialect = ALL[attempt % ALL.len()];
        let name = format!("filler{attempt}");
        let answer = dialect.register(&client, &server.base, &name, "pass").await;
        if dialect.registered(&answer) {
            continue;
        }
        dialect.assert_retry_later(&answer, "registration on a full disk");
        refused += 1;
    }
    // Writes that are refused now: one per dialect, each in its own shape.
    for dialect in ALL {
        let name = format!("refused{dialect:?}").to_lowercase();
        let answer = dialect.register(&client, &server.base, &name, "pass").await;
        if !dialect.registered(&answer) {
            dialect.assert_retry_later(&answer, "registration on a full disk");
        }
    }
    // Reads and session checks need no space, whether or not the last-access time can be
    // written.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for dialect in ALL {
        let answer = dialect.whoami(&client, &server.base, &cookie).await;
        assert!(
            dialect.knows(&answer, "alice"),
            "{dialect:?} session check on a full disk: {answer:?}"
        );
    }
    assert_eq!(
        crate::support::login_status(&client, &server.base, &cookie)
            .await
            .body,
        "1"
    );

    filler.free();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = format!("after{attempt}");
        let answer = register(&client, &server.base, &name, "pass").await;
        if answer.is(200) {
            break;
        }
        assert!(
            answer.is_retry_later(),
            "registration after space returned: {answer:?}"
        );
        assert!(
            Instant::now() < deadline,
            "writes did not recover after space returned: {answer:?}\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Not one lucky write: every dialect writes again, many times over.
    for round in 0..5 {
        for dialect in ALL {
            let name = format!("again{round}{dialect:?}").to_lowercase();
            let answer = dialect.register(&client, &server.base, &name, "pass").await;
            assert!(
                dialect.registered(&answer),
                "{dialect:?} registration after recovery: {answer:?}\n{}",
                server.stderr()
            );
        }
    }
    let answer = login(&client, &server.base, "again4drupal", "pass").await;
    assert!(answer.is(200), "{answer:?}");
}
