//! A real SMTP server on loopback (`tests/smtp/sink.py`, Python's aiosmtpd) that keeps every
//! message it receives, and helpers to point latch at it and to read what it received.

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use latch::config::{Config, SmtpTls};
use serde_json::Value;

use crate::process::free_port;

/// A message as the sink decoded it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: Option<String>,
    /// Whether it came over an encrypted connection.
    pub tls: bool,
    /// The user that authenticated with SMTP AUTH, if any.
    pub login: Option<String>,
}

impl Received {
    /// The first `/user/reset/…` link in the text, path only.
    pub fn link_path(&self) -> String {
        let start = self
            .text
            .find("http")
            .unwrap_or_else(|| panic!("no link in message: {}", self.text));
        let url: String = self.text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let at = url
            .find("/user/reset/")
            .unwrap_or_else(|| panic!("not a one-time link: {url}"));
        url[at..].to_string()
    }
}

/// How the sink answers.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Accept,
    /// Refuse every message with this SMTP reply.
    Refuse(&'static str),
    /// Accept, after this many seconds.
    Slow(f64),
}

pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub fn start(reply: Reply) -> Self {
        Self::start_on(free_port(), reply)
    }

    /// Starts the sink on `port` and waits until it accepts connections.
    pub fn start_on(port: u16, reply: Reply) -> Self {
        Self::spawn(port, reply, SinkTls::default())
    }

    /// Starts a sink that accepts every message, speaking TLS as `tls` says.
    pub fn start_tls(tls: SinkTls) -> Self {
        Self::spawn(free_port(), Reply::Accept, tls)
    }

    fn spawn(port: u16, reply: Reply, tls: SinkTls) -> Self {
        let dir = tempfile::tempdir().unwrap().keep();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/sink.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .args(tls.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        match reply {
            Reply::Accept => {}
            Reply::Refuse(answer) => {
                command.args(["--reply", answer]);
            }
            Reply::Slow(seconds) => {
                command.args(["--delay", &seconds.to_string()]);
            }
        }
        let mut child = command.spawn().expect(
            "start the SMTP sink: python3 with aiosmtpd is needed (python3 -m pip install aiosmtpd)",
        );
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start (is aiosmtpd installed? python3 -m pip install aiosmtpd)"
        );
        SmtpSink { port, dir, child }
    }

    /// Points `config` at this sink.
    pub fn configure(&self, config: &mut Config) {
        smtp_on(config, self.port);
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let value: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                out.push(Received {
                    to: value["to"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect(),
                    subject: value["subject"].as_str().unwrap().to_string(),
                    message_id: value["message_id"].as_str().unwrap().to_string(),
                    text: value["text"].as_str().unwrap().to_string(),
                    html: value["html"].as_str().map(str::to_string),
                    tls: value["tls"].as_bool().unwrap(),
                    login: value["login"].as_str().map(str::to_string),
                });
            }
        }
        out
    }

    /// Waits until a message to `to` whose subject contains `subject` arrives.
    pub async fn wait_for(&self, to: &str, subject: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let messages = self.messages();
            if let Some(found) = messages
                .iter()
                .find(|m| m.to.iter().any(|t| t == to) && m.subject.contains(subject))
            {
                return found.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message to {to} about {subject:?} arrived; received: {messages:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `count` messages have arrived.
    pub async fn wait_for_count(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} messages arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How a sink speaks TLS; the default is plain SMTP only.
#[derive(Default)]
pub struct SinkTls {
    args: Vec<OsString>,
}

impl SinkTls {
    /// Offers STARTTLS with this certificate, but also takes mail without it.
    pub fn starttls(pair: &KeyPair) -> Self {
        Self::with("starttls", pair)
    }

    /// Speaks TLS from the first byte (SMTPS).
    pub fn implicit(pair: &KeyPair) -> Self {
        Self::with("implicit", pair)
    }

    fn with(mode: &str, pair: &KeyPair) -> Self {
        let args = vec![
            "--tls".into(),
            mode.into(),
            "--cert".into(),
            pair.cert.clone().into(),
            "--key".into(),
            pair.key.clone().into(),
        ];
        SinkTls { args }
    }

    /// Refuses mail until the client has upgraded with STARTTLS.
    pub fn require_starttls(mut self) -> Self {
        self.args.push("--require-starttls".into());
        self
    }

    /// Takes mail only after AUTH as `user`, which it offers only over TLS.
    pub fn auth(mut self, user: &str, password: &str) -> Self {
        self.args.push("--auth".into());
        self.args.push(format!("{user}:{password}").into());
        self
    }
}

/// A certificate and its private key, as PEM files.
pub struct KeyPair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Certificates made for one test by `tests/smtp/certs.py`, all for `localhost` and
/// `127.0.0.1`: a private CA with a server certificate it issued, and a self-signed one.
pub struct TestCertificates {
    dir: tempfile::TempDir,
}

impl TestCertificates {
    pub fn generate() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/certs.py");
        let output = Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .output()
            .expect("run python3");
        assert!(
            output.status.success(),
            "tests/smtp/certs.py failed (is the Python package cryptography installed? \
             python3 -m pip install cryptography): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        TestCertificates { dir }
    }

    /// The private CA's certificate: what `mail.smtp.ca_file` names to trust it.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A server certificate issued by [`TestCertificates::ca`].
    pub fn server(&self) -> KeyPair {
        self.pair("server")
    }

    /// A self-signed server certificate; its `cert` file is its own trust anchor.
    pub fn self_signed(&self) -> KeyPair {
        self.pair("self-signed")
    }

    fn pair(&self, stem: &str) -> KeyPair {
        KeyPair {
            cert: self.dir.path().join(format!("{stem}.pem")),
            key: self.dir.path().join(format!("{stem}.key")),
        }
    }
}

/// Like [`smtp_on`], with `tls` and, if given, `ca_file` trusted.
pub fn smtp_tls_on(config: &mut Config, port: u16, tls: SmtpTls, ca_file: Option<&Path>) {
    smtp_on(config, port);
    config.mail.smtp.tls = tls;
    if let Some(file) = ca_file {
        config.mail.smtp.ca_file = file.display().to_string();
    }
}

/// Plain SMTP on a loopback port, with quick polling and retries so tests stay short.
pub fn smtp_on(config: &mut Config, port: u16) {
    config.mail.smtp.host = "127.0.0.1".into();
    config.mail.smtp.port = port;
    config.mail.smtp.tls = SmtpTls::None;
    config.mail.smtp.timeout = Duration::from_secs(5);
    config.mail.poll_interval = Duration::from_millis(200);
    config.mail.retry_delay = Duration::from_secs(1);
}

/// Runs `latch ARGS… --database URL` on the app's database, in its directory (so it shares
/// the server secret); returns stdout, panicking with stderr if the command fails.
pub fn latch_cli(app: &crate::helpers::TestApp, args: &[&str]) -> String {
    let output = crate::process::latch_command(app.dir.path())
        .args(args)
        .args(["--database", &app.config.database_url])
        .output()
        .expect("run latch");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "latch {args:?} failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
