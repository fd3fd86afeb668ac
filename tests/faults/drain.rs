//! SIGTERM: requests in flight finish, the process exits 0, the mail worker stops between
//! messages, and no message is ever sent twice.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Server, client, free_port, latch_command, login, register};

/// Messages queued before the signal; the sink takes a second over each.
const MESSAGES: usize = 6;

#[tokio::test]
async fn sigterm_lets_requests_finish_and_stops_mail_between_messages() {
    let sink = Sink::start(1.0);
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("latch.db").display());
    let port = sink.port.to_string();
    let env = [
        ("LATCH_MAIL__SMTP__HOST", "127.0.0.1"),
        ("LATCH_MAIL__SMTP__PORT", port.as_str()),
        ("LATCH_MAIL__SMTP__TLS", "none"),
        ("LATCH_MAIL__SMTP__TIMEOUT", "10"),
        ("LATCH_MAIL__POLL_INTERVAL", "0.2"),
        // Costly hashes, one at a time, so logins queue up and are in flight at the signal.
        ("LATCH_PASSWORD__ARGON2_MEMORY_KIB", "65536"),
        ("LATCH_PASSWORD__ARGON2_ITERATIONS", "3"),
        ("LATCH_PASSWORD__MAX_CONCURRENT_HASHES", "1"),
    ];
    let mut server = Server::start(dir.path(), &database, &env).await;
    let http = client();
    // Each registration queues a welcome mail.
    for n in 0..MESSAGES {
        let answer = register(&http, &server.base, &format!("user{n}"), "pass").await;
        assert!(answer.is(200), "{answer:?}");
    }

    // In flight at the signal: a registration whose body is still arriving, and a queue of
    // logins waiting for the hashing thread.
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let body = json!({"name": {"value": "late"}, "mail": {"value": "late@example.com"},
                      "pass": {"value": "pass"}})
    .to_string();
    write!(
        slow,
        "POST /user/register?_format=json HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let (head, tail) = body.split_at(body.len() / 2);
    slow.write_all(head.as_bytes()).unwrap();
    let logins: Vec<_> = (0..6)
        .map(|n| {
            let (http, base) = (http.clone(), server.base.clone());
            tokio::spawn(async move {
                login(&http, &base, &format!("user{}", n % MESSAGES), "pass").await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let in_flight = logins.iter().filter(|login| !login.is_finished()).count();
    server.signal("TERM");
    assert!(in_flight > 0, "every login finished before the signal");
    tokio::time::sleep(Duration::from_millis(300)).await;
    slow.write_all(tail.as_bytes()).unwrap();
    let mut reply = String::new();
    BufReader::new(&slow).read_line(&mut reply).unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "the registration in flight at SIGTERM: {reply}"
    );
    for login in logins {
        let answer = login.await.unwrap();
        assert!(answer.is(200), "a login in flight at SIGTERM: {answer:?}");
    }
    let status = server
        .wait(Duration::from_secs(30))
        .await
        .expect("latch serve still runs 30 s after SIGTERM");
    assert!(
        status.success(),
        "exit status {status}: {}",
        server.stderr()
    );

    // The worker finished the message it had and took no other: what the sink has is what
    // the outbox calls sent, and the rest waits, unclaimed.
    let received = sink.messages();
    let outbox = outbox(dir.path(), &database);
    let sent = outbox.values().filter(|state| *state == "sent").count();
    assert_eq!(
        received.len(),
        sent,
        "sink: {received:?}, outbox: {outbox:?}"
    );
    assert!(
        sent < outbox.len(),
        "the worker stopped before the outbox was empty: {outbox:?}"
    );
    eprintln!(
        "SIGTERM: {in_flight} logins in flight finished; {sent} of {} messages sent before the \
         worker stopped",
        outbox.len()
    );

    // A restarted server sends the rest at once (nothing stayed claimed), each message once.
    let _server = Server::start(dir.path(), &database, &env).await;
    let everything = outbox.len();
    sink.wait_for_count(everything, Duration::from_secs(60))
        .await;
    // Time for a duplicate to show up, were one on its way.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.messages();
    let mut by_recipient = BTreeMap::new();
    for message in &received {
        *by_recipient.entry(message["to"].to_string()).or_insert(0) += 1;
    }
    assert_eq!(
        received.len(),
        everything,
        "every queued message was sent exactly once: {by_recipient:?}"
    );
    assert!(
        by_recipient.values().all(|n| *n == 1),
        "sent twice: {by_recipient:?}"
    );
}

/// `latch mail list`: each message's recipient and kind, with its state.
fn outbox(dir: &Path, database: &str) -> BTreeMap<String, String> {
    let output = latch_command(dir)
        .args(["mail", "list", "--database", database])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (
                format!("{} {}", fields[3], fields[4]),
                fields[1].to_string(),
            )
        })
        .collect()
}

/// The integration suite's SMTP sink (`tests/smtp/sink.py`), slowed down.
struct Sink {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Sink {
    fn start(delay: f64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut child = Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py"))
            .args(["--port", &port.to_string(), "--delay", &delay.to_string()])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (python3 -m pip install aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink needs aiosmtpd");
        Sink { port, dir, child }
    }

    fn messages(&self) -> Vec<Value> {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                (path.extension()? == "json")
                    .then(|| serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok())?
            })
            .collect()
    }

    async fn wait_for_count(&self, count: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.messages().len() < count {
            assert!(
                Instant::now() < deadline,
                "only {} of {count} messages arrived",
                self.messages().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
