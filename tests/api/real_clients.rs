//! Real third-party HTTP clients, used as their documentation says to use them against a real
//! Drupal or Django site, driving each dialect's whole sequence (token, register, login,
//! status, an authenticated call, logout) against a live server: Python's requests and httpx,
//! axios with a tough-cookie jar in Node, Postman's runner newman on a collection, PHP's curl
//! extension, and Java's own `HttpClient` with a `CookieManager`; axios in a browser is in
//! `real_clients_browser.rs`.
//! The scripts live in `tests/clients/` and print one `PASS` or `FAIL` line per client and
//! dialect.

use std::path::{Path, PathBuf};
use std::process::Output;

use tokio::process::Command;

use crate::helpers::{skip, spawn_app};

/// The dialects each script drives: `services-q` is the Drupal 7 one through `?q=` paths.
const DIALECTS: usize = 5;

pub(crate) fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

pub(crate) async fn succeeds(program: &str, args: &[&str], dir: &Path) -> bool {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .await
        .is_ok_and(|o| o.status.success())
}

/// Echoes the script's lines and checks that `clients` × every dialect passed.
fn check(output: &Output, clients: usize) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    check_lines(&stdout, &stderr, clients);
    assert!(output.status.success(), "{stdout}{stderr}");
}

pub(crate) fn check_lines(text: &str, context: &str, clients: usize) {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL "))
        .collect();
    for line in &lines {
        println!("{line}");
    }
    assert_eq!(lines.len(), clients * DIALECTS, "{text}{context}");
    let failed: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FAIL ")).collect();
    assert!(failed.is_empty(), "{failed:#?}\n{context}");
}

#[tokio::test]
async fn python_requests_and_httpx_do_every_dialects_sequence() {
    let dir = clients_dir();
    if !succeeds("python3", &["-c", "import requests, httpx"], &dir).await {
        skip(
            "the real-client suite needs python3 with requests and httpx (scripts/test installs them)",
        );
        return;
    }
    let app = spawn_app().await;
    let output = Command::new("python3")
        .arg(dir.join("python_clients.py"))
        .arg(app.url("/"))
        .output()
        .await
        .expect("run python3");
    check(&output, 2);
}

/// Whether node and the pinned packages of `package-lock.json` are there, running `npm ci`
/// once per checkout; says why not otherwise.
pub(crate) async fn node_ready(dir: &Path) -> bool {
    if !succeeds("node", &["--version"], dir).await || !succeeds("npm", &["--version"], dir).await {
        skip("the real-client suite needs Node.js and npm (apt-get install nodejs npm)");
        return false;
    }
    // Tests run in parallel, and npm ci starts by deleting node_modules: one at a time.
    static NPM: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = NPM.lock().await;
    let installed = ["axios-cookiejar-support", "newman"]
        .iter()
        .all(|package| dir.join("node_modules").join(package).exists());
    if !installed && !succeeds("npm", &["ci", "--no-audit", "--no-fund"], dir).await {
        skip("npm ci failed in tests/clients: the pinned packages could not be installed");
        return false;
    }
    true
}

async fn run_node_script(script: &str, clients: usize) {
    let dir = clients_dir();
    if !node_ready(&dir).await {
        return;
    }
    let app = spawn_app().await;
    let output = Command::new("node")
        .arg(dir.join(script))
        .arg(app.url("/"))
        .output()
        .await
        .expect("run node");
    check(&output, clients);
}

#[tokio::test]
async fn node_axios_with_a_cookie_jar_does_every_dialects_sequence() {
    run_node_script("axios_clients.mjs", 1).await;
}

#[tokio::test]
async fn newman_runs_a_postman_collection_of_every_dialects_sequence() {
    run_node_script("newman_clients.mjs", 1).await;
}

#[tokio::test]
async fn java_httpclient_with_a_cookie_manager_does_every_dialects_sequence() {
    let dir = clients_dir();
    // Running a source file needs a JDK's compiler, not just a runtime.
    if !succeeds("javac", &["-version"], &dir).await {
        skip(
            "the real-client suite needs a JDK 11 or later (apt-get install default-jdk-headless)",
        );
        return;
    }
    let app = spawn_app().await;
    let output = Command::new("java")
        .arg(dir.join("JavaClients.java"))
        .arg(app.url("/"))
        .output()
        .await
        .expect("run java");
    check(&output, 1);
}

#[tokio::test]
async fn php_curl_and_guzzle_with_cookie_jars_do_every_dialects_sequence() {
    let dir = clients_dir();
    let curl = ["-r", "exit(function_exists('curl_init') ? 0 : 1);"];
    if !succeeds("php", &curl, &dir).await {
        skip("the real-client suite needs PHP with curl (apt-get install php-cli php-curl)");
        return;
    }
    let guzzle = [
        "-r",
        "exit(is_file('/usr/share/php/GuzzleHttp/autoload.php') ? 0 : 1);",
    ];
    let clients = if succeeds("php", &guzzle, &dir).await {
        2
    } else {
        skip("the real-client suite needs Guzzle (apt-get install php-guzzlehttp-guzzle)");
        1
    };
    let app = spawn_app().await;
    let mut command = Command::new("php");
    command.arg(dir.join("php_clients.php")).arg(app.url("/"));
    if clients == 2 {
        command.arg("--guzzle");
    }
    let output = command.output().await.expect("run php");
    check(&output, clients);
}
