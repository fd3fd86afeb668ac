//! The data under test: accounts imported through `latch import csv`, and live sessions
//! written in bulk in the store's own format (a 256-bit id, stored as its SHA-256 hash, with a
//! fresh CSRF seed), since opening a million sessions by logging in would take hours of
//! password hashing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latch::config::PasswordConfig;
use latch::core::csrf::new_seed;
use latch::core::passwords::Passwords;
use latch::core::sessions::hash_session_id;
use latch::store::Store;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

pub const PASSWORD: &str = "correct horse battery staple";

pub fn account_name(index: usize) -> String {
    format!("bench{index}")
}

/// A hash of [`PASSWORD`] at the configured cost, shared by every account: each check of it
/// costs what checking any account's own hash would.
pub async fn password_hash(config: &PasswordConfig) -> anyhow::Result<String> {
    let passwords = Passwords::new(config)?;
    Ok(passwords.hash(&SecretString::from(PASSWORD)).await?)
}

/// Password checks per second that the Argon2 cost alone allows: one plain thread per core
/// computing the hash's function at its parameters, at normal priority, each in memory it
/// allocates once, so that neither the allocator nor page faults count.
pub fn argon2_ceiling(hash: &str, cores: usize, seconds: f64) -> anyhow::Result<Ceiling> {
    use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
    let parsed = PasswordHash::new(hash).map_err(|e| anyhow::anyhow!("{e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let totals = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                scope.spawn(|| {
                    let mut blocks = vec![Block::default(); params.block_count()];
                    let mut out = [0u8; 32];
                    let mut done = 0u64;
                    let cpu_start = thread_cpu_ns();
                    while Instant::now() < deadline {
                        let salt = b"latch-bench-salt";
                        let ok = argon2.hash_password_into_with_memory(
                            PASSWORD.as_bytes(),
                            salt,
                            &mut out,
                            &mut blocks,
                        );
                        done += u64::from(ok.is_ok());
                    }
                    (done, thread_cpu_ns().saturating_sub(cpu_start))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or((0, 0)))
            .collect::<Vec<_>>()
    });
    let done: u64 = totals.iter().map(|t| t.0).sum();
    let cpu_ns: u64 = totals.iter().map(|t| t.1).sum();
    let wall = done as f64 / start.elapsed().as_secs_f64();
    let per_hash = cpu_ns as f64 / done.max(1) as f64 / 1e9;
    Ok(Ceiling {
        wall,
        cpu: cores as f64 / per_hash,
        per_hash_ms: per_hash * 1e3,
    })
}

/// What Argon2 alone allows: measured per second of wall-clock time (the machine as it is,
/// shared), and derived from the CPU time each check took (the cores if they were free).
#[derive(Clone, Copy, Debug, Default)]
pub struct Ceiling {
    pub wall: f64,
    pub cpu: f64,
    pub per_hash_ms: f64,
}

/// Nanoseconds this thread has run on a CPU, from /proc (0 where unavailable).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// A CSV file of `count` active accounts for `latch import csv`.
pub fn accounts_csv(dir: &Path, count: usize, hash: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join("accounts.csv");
    let mut text = String::from("name,mail,hash,status\n");
    for i in 0..count {
        let name = account_name(i);
        text.push_str(&format!("{name},{name}@example.com,\"{hash}\",active\n"));
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

/// The session ids the benchmark owns: derived from a run key, so a sample can be rebuilt
/// without keeping a million ids in memory.
pub struct SessionIds {
    key: [u8; 32],
}

impl SessionIds {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Self { key }
    }

    /// The cookie value of session `index`, in the format latch hands out.
    pub fn id(&self, index: usize) -> String {
        let mut digest = Sha256::new();
        digest.update(self.key);
        digest.update((index as u64).to_le_bytes());
        URL_SAFE_NO_PAD.encode(digest.finalize())
    }
}

/// The accounts' ids, in the order they were imported.
pub async fn account_ids(store: &Store) -> anyhow::Result<Vec<i64>> {
    let sql = "SELECT id FROM accounts ORDER BY id";
    Ok(match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await?,
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await?,
    })
}

/// Adds sessions `from..to`, session `i` belonging to account `i % accounts`, in one
/// transaction of multi-row inserts.
pub async fn add_sessions(
    store: &Store,
    ids: &SessionIds,
    accounts: &[i64],
    from: usize,
    to: usize,
    lifetime: i64,
) -> anyhow::Result<()> {
    const BATCH: usize = 1000;
    let now = latch::core::now();
    macro_rules! insert {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await?;
            for start in (from..to).step_by(BATCH) {
                let mut query = sqlx::QueryBuilder::new(
                    "INSERT INTO sessions (id_hash, account_id, csrf_seed, created_at, \
                     last_seen_at, expires_at, client_ip) ",
                );
                query.push_values(start..(start + BATCH).min(to), |mut row, i| {
                    row.push_bind(hash_session_id(&ids.id(i)))
                        .push_bind(accounts[i % accounts.len()])
                        .push_bind(new_seed())
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(now + lifetime)
                        .push_bind("127.0.0.1");
                });
                query.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }};
    }
    match store {
        Store::Sqlite(pool) => insert!(pool),
        Store::Postgres(pool) => insert!(pool),
    }
    Ok(())
}

/// Creates an empty PostgreSQL database for one run (dropping a leftover one) and returns
/// its URL.
pub async fn fresh_postgres(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let admin = sqlx::PgPool::connect(admin_url).await?;
    sqlx::query(drop_database(name)).execute(&admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await?;
    admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

pub async fn drop_postgres(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = sqlx::PgPool::connect(admin_url).await?;
    sqlx::query(drop_database(name)).execute(&admin).await?;
    admin.close().await;
    Ok(())
}

/// `name` is the benchmark's own, made of letters, digits and `_`.
fn drop_database(name: &str) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
}
