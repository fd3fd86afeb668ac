//! The contract test: schemathesis generates requests for every operation of
//! `/openapi.json`, valid and invalid, and checks each answer against the description: no
//! 5xx, and a documented status, content type, headers and body.

use tokio::process::Command;

use crate::helpers::{skip, spawn_app_with};

/// Requests per operation and phase; `LATCH_CONTRACT_EXAMPLES` raises it for a longer run.
const EXAMPLES: &str = "20";

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";

#[tokio::test]
async fn every_operation_answers_as_described() {
    let app = spawn_app_with(|config| {
        // Generated logins fail by the hundred; flood blocks are described, but they would
        // hide the answers behind them.
        config.flood.enabled = false;
    })
    .await;
    // Somebody to be found, so that generated names sometimes meet an account.
    app.create_account("admin", "correct horse battery", &["administrator"])
        .await;
    let examples = std::env::var("LATCH_CONTRACT_EXAMPLES").unwrap_or_else(|_| EXAMPLES.into());
    let output = Command::new("schemathesis")
        .current_dir(app.dir.path())
        .env("NO_COLOR", "1")
        .args([
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
        .output()
        .await;
    let output = match output {
        Ok(output) => output,
        Err(_) => {
            return skip(
                "the contract test: schemathesis is needed (scripts/test installs it from PyPI)",
            );
        }
    };
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found answers that break the description:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A run that tested nothing would pass too.
    assert!(
        report.contains("passed") && !report.contains("No operations"),
        "{report}"
    );
}
