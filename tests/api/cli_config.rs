//! Typed settings as the operator writes them: durations with units, proxy networks, and
//! errors that say which key, which value and where it was set.

use crate::cli::Site;
use crate::process::free_port;

#[tokio::test]
async fn serve_takes_durations_with_units_and_proxy_networks_from_the_file_and_environment() {
    let site = Site::with_config(
        "public_url = \"https://login.example.com\"\n\
         [session]\nidle_timeout = \"15m\"\nlifetime = \"7d\"\n\
         [http]\nrequest_timeout = \"45s\"\nhsts_max_age = \"1d\"\n\
         trusted_proxies = [\"127.0.0.0/8\", \"::1\"]\n\
         [audit]\nretain_days = \"36h\"\n",
    );
    let port = free_port();
    let env = [
        ("LATCH_MAIL__POLL_INTERVAL", "250ms"),
        ("LATCH_FLOOD__IP_WINDOW", "2h"),
    ];
    let mut server = site.serve(&["--listen", &format!("127.0.0.1:{port}")], &env, true);
    server.ready(port).await;
    let response = reqwest::get(format!("http://127.0.0.1:{port}/session/token"))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=86400",
        "http.hsts_max_age = \"1d\" is a day in seconds"
    );
}

#[test]
fn config_errors_about_durations_and_proxies_name_the_key_the_value_and_its_source() {
    let site = Site::with_config("");
    let run = |env: &[(&str, &str)]| {
        let output = site
            .command(&["user", "list"], true)
            .envs(env.iter().copied())
            .output()
            .expect("run latch");
        assert_eq!(output.status.code(), Some(2), "latch user list {env:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let err = run(&[("LATCH_HTTP__TRUSTED_PROXIES", "[10.0.0.0/8, proxy.lan]")]);
    assert!(
        err.contains("http.trusted_proxies: \"proxy.lan\" is not an address or network")
            && err.contains("(in the environment variable LATCH_HTTP__TRUSTED_PROXIES)"),
        "{err}"
    );
    let err = run(&[("LATCH_SESSION__LIFETIME", "1.5d")]);
    assert!(
        err.contains("session.lifetime: \"1.5d\" is not a length of time")
            && err.contains("(in the environment variable LATCH_SESSION__LIFETIME)"),
        "{err}"
    );
    let err = run(&[("LATCH_MAIL__CLAIM_TIMEOUT", "20s")]);
    assert!(
        err.contains("mail.claim_timeout (20 s) must be longer than mail.smtp.timeout (30 s)")
            && err.contains("(in the environment variable LATCH_MAIL__CLAIM_TIMEOUT)"),
        "{err}"
    );
    // The operator set only the SMTP timeout; the claim it now outlasts is latch's default.
    let err = run(&[("LATCH_MAIL__SMTP__TIMEOUT", "10m")]);
    assert!(
        err.contains("mail.claim_timeout (300 s) must be longer than mail.smtp.timeout (600 s)")
            && err.contains("(built-in default)"),
        "{err}"
    );
}
