//! A PostgreSQL cluster of the test's own, on a free port, so it can be stopped, restarted
//! and filled up without touching the machine's shared server.

use std::path::PathBuf;

use sqlx::Connection;

use crate::support::{checked, free_port, postgres_command};

pub struct PrivatePostgres {
    /// Where `initdb` and `pg_ctl` are.
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
}

/// The directory of PostgreSQL's server programs: on `PATH`, or where Debian installs them.
fn server_programs() -> Result<PathBuf, String> {
    let complete = |dir: &PathBuf| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")));
    on_path
        .into_iter()
        .chain(debian)
        .find(complete)
        .ok_or_else(|| {
            "initdb, pg_ctl and postgres (PostgreSQL's server programs) are not on PATH nor under \
         /usr/lib/postgresql: install PostgreSQL's server package"
                .to_string()
        })
}

impl PrivatePostgres {
    /// Creates and starts a cluster; `Err` names what is missing where it cannot.
    pub fn start() -> Result<Self, String> {
        let bin = server_programs()?;
        let dir = PathBuf::from(checked(postgres_command("mktemp").arg("-d")).trim());
        let pg = PrivatePostgres {
            bin,
            dir,
            port: free_port(),
        };
        checked(
            postgres_command(&pg.program("initdb"))
                .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
                .arg(pg.dir.join("data")),
        );
        pg.run();
        Ok(pg)
    }

    fn program(&self, name: &str) -> String {
        self.bin.join(name).display().to_string()
    }

    /// The URL of database `name` in this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    fn pg_ctl(&self, mode: &str, action: &str) -> std::process::Output {
        // fsync off: these tests kill latch, never PostgreSQL, and must stay quick.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB",
            self.port,
            self.dir.display()
        );
        postgres_command(&self.program("pg_ctl"))
            .args(["-w", "-m", mode, "-D"])
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-o", &options, action])
            .output()
            .expect("run pg_ctl")
    }

    pub fn run(&self) {
        let output = self.pg_ctl("fast", "start");
        assert!(output.status.success(), "pg_ctl start: {}", self.log());
    }

    /// A fast shutdown: open connections are closed, as when an operator restarts the server.
    pub fn stop(&self) {
        let output = self.pg_ctl("fast", "stop");
        assert!(
            output.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Runs `statements` on database `database`.
    pub async fn execute(&self, database: &str, statements: &str) {
        let mut conn = sqlx::PgConnection::connect(&self.url(database))
            .await
            .expect("connect to the private PostgreSQL");
        sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_string()))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statements}: {e}"));
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl("immediate", "stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
