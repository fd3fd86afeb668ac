//! The scenarios, run in turn against one server per backend.

use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use latch::config::Config;
use latch::store::Store;

use crate::Args;
use crate::load::{self, Figures, Req};
use crate::propagation;
use crate::report::{self, BackendRun, Row};
use crate::sample::Sample;
use crate::seed::{self, SessionIds};
use crate::server::{self, RssPeak, Server};

pub async fn run_all(args: Args) -> anyhow::Result<()> {
    let latch = match &args.latch {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("latch"),
    };
    if !latch.exists() {
        bail!("no latch binary at {} (build it first)", latch.display());
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load_at_start = report::load_average();
    let config = Config::default();
    eprintln!("Hashing the accounts' password…");
    let hash = seed::password_hash(&config.password).await?;
    let dir = std::env::temp_dir().join(format!("latch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut runs = Vec::new();
    for backend in &args.backends {
        let run = run_backend(&args, backend, &latch, &dir, &hash, &config).await;
        let run = run.with_context(|| format!("on {backend}"))?;
        report::print_table(std::slice::from_ref(&run));
        runs.push(run);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let summary = report::Summary {
        cores,
        load_at_start,
        runs: &runs,
        args: &args,
    };
    if !args.out.is_empty() {
        report::write_markdown(Path::new(&args.out), &summary)?;
        eprintln!("Recorded in {}", args.out);
    }
    let errors: u64 = runs
        .iter()
        .flat_map(|r| &r.rows)
        .map(|r| r.figures.socket_errors + r.figures.bad_status)
        .sum();
    if errors > 0 {
        bail!("{errors} requests failed during the load; see the errors column");
    }
    Ok(())
}

async fn run_backend(
    args: &Args,
    backend: &str,
    latch: &Path,
    dir: &Path,
    hash: &str,
    config: &Config,
) -> anyhow::Result<BackendRun> {
    let dir = dir.join(backend);
    std::fs::create_dir_all(&dir)?;
    let pg_name = format!("latch_bench_{}", std::process::id());
    let database_url = match backend {
        "sqlite" => format!("sqlite://{}", dir.join("latch.db").display()),
        "postgres" => seed::fresh_postgres(&args.postgres_url, &pg_name).await?,
        other => bail!("unknown backend {other:?}: use sqlite or postgres"),
    };
    let result = measure(args, backend, latch, &dir, &database_url, hash, config).await;
    if backend == "postgres" {
        seed::drop_postgres(&args.postgres_url, &pg_name).await?;
    }
    result
}

async fn measure(
    args: &Args,
    backend: &str,
    latch: &Path,
    dir: &Path,
    database_url: &str,
    hash: &str,
    config: &Config,
) -> anyhow::Result<BackendRun> {
    let port = server::free_port()?;
    let mut secret = [0u8; 32];
    rand::fill(&mut secret);
    let secret = base64::engine::general_purpose::STANDARD.encode(secret);
    let config_file = server::write_config(dir, database_url, port, &secret);
    eprintln!("[{backend}] importing {} accounts…", args.accounts);
    server::latch_command(latch, &config_file, &["migrate"])?;
    let csv = seed::accounts_csv(dir, args.accounts, hash)?;
    let csv = csv.to_string_lossy();
    server::latch_command(latch, &config_file, &["import", "csv", &csv])?;
    let store = Store::connect(database_url).await?;
    let accounts = seed::account_ids(&store).await?;
    let ids = SessionIds::new();
    let lifetime = latch::core::whole_seconds(config.session.lifetime);
    eprintln!("[{backend}] adding {} sessions…", args.sessions);
    seed::add_sessions(&store, &ids, &accounts, 0, args.sessions, lifetime).await?;
    store.close().await;

    let log = dir.join("server.log");
    let mut server = Server::start(latch, &config_file, port, &log)?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    let idle_rss = server.rss();
    let cookie_name = cookie_name();
    let sample = Sample::take(&server, &ids, &accounts, &cookie_name, args.sessions)?;

    // Measured here, with the server idle, so that it sees the same machine load as (d).
    let ceiling = seed::argon2_ceiling(hash, std::thread::available_parallelism()?.get(), 3.0)?;
    let mut rows = Vec::new();
    // The same cookies as the session check, so both cost the load generator the same.
    let hello: Vec<Req> = sample
        .cookies
        .iter()
        .map(|cookie| Req::get("/bench/hello").header("Cookie", cookie.clone()))
        .collect();
    let c = args.connections;
    let lc = args.login_connections;
    let few = args.sessions;
    let scenarios: [(&str, &[Req], usize); 8] = [
        ("g hello (ceiling)", &hello, c),
        ("a session check", &sample.status, c),
        ("h forward-auth verify", &sample.verify, c),
        ("i whoami", &sample.whoami, c),
        ("j JWT issue", &sample.token, c),
        ("b anonymous CSRF token", &[Req::get("/session/token")], c),
        ("c PATCH with CSRF token", &sample.patch, c),
        ("d login", &sample.login, lc),
    ];
    for (name, requests, connections) in scenarios {
        if !args.runs(&name[..1]) {
            continue;
        }
        eprintln!("[{backend}] {name}…");
        rows.push(run_one(
            args,
            dir,
            &server,
            name,
            requests,
            connections,
            few,
        )?);
    }
    if args.runs("e") {
        eprintln!("[{backend}] e session check during logins…");
        run_both(args, dir, &server, &sample, &mut rows)?;
    }
    sample.check_still_live(&server)?;
    if let Some(few_row) = rows.iter().find(|r| r.scenario.starts_with("a ")).cloned() {
        rows.push(Row {
            scenario: "f session check, fewer sessions".into(),
            ..few_row
        });
    }
    server.stop();
    if args.runs("f") {
        rows.push(
            many_sessions(
                args,
                backend,
                dir,
                latch,
                &config_file,
                database_url,
                &ids,
                &accounts,
                &cookie_name,
                lifetime,
                port,
            )
            .await?,
        );
    }
    if args.runs("k") {
        eprintln!("[{backend}] k logout on one node until refused on another…");
        let nodes = propagation::Nodes {
            latch,
            dir,
            database_url,
            secret: &secret,
            cookie_name: &cookie_name,
        };
        let first = args.many_sessions.max(args.sessions);
        let trials = args.propagation_trials.max(1);
        rows.push(propagation::measure(&nodes, &ids, &accounts, lifetime, first, trials).await?);
    }
    Ok(BackendRun {
        backend: backend.to_string(),
        idle_rss,
        ceiling,
        rows,
    })
}

/// (e): session checks and logins at once.
fn run_both(
    args: &Args,
    dir: &Path,
    server: &Server,
    sample: &Sample,
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    let (port, c, lc, few) = (
        server.port,
        args.connections,
        args.login_connections,
        args.sessions,
    );
    let peak = RssPeak::start(server.pid());
    let cpu = server.cpu_seconds();
    let logins = load::start(dir, "e-login", port, &sample.login, lc, 1, args.duration)?;
    let checks = load::start(
        dir,
        "e-check",
        port,
        &sample.status,
        c,
        args.threads,
        args.duration,
    )?;
    let (checks, logins) = (checks.wait()?, logins.wait()?);
    let rss = peak.finish();
    let cpu = cpu_per_request(
        server.cpu_seconds() - cpu,
        checks.requests + logins.requests,
    );
    let mut row = Row::new("e session check during logins", checks, rss, c, few);
    row.cpu_us = cpu;
    rows.push(row);
    rows.push(Row::new("e   (the logins alongside)", logins, rss, lc, few));
    Ok(())
}

/// (f): the session check again with many more sessions in the database.
#[allow(clippy::too_many_arguments)]
async fn many_sessions(
    args: &Args,
    backend: &str,
    dir: &Path,
    latch: &Path,
    config_file: &Path,
    database_url: &str,
    ids: &SessionIds,
    accounts: &[i64],
    cookie_name: &str,
    lifetime: i64,
    port: u16,
) -> anyhow::Result<Row> {
    let log = dir.join("server.log");
    eprintln!("[{backend}] adding sessions up to {}…", args.many_sessions);
    let store = Store::connect(database_url).await?;
    let many = args.many_sessions.max(args.sessions);
    seed::add_sessions(&store, ids, accounts, args.sessions, many, lifetime).await?;
    store.close().await;
    let server = Server::start(latch, config_file, port, &log)?;
    let sample = Sample::take(&server, ids, accounts, cookie_name, many)?;
    eprintln!("[{backend}] f session check with {many} sessions…");
    let name = "f session check, more sessions";
    run_one(
        args,
        dir,
        &server,
        name,
        &sample.status,
        args.connections,
        many,
    )
}

fn run_one(
    args: &Args,
    dir: &Path,
    server: &Server,
    name: &str,
    requests: &[Req],
    connections: usize,
    sessions: usize,
) -> anyhow::Result<Row> {
    let label: String = name.chars().take(1).collect();
    // Unmeasured first: the pool opens its connections and the caches fill.
    let warm_up = args.duration.clamp(1, 2);
    let port = server.port;
    load::start(
        dir,
        &label,
        port,
        requests,
        connections,
        args.threads,
        warm_up,
    )?
    .wait()?;
    let peak = RssPeak::start(server.pid());
    let cpu = server.cpu_seconds();
    let running = load::start(
        dir,
        &label,
        server.port,
        requests,
        connections,
        args.threads,
        args.duration,
    )?;
    let figures: Figures = running.wait()?;
    let mut row = Row::new(name, figures, peak.finish(), connections, sessions);
    row.cpu_us = cpu_per_request(server.cpu_seconds() - cpu, figures.requests);
    Ok(row)
}

/// The server's CPU time per request, in microseconds.
fn cpu_per_request(seconds: f64, requests: u64) -> f64 {
    seconds * 1e6 / requests.max(1) as f64
}

/// The session cookie's name, from a real login.
/// The session cookie name the server gives its clients here, found as it finds it rather
/// than by logging in: a login would leave a hashing thread's Argon2 memory in the server for
/// the scenarios measured without Argon2.
fn cookie_name() -> String {
    latch::http::drupal_name("127.0.0.1", false)
}
