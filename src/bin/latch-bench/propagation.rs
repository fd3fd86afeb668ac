//! (k): how long a logout on one node takes to end the session on another node of the same
//! database, the other node having the session in its cache.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use latch::store::Store;

use crate::load::Figures;
use crate::report::Row;
use crate::seed::{self, SessionIds};
use crate::server::{self, Server};

/// Where one trial gives up: the session is still served this long after its logout.
const GIVE_UP: Duration = Duration::from_secs(5);

pub struct Nodes<'a> {
    pub latch: &'a Path,
    pub dir: &'a Path,
    pub database_url: &'a str,
    pub secret: &'a str,
    pub cookie_name: &'a str,
}

/// Runs `trials` logouts on node A of sessions `first..first + trials`, each checked on node B
/// until B refuses it, and reports the delays from A's answer to B's first refusal.
pub async fn measure(
    nodes: &Nodes<'_>,
    ids: &SessionIds,
    accounts: &[i64],
    lifetime: i64,
    first: usize,
    trials: usize,
) -> anyhow::Result<Row> {
    let store = Store::connect(nodes.database_url).await?;
    seed::add_sessions(&store, ids, accounts, first, first + trials, lifetime).await?;
    store.close().await;
    let mut a = start(nodes, "a")?;
    let mut b = start(nodes, "b")?;
    let delays = run_trials(nodes, ids, &a, &b, first, trials)
        .context("while timing logouts on one node until refused on another");
    a.stop();
    b.stop();
    let mut delays = delays?;
    delays.sort_unstable();
    let at = |q: f64| delays[((delays.len() as f64 * q) as usize).min(delays.len() - 1)];
    let figures = Figures {
        requests: delays.len() as u64,
        p50_us: at(0.5),
        p99_us: at(0.99),
        p999_us: at(0.999),
        ..Figures::default()
    };
    Ok(Row::new(
        "k logout on A until refused on B",
        figures,
        0,
        1,
        trials,
    ))
}

fn start(nodes: &Nodes<'_>, name: &str) -> anyhow::Result<Server> {
    let dir = nodes.dir.join(format!("node-{name}"));
    std::fs::create_dir_all(&dir)?;
    let port = server::free_port()?;
    let config = server::write_config(&dir, nodes.database_url, port, nodes.secret);
    Server::start(nodes.latch, &config, port, &dir.join("server.log"))
}

fn run_trials(
    nodes: &Nodes<'_>,
    ids: &SessionIds,
    a: &Server,
    b: &Server,
    first: usize,
    trials: usize,
) -> anyhow::Result<Vec<u64>> {
    let mut delays = Vec::with_capacity(trials);
    for index in first..first + trials {
        let cookie = format!("{}={}", nodes.cookie_name, ids.id(index));
        let cookie = [("Cookie", cookie.as_str())];
        // B reads the session once and answers from memory from then on.
        for _ in 0..2 {
            let answer = b.get("/latch/verify", &cookie)?;
            if answer.status != 200 {
                bail!("B refused a live session: {}", answer.status);
            }
        }
        let token = a.get("/services/session/token", &cookie)?;
        let token = token.body.trim().to_string();
        let mut headers = cookie.to_vec();
        headers.push(("X-CSRF-Token", &token));
        headers.push(("Content-Type", "application/json"));
        let logout = a.request("POST", "/rest/user/logout.json", &headers, "{}")?;
        if logout.status != 200 {
            bail!("the logout on A answered {} {}", logout.status, logout.body);
        }
        let done = Instant::now();
        loop {
            let answer = b.get("/latch/verify", &cookie)?;
            if answer.status == 401 {
                break;
            }
            if done.elapsed() > GIVE_UP {
                bail!("B still served a session {GIVE_UP:?} after its logout on A");
            }
        }
        delays.push(done.elapsed().as_micros() as u64);
    }
    Ok(delays)
}
