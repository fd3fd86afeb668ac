//! Real clients on the Laravel dialect: axios in Node with a cookie jar, and axios in headless
//! Chromium configured as Laravel's documentation tells a Sanctum SPA, on a page of another
//! origin, driven through chromedriver (`tests/clients/sanctum_axios.mjs`,
//! `tests/clients/sanctum_spa.html`).

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use latch::config::{LaravelStack, Origin};
use tokio::process::Command;

use crate::django_browser::Driver;
use crate::helpers::{skip, spawn_app_with};
use crate::real_clients::{clients_dir, node_ready, succeeds};

/// The `PASS`/`FAIL` lines of `text`; asserts there are `expected` and none failed.
fn check(text: &str, context: &str, expected: usize) {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL "))
        .collect();
    for line in &lines {
        println!("{line}");
    }
    assert_eq!(lines.len(), expected, "{text}{context}");
    assert!(
        lines.iter().all(|l| l.starts_with("PASS ")),
        "{lines:#?}\n{context}"
    );
}

#[tokio::test]
async fn node_axios_with_a_cookie_jar_runs_the_sanctum_flow_on_both_stacks() {
    let dir = clients_dir();
    if !node_ready(&dir).await {
        return;
    }
    for (stack, name) in [
        (LaravelStack::Fortify, "fortify"),
        (LaravelStack::Breeze, "breeze"),
    ] {
        let app = spawn_app_with(|c| c.laravel.stack = stack).await;
        let output = Command::new("node")
            .arg(dir.join("sanctum_axios.mjs"))
            .arg(app.url(""))
            .arg("http://localhost:3000")
            .arg(name)
            .output()
            .await
            .expect("run node");
        let stdout = String::from_utf8_lossy(&output.stdout);
        check(&stdout, &String::from_utf8_lossy(&output.stderr), 2);
        assert!(output.status.success());
    }
}

#[tokio::test]
async fn axios_in_chromium_runs_the_sanctum_flow_as_a_laravel_spa_does() {
    let dir = clients_dir();
    if !node_ready(&dir).await {
        return;
    }
    if !succeeds("chromedriver", &["--version"], &dir).await {
        skip(
            "the Sanctum browser test needs Chromium and chromedriver (apt-get install \
             chromium chromium-driver)",
        );
        return;
    }
    let html = std::fs::read_to_string(dir.join("sanctum_spa.html")).unwrap();
    let axios = std::fs::read_to_string(dir.join("node_modules/axios/dist/axios.min.js")).unwrap();
    let pages = Router::new()
        .route("/page", get(move || async move { Html(html) }))
        .route(
            "/axios.min.js",
            get(move || async move { ([("content-type", "text/javascript")], axios) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page_host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, pages).await });
    let page_origin = format!("http://{page_host}");
    let origin: Origin = page_origin.parse().unwrap();
    // As a Laravel API beside its SPA's dev server: CORS for the page and its host stateful.
    let app = spawn_app_with(|c| {
        c.http.cors_origins = vec![origin.clone()];
        c.laravel.stateful = vec![page_host.clone()];
    })
    .await;
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(profile.path()).await;
    driver
        .open(&format!(
            "{page_origin}/page?api={}&stack=fortify",
            app.url("")
        ))
        .await;
    // The page sets its title when its last request has been answered.
    let title = driver.wait_for_title("done").await;
    let results = driver.text("#results").await;
    driver.quit().await;
    assert_eq!(title, "done", "{results}");
    check(&results, "", 1);
}
