//! Slow clients: headers that never finish, bodies trickled a byte at a time, connections
//! left idle. `http.request_timeout` (the README's deadline for the headers and for the whole
//! request) cuts each one off, and while they trickle everyone else is served as usual.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::support::{Server, client, send};

/// `http.request_timeout` for these tests, in seconds.
const DEADLINE: u64 = 2;
/// What a cut-off may take beyond the deadline on a busy machine.
const SLACK: Duration = Duration::from_secs(4);

async fn start(max_connections: &str) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("latch.db").display());
    let deadline = DEADLINE.to_string();
    let env = [
        ("LATCH_HTTP__REQUEST_TIMEOUT", deadline.as_str()),
        ("LATCH_HTTP__MAX_CONNECTIONS", max_connections),
    ];
    let server = Server::start(dir.path(), &database, &env).await;
    (dir, server)
}

/// How a slow client misbehaves.
#[derive(Debug, Clone, Copy)]
enum Trickle {
    /// Headers a byte at a time, never finished.
    Headers,
    /// Complete headers, then a body a byte at a time that never reaches its length, to a
    /// route that reads the body.
    BodyRead,
    /// The same to a route that ignores the body.
    BodyIgnored,
    /// One complete request, then nothing on the open connection.
    Idle,
}

/// What the server did to a slow client: the status line it sent, if any, and when it closed
/// the connection.
#[derive(Debug)]
struct CutOff {
    status: Option<String>,
    after: Duration,
}

/// Opens a connection and misbehaves on it until the server closes it (or 30 s pass).
fn slow_client(port: u16, how: Trickle) -> JoinHandle<CutOff> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (head, drip): (String, &[u8]) = match how {
            Trickle::Headers => (
                String::new(),
                b"GET /session/token HTTP/1.1\r\nX-Slow: aaaa",
            ),
            Trickle::BodyRead => (
                "POST /user/login?_format=json HTTP/1.1\r\nHost: x\r\n\
                 Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
                    .into(),
                b"{\"name\": \"slow\", \"pass\": \"",
            ),
            Trickle::BodyIgnored => (
                "GET /session/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n".into(),
                b"aaaaaaaaaaaaaaaaaaaaaaaaaa",
            ),
            Trickle::Idle => ("GET /session/token HTTP/1.1\r\nHost: x\r\n\r\n".into(), b""),
        };
        let mut reply = Vec::new();
        let mut buffer = [0u8; 4096];
        let closed = async {
            stream.write_all(head.as_bytes()).await?;
            let mut next = 0;
            loop {
                tokio::select! {
                    read = stream.read(&mut buffer) => match read? {
                        0 => return Ok::<_, std::io::Error>(()),
                        n => reply.extend_from_slice(&buffer[..n]),
                    },
                    () = tokio::time::sleep(Duration::from_millis(100)), if !drip.is_empty() => {
                        // The drip repeats its last byte for ever.
                        let byte = drip[next.min(drip.len() - 1)];
                        next += 1;
                        stream.write_all(&[byte]).await?;
                    }
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(30), closed).await;
        let reply = String::from_utf8_lossy(&reply);
        // The last status line: an idle connection's first answer is its 200.
        let status = reply
            .match_indices("HTTP/1.1 ")
            .last()
            .map(|(at, _)| reply[at..].lines().next().unwrap_or_default().to_string());
        CutOff {
            status,
            after: started.elapsed(),
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_at_the_deadline_and_others_are_served_meanwhile() {
    let (_dir, server) = start("64").await;
    let mut slow = Vec::new();
    for how in [
        Trickle::Headers,
        Trickle::BodyRead,
        Trickle::BodyIgnored,
        Trickle::Idle,
    ] {
        for _ in 0..4 {
            slow.push((how, slow_client(server.port, how)));
        }
    }
    // While they trickle, session checks answer as quickly as ever.
    let http = client();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..10 {
        let started = Instant::now();
        let answer = send(http.get(server.url("/user/login_status?_format=json"))).await;
        assert!(answer.is(200), "{answer:?}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a session check took {:?} beside slow clients",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (how, client) in slow {
        let cut = client.await.unwrap();
        assert!(
            cut.after < Duration::from_secs(DEADLINE) + SLACK,
            "{how:?}: the connection stayed open {:?}, past the {DEADLINE} s deadline",
            cut.after
        );
        match how {
            // Whatever the server says, it must say it within the deadline and close.
            Trickle::BodyRead => assert_eq!(
                cut.status.as_deref(),
                Some("HTTP/1.1 408 Request Timeout"),
                "{how:?}"
            ),
            Trickle::Idle | Trickle::BodyIgnored => {
                assert!(cut.status.is_some(), "{how:?}: no answer: {cut:?}")
            }
            Trickle::Headers => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_holding_every_connection_slot_are_cut_off_so_others_get_in() {
    let (_dir, server) = start("4").await;
    let slow: Vec<_> = (0..4)
        .map(|_| slow_client(server.port, Trickle::Headers))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every slot is taken; this waits in the backlog until the deadline frees one.
    let started = Instant::now();
    let answer = send(client().get(server.url("/user/login_status?_format=json"))).await;
    assert!(answer.is(200), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(DEADLINE) + SLACK,
        "waited {:?} for a slot",
        started.elapsed()
    );
    for client in slow {
        let cut = client.await.unwrap();
        assert!(cut.after < Duration::from_secs(DEADLINE) + SLACK, "{cut:?}");
    }
}
