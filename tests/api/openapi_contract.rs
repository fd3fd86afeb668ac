//! The contract test: schemathesis generates requests for every operation of
//! `/openapi.json`, valid and invalid, and checks each answer against the description: no
//! 5xx, and a documented status, content type, headers and body. It runs once as an
//! anonymous caller and once with an administrator's session in every form latch reads.

use tokio::process::Command;

use crate::helpers::{TestApp, new_client, skip, spawn_app_with};

/// Requests per operation and phase; `LATCH_CONTRACT_EXAMPLES` raises it for a longer run.
const EXAMPLES: &str = "20";

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

/// Runs schemathesis with `extra` arguments: `None` when it is not installed, else whether it
/// passed and its report.
async fn schemathesis(app: &TestApp, extra: &[String]) -> Option<(bool, String)> {
    let examples = std::env::var("LATCH_CONTRACT_EXAMPLES").unwrap_or_else(|_| EXAMPLES.into());
    // Through the interpreter scripts/test installs it into, wherever pip puts its scripts.
    let output = Command::new("python3")
        .current_dir(app.dir.path())
        .env("NO_COLOR", "1")
        .args([
            "-m",
            "schemathesis.cli",
            "run",
            &app.url("/openapi.json"),
            "--checks",
            CHECKS,
            "--max-examples",
            &examples,
            "--workers",
            "1",
            "--seed",
            "20",
            "--max-redirects",
            "0",
            "--generation-database",
            "none",
            "--suppress-health-check",
            "all",
            "--request-timeout",
            "30",
            "--no-color",
        ])
        .args(extra)
        .output()
        .await
        .ok()?;
    if String::from_utf8_lossy(&output.stderr).contains("No module named 'schemathesis") {
        return None;
    }
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.status.success(), report))
}

async fn contract_app() -> TestApp {
    spawn_app_with(|config| {
        // Generated logins fail by the hundred; flood blocks are described, but they would
        // hide the answers behind them.
        config.flood.enabled = false;
    })
    .await
}

fn assert_passed(outcome: (bool, String)) {
    let (passed, report) = outcome;
    // Shown with --nocapture: which operations ran and what schemathesis warns about.
    eprintln!("{report}");
    assert!(
        passed,
        "schemathesis found answers that break the description:\n{report}"
    );
    // A run that tested nothing would pass too.
    assert!(
        report.contains("passed") && !report.contains("No operations"),
        "{report}"
    );
}

const MISSING: &str =
    "the contract test: schemathesis is needed (scripts/test installs it from PyPI)";

#[tokio::test]
async fn every_operation_answers_as_described() {
    let app = contract_app().await;
    // Somebody to be found, so that generated names sometimes meet an account.
    app.create_account("admin", "correct horse battery", &["administrator"])
        .await;
    match schemathesis(&app, &[]).await {
        Some(outcome) => assert_passed(outcome),
        None => skip(MISSING),
    }
}

#[tokio::test]
async fn every_operation_answers_a_logged_in_administrator_as_described() {
    let app = contract_app().await;
    app.create_account("admin", "correct horse battery", &["administrator"])
        .await;
    let client = new_client();
    let response = app.login(&client, "admin", "correct horse battery").await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let session_id = cookie.split_once('=').unwrap().1.to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    let csrf_token = body["csrf_token"].as_str().unwrap().to_string();
    let headers = [
        format!("Cookie: {cookie}; sessionid={session_id}"),
        format!("X-Session-Token: {session_id}"),
        format!("X-CSRF-Token: {csrf_token}"),
    ];
    let mut extra = Vec::new();
    for header in headers {
        extra.push("-H".to_string());
        extra.push(header);
    }
    // Logging out or in again would end the session the rest of the run needs.
    extra.push("--exclude-operation-id-regex".into());
    extra.push("log(in|out)|session_(create|destroy)|reset_(login|set_password)".into());
    match schemathesis(&app, &extra).await {
        Some(outcome) => assert_passed(outcome),
        None => skip(MISSING),
    }
}
