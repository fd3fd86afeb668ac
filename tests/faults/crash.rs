//! `kill -9` in the middle of registration and login load loses nothing that was acknowledged:
//! every account whose registration got a 200 exists after a restart and can log in, and every
//! session whose login got a 200 is still logged in.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;

use crate::postgres::PrivatePostgres;
use crate::support::{Server, client, login, login_status, register, skip};

/// Clients registering and logging in at once.
const CLIENTS: usize = 8;

#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_write_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("latch.db").display());
    crash_and_verify(dir.path(), &database).await;
}

#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_write_on_postgres() {
    let pg = match PrivatePostgres::start() {
        Ok(pg) => pg,
        Err(reason) => return skip(&format!("kill -9 on PostgreSQL: {reason}")),
    };
    let dir = tempfile::tempdir().unwrap();
    crash_and_verify(dir.path(), &pg.url("postgres")).await;
}

#[derive(Default)]
struct Acknowledged {
    accounts: Vec<String>,
    sessions: Vec<(String, String)>,
}

async fn crash_and_verify(dir: &std::path::Path, database: &str) {
    let server = Server::start(dir, database, &[]).await;
    let server = Arc::new(server);
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let killed = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (server, acknowledged, killed) = (server.clone(), acknowledged.clone(), killed.clone());
        clients.push(tokio::spawn(async move {
            let http = client();
            for n in 0.. {
                let name = format!("c{c}n{n}");
                let answer = register(&http, &server.base, &name, "pass").await;
                if answer.is(200) {
                    acknowledged.lock().await.accounts.push(name.clone());
                } else if killed.load(Ordering::SeqCst) {
                    return;
                } else {
                    panic!("registration under load: {answer:?}");
                }
                let answer = login(&http, &server.base, &name, "pass").await;
                if answer.is(200) {
                    let cookie = answer.cookie.expect("a session cookie");
                    acknowledged.lock().await.sessions.push((name, cookie));
                } else if killed.load(Ordering::SeqCst) {
                    return;
                } else {
                    panic!("login under load: {answer:?}");
                }
            }
        }));
    }
    // Kill once the load is well under way, with requests in flight.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().await.sessions.len() < 150 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the load did not get going: {}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.store(true, Ordering::SeqCst);
    server.signal("KILL");
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().await);
    drop(Arc::try_unwrap(server).ok());

    let server = Server::start(dir, database, &[]).await;
    let http = client();
    for (name, cookie) in &acknowledged.sessions {
        let answer = login_status(&http, &server.base, cookie).await;
        assert_eq!(
            answer.body, "1",
            "the session of {name}, acknowledged before kill -9, is gone"
        );
    }
    for name in &acknowledged.accounts {
        let answer = login(&http, &server.base, name, "pass").await;
        assert!(
            answer.is(200),
            "{name}, acknowledged before kill -9, cannot log in: {answer:?}"
        );
    }
    eprintln!(
        "kill -9 on {}: {} acknowledged registrations and {} logins all survived",
        database.split(':').next().unwrap_or_default(),
        acknowledged.accounts.len(),
        acknowledged.sessions.len()
    );
}
