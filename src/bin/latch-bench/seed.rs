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

/// Password checks per second that the Argon2 cost alone allows, on every core at once.
pub async fn argon2_ceiling(
    config: &PasswordConfig,
    hash: &str,
    cores: usize,
    seconds: f64,
) -> anyhow::Result<f64> {
    let mut config = config.clone();
    config.max_concurrent_hashes = cores;
    config.max_queued_hashes = cores;
    let passwords = Passwords::new(&config)?;
    let password = SecretString::from(PASSWORD);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let workers = (0..cores).map(|_| {
        let (passwords, password, hash) = (passwords.clone(), password.clone(), hash.to_string());
        tokio::spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                passwords.verify(&password, Some(&hash)).await?;
                done += 1;
            }
            anyhow::Ok(done)
        })
    });
    let mut total = 0;
    for worker in workers.collect::<Vec<_>>() {
        total += worker.await??;
    }
    Ok(total as f64 / start.elapsed().as_secs_f64())
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
