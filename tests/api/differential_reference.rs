//! The reference Django project of the differential tests (`tests/django_reference/`), run
//! on a fresh SQLite database with the seeded accounts.
//!
//! It runs in the virtual environment `tests/django_reference/.venv` (`.ci/run` and
//! `scripts/test` install it from `requirements.txt`), or under the Python named by
//! `LATCH_DJANGO_REFERENCE_PYTHON`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The reference server, stopped when dropped.
pub(crate) struct Reference {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/django_reference")
}

pub(crate) fn python() -> Option<PathBuf> {
    if let Ok(python) = std::env::var("LATCH_DJANGO_REFERENCE_PYTHON") {
        return Some(PathBuf::from(python));
    }
    let venv = project().join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// What the test says when there is no reference environment.
pub(crate) const NO_REFERENCE: &str = "the Django differential test: no reference project \
     environment (python3 -m venv tests/django_reference/.venv && \
     tests/django_reference/.venv/bin/pip install -r tests/django_reference/requirements.txt; \
     .ci/run does it)";

fn manage(python: &Path, db: &Path, envs: &[(&str, &str)], args: &[&str]) {
    let status = Command::new(python)
        .arg(project().join("manage.py"))
        .args(args)
        .env("REFERENCE_DB", db)
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .status()
        .expect("python");
    assert!(status.success(), "manage.py {args:?} failed");
}

pub(crate) async fn start_reference(python: &Path, dir: &Path) -> Reference {
    start_reference_with(python, dir, None).await
}

/// The reference with the seeded accounts, and with `totp_secret` (base32) also the account
/// `totp` whose second factor is TOTP with that secret.
pub(crate) async fn start_reference_with(
    python: &Path,
    dir: &Path,
    totp_secret: Option<&str>,
) -> Reference {
    let db = dir.join("reference.sqlite3");
    manage(python, &db, &[], &["migrate", "--noinput"]);
    let seed = std::fs::read_to_string(project().join("reference/seed.py")).unwrap();
    let envs: Vec<(&str, &str)> = totp_secret
        .map(|s| ("REFERENCE_TOTP_SECRET", s))
        .into_iter()
        .collect();
    manage(python, &db, &envs, &["shell", "-c", &seed]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(python)
        .arg(project().join("manage.py"))
        .args(["runserver", &format!("127.0.0.1:{port}"), "--noreload"])
        .env("REFERENCE_DB", &db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python");
    let reference = Reference {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return reference;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the reference server did not start");
}
