//! `latch-bench`: starts the release `latch` binary on a fresh database, drives it over
//! loopback with wrk, and prints (and records in BENCHMARKS.md) requests per second, latency
//! percentiles and server memory for each scenario, on SQLite and on PostgreSQL.
//!
//! Run it through `scripts/bench`, which installs wrk and builds both binaries first.
#![forbid(unsafe_code)]

mod load;
mod propagation;
mod report;
mod sample;
mod scenarios;
mod seed;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

#[derive(Parser, Clone)]
#[command(name = "latch-bench", about = "Benchmark latch over loopback with wrk")]
pub struct Args {
    /// Accounts in the database.
    #[arg(long, default_value_t = 1000)]
    accounts: usize,
    /// Live sessions for every scenario but the large-database one.
    #[arg(long, default_value_t = 1000)]
    sessions: usize,
    /// Live sessions in the large-database scenario.
    #[arg(long, default_value_t = 1_000_000)]
    many_sessions: usize,
    /// Seconds each scenario runs.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Concurrent connections for the session, token and update scenarios.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Concurrent connections for the login scenarios.
    #[arg(long, default_value_t = 8)]
    login_connections: usize,
    /// Logouts timed in the propagation scenario (k).
    #[arg(long, default_value_t = 1000)]
    propagation_trials: usize,
    /// wrk threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Backends to measure: sqlite, postgres or both.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
    /// A PostgreSQL database to connect to as an administrator; the benchmark creates and
    /// drops a database of its own beside it.
    #[arg(
        long,
        env = "LATCH_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres_url: String,
    /// The latch binary to measure (by default the one beside this program).
    #[arg(long)]
    latch: Option<PathBuf>,
    /// Where to write the table; empty to write none.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: String,
    /// Run only the scenarios with these letters (e.g. a,g); all by default.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// A note on the conditions, recorded with the table.
    #[arg(long, default_value = "")]
    note: String,
}

impl Args {
    /// Whether scenario `letter` is to run.
    fn runs(&self, letter: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == letter)
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("latch-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scenarios::run_all(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latch-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
