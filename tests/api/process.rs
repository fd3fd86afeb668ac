//! Running the real `latch` binary as a child process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{TestApp, rand_u128};

/// `latch` with a cheap password-hashing cost and quiet logs.
pub fn latch_command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_latch"));
    command
        .current_dir(dir)
        .env("LATCH_PASSWORD__ARGON2_MEMORY_KIB", "1024")
        .env("LATCH_PASSWORD__ARGON2_ITERATIONS", "1")
        // As in `test_config`: most tests use short passwords.
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
}

impl Server {
    /// Starts `command`, its stderr going to a log file in `dir`.
    pub fn start(mut command: Command, dir: &Path) -> Self {
        let log = dir.join(format!("serve-{:x}.log", rand_u128()));
        let child = command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start latch serve");
        Server { child, log }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `GET /session/token` answers on `port`.
    pub async fn ready(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let url = format!("http://127.0.0.1:{port}/session/token");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("latch serve exited with {status}: {}", self.stderr());
            }
            if reqwest::get(&url).await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "latch serve did not answer on port {port}: {}",
            self.stderr()
        );
    }

    /// Waits for the process to end by itself; `None` if it is still running after 10 s.
    pub fn exit(&mut self) -> Option<bool> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.success());
            }
            std::thread::sleep(Duration::from_millis(50));
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

/// `N` distinct loopback ports that were free a moment ago.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<_> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

pub fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `latch ARGS --database …` on the test app's database: success, stdout and stderr.
pub fn latch(app: &TestApp, args: &[&str]) -> (bool, String, String) {
    let output = latch_command(app.dir.path())
        .args(args)
        .args(["--database", &app.config.database_url])
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}
