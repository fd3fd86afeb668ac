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

#[test]
fn stray_latch_variables_are_ignored_with_one_warning_naming_them() {
    use std::io::Write;
    use std::process::Stdio;

    let site = Site::with_config("");
    let mut child = site
        .command(
            &[
                "user",
                "add",
                "carol",
                "--mail",
                "carol@example.com",
                "--password-stdin",
            ],
            true,
        )
        .envs([
            ("LATCH_MAIL", "carol@example.com"),
            ("LATCH_SESSION__IDLE_TIMOUT", "5"),
            ("LATCH_WHATEVER", "1"),
            ("LATCH_SESSION__IDLE_TIMEOUT", "15m"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start latch");
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(b"carol's pass phrase\n");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("name no setting").count(),
        1,
        "one warning: {stderr}"
    );
    let warning = stderr
        .lines()
        .find(|l| l.contains("name no setting"))
        .unwrap();
    for name in ["LATCH_MAIL", "LATCH_SESSION__IDLE_TIMOUT", "LATCH_WHATEVER"] {
        assert!(warning.contains(name), "{warning}");
    }
    // Settings and the variables latch itself reads are no strays.
    for name in [
        "LATCH_SESSION__IDLE_TIMEOUT,",
        "LATCH_PASSWORD__",
        "LATCH_LOG",
        "LATCH_CONFIG",
    ] {
        assert!(!warning.contains(name), "{warning}");
    }

    // A known variable with a bad value still stops the command.
    let output = site
        .command(&["user", "list"], true)
        .env("LATCH_SESSION__IDLE_TIMEOUT", "soon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
