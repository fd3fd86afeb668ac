//! The load: wrk over loopback, cycling through a list of prepared requests, with a Lua
//! `done()` hook that prints the figures wrk's own summary lacks (p99.9, exact counts).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One request as wrk sends it.
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

impl Req {
    pub fn get(path: &str) -> Self {
        Self {
            method: "GET",
            path: path.to_string(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// What one wrk run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    pub requests: u64,
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
    /// Answers other than 2xx and 3xx.
    pub bad_status: u64,
}

pub struct Running {
    child: Child,
    deadline: Instant,
    label: String,
}

/// Starts wrk against `port` for `seconds` with the requests in `requests`, cycled.
pub fn start(
    dir: &Path,
    label: &str,
    port: u16,
    requests: &[Req],
    connections: usize,
    threads: usize,
    seconds: u64,
) -> anyhow::Result<Running> {
    let script = dir.join(format!("{label}.lua"));
    std::fs::write(&script, lua(requests))?;
    let child = Command::new("wrk")
        .arg(format!("-t{}", threads.min(connections).max(1)))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run wrk (scripts/bench installs it)")?;
    Ok(Running {
        child,
        deadline: Instant::now() + Duration::from_secs(seconds + 30),
        label: label.to_string(),
    })
}

impl Running {
    /// Waits for wrk to finish (killing it if it overruns its time by far) and reads its
    /// figures.
    pub fn wait(mut self) -> anyhow::Result<Figures> {
        while self.child.try_wait()?.is_none() {
            if Instant::now() > self.deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("wrk for {} overran its time", self.label);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = self.child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("LATCH-BENCH "))
            .with_context(|| {
                format!(
                    "wrk for {} printed no figures: {}{}",
                    self.label,
                    stdout,
                    String::from_utf8_lossy(&output.stderr)
                )
            })?;
        let n: Vec<f64> = line
            .split_whitespace()
            .map(|v| v.parse::<f64>().unwrap_or(0.0))
            .collect();
        let [requests, micros, p50, p99, p999, socket_errors, bad_status] = n[..] else {
            bail!("wrk for {} printed {line:?}", self.label);
        };
        Ok(Figures {
            requests: requests as u64,
            rps: if micros > 0.0 {
                requests / (micros / 1e6)
            } else {
                0.0
            },
            p50_us: p50 as u64,
            p99_us: p99 as u64,
            p999_us: p999 as u64,
            socket_errors: socket_errors as u64,
            bad_status: bad_status as u64,
        })
    }
}

/// The wrk script: every thread formats the requests once, then cycles through them from an
/// offset of its own, so the load spreads over every session.
fn lua(requests: &[Req]) -> String {
    let mut items = String::new();
    for req in requests {
        let headers: Vec<String> = req
            .headers
            .iter()
            .map(|(n, v)| format!("[\"{n}\"]=[==[{v}]==]"))
            .collect();
        let body = match &req.body {
            Some(body) => format!("[==[{body}]==]"),
            None => "nil".into(),
        };
        items.push_str(&format!(
            "  {{\"{}\", [==[{}]==], {{{}}}, {}}},\n",
            req.method,
            req.path,
            headers.join(", "),
            body
        ));
    }
    format!(
        r#"local items = {{
{items}}}
local reqs = {{}}
local next_index = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
function init(args)
  for k, it in ipairs(items) do
    reqs[k] = wrk.format(it[1], it[2], it[3], it[4])
  end
  next_index = (offset or 0) % #reqs
end
function request()
  next_index = next_index % #reqs + 1
  return reqs[next_index]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LATCH-BENCH %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"#
    )
}
