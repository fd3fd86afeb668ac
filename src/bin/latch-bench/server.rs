//! The measured server: a `latch serve` child process with its own config, its memory read
//! from /proc, and a minimal HTTP/1.1 client for setup and checks (not for the load).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Where the server runs and what it was given.
pub struct Server {
    child: Child,
    pub port: u16,
}

/// Writes the server's config: defaults, plus the bench-only hello route, and no per-client
/// connection cap, since all the load comes from one loopback address.
pub fn write_config(dir: &Path, database_url: &str, port: u16, secret: &str) -> PathBuf {
    let path = dir.join("latch.toml");
    let text = format!(
        "listen = \"127.0.0.1:{port}\"\n\
         database_url = \"{database_url}\"\n\
         secret = \"{secret}\"\n\
         public_url = \"http://127.0.0.1:{port}\"\n\
         \n[http]\nbench_hello = true\nmax_connections_per_ip = 1000000\n"
    );
    std::fs::write(&path, text).expect("the bench's temporary directory is writable");
    path
}

/// A loopback port nothing listens on at the moment.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs a `latch` command (not the server) to completion.
pub fn latch_command(latch: &Path, config: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new(latch)
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", latch.display()))?;
    if !output.status.success() {
        bail!(
            "latch {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

impl Server {
    /// Starts `latch serve` and waits until it answers.
    pub fn start(latch: &Path, config: &Path, port: u16, log: &Path) -> anyhow::Result<Self> {
        let log = std::fs::File::create(log)?;
        let child = Command::new(latch)
            .arg("--config")
            .arg(config)
            .arg("serve")
            // One log line per request would measure the disk as much as the server.
            .env("LATCH_LOG", "info,sqlx=warn,latch::request=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", latch.display()))?;
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if server.get("/user/login_status?_format=json", &[]).is_ok() {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("latch serve exited with {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server.stop();
        bail!("latch serve did not answer within 30 seconds")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User and system CPU time the server has used so far, in seconds (10 ms resolution).
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // The fields after the command name, which is in parentheses: utime and stime are
        // the 14th and 15th of the whole line, in clock ticks of 1/100 s on Linux.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, rest)| rest)
            .split_whitespace()
            .collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Resident memory now, in bytes.
    pub fn rss(&self) -> u64 {
        rss_of(self.pid())
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Response> {
        self.request("GET", path, headers, "")
    }

    /// One request on a fresh connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<Response> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Content-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        Response::parse(&raw)
    }

    /// Stops the server with SIGTERM, as an operator would, and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> anyhow::Result<Self> {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").context("no end of headers")?;
        let status = head
            .lines()
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .context("no status line")?;
        Ok(Self {
            status,
            body: body.to_string(),
        })
    }
}

fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples a process's resident memory every 20 ms until stopped; keeps the highest.
pub struct RssPeak {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl RssPeak {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_of(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self { stop, peak, thread }
    }

    pub fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}
