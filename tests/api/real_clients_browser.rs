//! axios in headless Chromium, with credentials, driving each dialect's whole sequence from a
//! page of another origin: a single-page app's dev server beside the API, so CORS and, for the
//! Django dialect, Django's own origin list. The page is `tests/clients/browser_axios.html`.

use std::path::Path;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use latch::config::{Origin, OriginPattern};
use tokio::process::Command;

use crate::helpers::{skip, spawn_app_with};
use crate::real_clients::{check_lines, clients_dir, node_ready, succeeds};

/// Whether Chromium and the page's axios are there; says why not otherwise.
async fn browser_ready(dir: &Path) -> bool {
    if !node_ready(dir).await {
        return false;
    }
    if !succeeds("chromium", &["--version"], dir).await {
        skip("the real-client suite needs Chromium (apt-get install chromium)");
        return false;
    }
    true
}

/// The page at `/page` and the axios it loads.
fn page_routes(dir: &Path) -> Router {
    let html = std::fs::read_to_string(dir.join("browser_axios.html")).unwrap();
    let axios = std::fs::read_to_string(dir.join("node_modules/axios/dist/axios.min.js")).unwrap();
    Router::new()
        .route("/page", get(move || async move { Html(html) }))
        .route(
            "/axios.min.js",
            get(move || async move { ([("content-type", "text/javascript")], axios) }),
        )
}

/// Serves `router` on a free port; its origin.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, router).await });
    origin
}

/// Opens the page in headless Chromium against `api` and checks its lines.
async fn run_page(page_origin: &str, api: &str) {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            &format!("--user-data-dir={}", profile.path().display()),
            "--virtual-time-budget=60000",
            "--dump-dom",
            &format!("{page_origin}/page?api={api}"),
        ])
        .output()
        .await
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&output.stdout);
    let results = dom
        .split("<pre id=\"results\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_default();
    check_lines(results, &dom, 1);
}

#[tokio::test]
async fn axios_in_headless_chromium_on_another_origin_does_every_dialects_sequence() {
    let dir = clients_dir();
    if !browser_ready(&dir).await {
        return;
    }
    let page_origin = serve(page_routes(&dir)).await;
    let origin: Origin = page_origin.parse().unwrap();
    // CORS for the page, and Django's own origin list, as a real Django deployment needs both.
    let app = spawn_app_with(|c| {
        c.http.cors_origins = vec![origin.clone()];
        c.django.trusted_origins = vec![OriginPattern::Exact(origin)];
    })
    .await;
    run_page(&page_origin, &app.url("")).await;
}
