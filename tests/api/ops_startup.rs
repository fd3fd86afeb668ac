//! Start-up failures say what failed, where and why, once, and end the process with a
//! failure status in good time.

use std::time::{Duration, Instant};

use crate::cli::Site;
use crate::process::{free_port, latch_command};

/// Runs `latch ARGS`, which must fail within 15 s: its stderr.
fn fails_quickly(args: &[&str], dir: &std::path::Path) -> String {
    let started = Instant::now();
    let output = latch_command(dir).args(args).output().expect("run latch");
    let took = started.elapsed();
    assert!(!output.status.success(), "latch {args:?} succeeded");
    assert!(
        took < Duration::from_secs(15),
        "latch {args:?} took {took:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn an_unreachable_postgresql_server_is_named_with_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("postgres://latch@127.0.0.1:{port}/latch");
    let err = fails_quickly(
        &["--database", &url, "serve", "--listen", "127.0.0.1:0"],
        dir.path(),
    );
    let address = format!("127.0.0.1:{port}");
    assert_eq!(err.matches(&address).count(), 1, "{err}");
    assert!(err.contains("PostgreSQL"), "{err}");
    assert_eq!(err.matches("Connection refused").count(), 1, "{err}");
    assert!(!err.contains("pool timed out"), "{err}");
}

#[test]
fn a_sqlite_file_that_cannot_be_opened_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("missing-directory").join("latch.db");
    let url = format!("sqlite://{}", file.display());
    let err = fails_quickly(
        &["--database", &url, "serve", "--listen", "127.0.0.1:0"],
        dir.path(),
    );
    let path = file.display().to_string();
    assert_eq!(err.matches(&path).count(), 1, "{err}");
    assert_eq!(
        err.matches("unable to open database file").count(),
        1,
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_listen_address_in_use_is_named_with_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let database = format!("sqlite://{}", dir.path().join("latch.db").display());
    let err = fails_quickly(
        &["--database", &database, "serve", "--listen", &address],
        dir.path(),
    );
    assert_eq!(err.matches(&address).count(), 1, "{err}");
    assert_eq!(err.matches("Address already in use").count(), 1, "{err}");

    let metrics = ("LATCH_METRICS__LISTEN", address.as_str());
    let started = Instant::now();
    let output = latch_command(dir.path())
        .args(["--database", &database, "serve", "--listen", "127.0.0.1:0"])
        .env(metrics.0, metrics.1)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(started.elapsed() < Duration::from_secs(15));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains(&format!("cannot listen on {address} (metrics.listen)")),
        "{err}"
    );
    assert_eq!(err.matches("Address already in use").count(), 1, "{err}");
}

#[test]
fn a_metrics_listener_on_the_public_address_is_refused_naming_the_key_and_the_file() {
    let site =
        Site::with_config("listen = \"127.0.0.1:8181\"\n[metrics]\nlisten = \"0.0.0.0:8181\"\n");
    let output = site.command(&["serve"], true).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("metrics.listen = \"0.0.0.0:8181\" is the address of the public listener")
            && err.contains("(in the file "),
        "{err}"
    );
}
