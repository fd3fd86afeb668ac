//! Running the real `latch` binary, talking to it over HTTP, and skipping a test where the
//! machine cannot provoke its fault.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// Where a fault cannot be provoked (no root for `mount`, no PostgreSQL server binaries), the
/// test passes with a notice; under CI (`LATCH_CI=1`, or `CI=true`) that is a failure, so CI
/// never passes a fault suite that did not run.
pub fn skip(reason: &str) {
    if std::env::var("LATCH_CI").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| v == "true")
    {
        panic!("{reason}; CI must run every fault test: provide it in .ci/run");
    }
    // Past the test harness's capture, so the notice shows though the test passes.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// `latch` with a cheap password-hashing cost, as in the integration suite.
pub fn latch_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
    command
        .current_dir(dir)
        .env("LATCH_PASSWORD__ARGON2_MEMORY_KIB", "1024")
        .env("LATCH_PASSWORD__ARGON2_ITERATIONS", "1")
        .env("LATCH_PASSWORD__MIN_LENGTH", "1")
        .env("LATCH_PASSWORD__REJECT_COMMON", "false")
        .env("LATCH_LOG", "warn")
        .env_remove("LATCH_LISTEN")
        .env_remove("LATCH_DATABASE_URL")
        .env_remove("LATCH_CONFIG");
    command
}

/// A running `latch serve`; killed when dropped.
pub struct Server {
    child: Child,
    log: PathBuf,
    pub port: u16,
    /// `http://127.0.0.1:PORT`, for the request helpers below.
    pub base: String,
}

impl Server {
    /// Starts `latch serve` in `dir` over `database` on a free port, with `env` on top of
    /// [`latch_command`]'s, and waits until it answers.
    pub async fn start(dir: &Path, database: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = latch_command(dir);
        command.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            database,
        ]);
        for (key, value) in env {
            command.env(key, value);
        }
        let log = dir.join(format!("serve-{port}.log"));
        let child = command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start latch serve");
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Server {
            child,
            log,
            port,
            base,
        };
        server.ready().await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = self.url("/session/token");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("latch serve exited with {status}: {}", self.stderr());
            }
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("latch serve did not answer: {}", self.stderr());
    }

    /// Sends `signal` (`KILL`, `TERM`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to end; its exit status, or `None` if it still runs after
    /// `within`.
    pub async fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A client without a cookie jar: each test carries its session cookie by hand, so that one
/// client can act for many accounts.
pub fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// What a request came back with; `None` status when the connection failed.
#[derive(Debug)]
pub struct Answer {
    pub status: Option<StatusCode>,
    pub retry_after: Option<String>,
    pub body: String,
    pub cookie: Option<String>,
}

impl Answer {
    pub fn is(&self, status: u16) -> bool {
        self.status.is_some_and(|s| s.as_u16() == status)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A 503 that tells the client when to come back.
    pub fn is_retry_later(&self) -> bool {
        self.is(503)
            && self
                .retry_after
                .as_deref()
                .is_some_and(|s| s.parse::<u32>().is_ok_and(|n| n > 0))
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    match request.send().await {
        Ok(response) => {
            let status = Some(response.status());
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after = header("retry-after");
            let cookie = header("set-cookie").map(|c| c.split(';').next().unwrap().to_string());
            let body = response.text().await.unwrap_or_default();
            Answer {
                status,
                retry_after,
                body,
                cookie,
            }
        }
        Err(error) => Answer {
            status: None,
            retry_after: None,
            body: error.to_string(),
            cookie: None,
        },
    }
}

/// Drupal 8+ registration of `name` with password `pass`.
pub async fn register(client: &Client, base: &str, name: &str, pass: &str) -> Answer {
    let body = json!({
        "name": {"value": name},
        "mail": {"value": format!("{name}@example.com")},
        "pass": {"value": pass},
    });
    send(
        client
            .post(format!("{base}/user/register?_format=json"))
            .header("Content-Type", "application/json")
            .body(body.to_string()),
    )
    .await
}

/// Drupal 8+ login; the answer's `cookie` is the new session.
pub async fn login(client: &Client, base: &str, name: &str, pass: &str) -> Answer {
    send(
        client
            .post(format!("{base}/user/login?_format=json"))
            .header("Content-Type", "application/json")
            .body(json!({"name": name, "pass": pass}).to_string()),
    )
    .await
}

/// `GET /user/login_status` with `cookie`: body `1` while the session lives.
pub async fn login_status(client: &Client, base: &str, cookie: &str) -> Answer {
    send(
        client
            .get(format!("{base}/user/login_status?_format=json"))
            .header("Cookie", cookie),
    )
    .await
}

/// `program` to be run as the `postgres` user when we are root (PostgreSQL refuses to run as
/// root).
pub fn postgres_command(program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", program]);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command`; its stdout, panicking with its output on failure.
pub fn checked(command: &mut Command) -> String {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
