//! PostgreSQL stopped and started again under load: while it is away every dialect answers
//! 503 with `Retry-After` in its own error shape, never a 500; once it is back, latch serves
//! again by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::dialects::ALL;
use crate::postgres::PrivatePostgres;
use crate::support::{Answer, Server, client, login, register, skip};

const CLIENTS: usize = 6;

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    retry_later: AtomicUsize,
    /// Anything else, with what was asked.
    wrong: Mutex<Vec<String>>,
}

#[tokio::test]
async fn postgres_stopped_under_load_gets_503s_then_recovers_without_500s() {
    let pg = match PrivatePostgres::start() {
        Ok(pg) => pg,
        Err(reason) => return skip(&format!("the PostgreSQL outage test: {reason}")),
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &pg.url("postgres"), &[]).await;
    let http = client();
    let mut sessions = Vec::new();
    for c in 0..CLIENTS {
        let name = format!("steady{c}");
        assert!(register(&http, &server.base, &name, "pass").await.is(200));
        let answer = login(&http, &server.base, &name, "pass").await;
        sessions.push((name, answer.cookie.expect("a session cookie")));
    }

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for (c, (name, cookie)) in sessions.into_iter().enumerate() {
        let (tally, stop, base) = (tally.clone(), stop.clone(), server.base.clone());
        clients.push(tokio::spawn(async move {
            let http = client();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let dialect = ALL[(c + n) % ALL.len()];
                let answer = dialect.whoami(&http, &base, &cookie).await;
                count(
                    &tally,
                    dialect.knows(&answer, &name),
                    &answer,
                    dialect,
                    "session check",
                )
                .await;
                let fresh = format!("load{c}n{n}");
                let answer = dialect.register(&http, &base, &fresh, "pass").await;
                count(
                    &tally,
                    dialect.registered(&answer),
                    &answer,
                    dialect,
                    "registration",
                )
                .await;
            }
        }));
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = tally.ok.load(Ordering::SeqCst);
    pg.stop();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let refused = tally.retry_later.load(Ordering::SeqCst);
    pg.run();
    // Back within a few seconds of PostgreSQL, and serving for a while after.
    let deadline = Instant::now() + Duration::from_secs(30);
    let recovered = loop {
        let ok = tally.ok.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if tally.ok.load(Ordering::SeqCst) >= ok + 2 * CLIENTS {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
    };
    // Requests that were waiting for a connection when it came back may still answer 503.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let recovered_at = tally.retry_later.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }

    eprintln!(
        "PostgreSQL outage: {} answers served, {} refused with 503 and Retry-After",
        tally.ok.load(Ordering::SeqCst),
        tally.retry_later.load(Ordering::SeqCst)
    );
    let wrong = tally.wrong.lock().await;
    assert!(
        wrong.is_empty(),
        "answers other than success or 503 with Retry-After: {:#?}\n{}",
        &wrong[..wrong.len().min(20)],
        server.stderr()
    );
    assert!(before > 0, "nothing succeeded before the outage");
    assert!(refused > 0, "no 503 while PostgreSQL was down");
    assert!(recovered, "latch did not recover: {}", server.stderr());
    assert_eq!(
        tally.retry_later.load(Ordering::SeqCst),
        recovered_at,
        "503s went on after recovery"
    );
}

async fn count(
    tally: &Tally,
    succeeded: bool,
    answer: &Answer,
    dialect: crate::dialects::Dialect,
    what: &str,
) {
    if succeeded {
        tally.ok.fetch_add(1, Ordering::SeqCst);
    } else if answer.is_retry_later() && dialect.error_message(answer).is_some() {
        tally.retry_later.fetch_add(1, Ordering::SeqCst);
    } else {
        tally.wrong.lock().await.push(format!(
            "{dialect:?} {what}: {:?} retry-after {:?} {}",
            answer.status, answer.retry_after, answer.body
        ));
    }
}
