//! Delivery over TLS to a real SMTP server on loopback with certificates made for the test:
//! STARTTLS and implicit TLS reach a server whose certificate `mail.smtp.ca_file` trusts, AUTH
//! goes over the encrypted connection, and a certificate latch does not trust stops the
//! delivery without a byte of the message going out in plaintext.

use std::time::{Duration, Instant};

use latch::config::{ConfigSecret, SmtpTls};
use latch::store::QueuedMail;

use crate::helpers::{TestApp, TestDatabase, spawn_app_with};
use crate::mail_sink::{Reply, SinkTls, SmtpSink, TestCertificates, smtp_on, smtp_tls_on};
use crate::process::{Server, free_port, latch_command};

/// Registers `name`; the welcome message ("Account details") then goes out by mail.
async fn register(app: &TestApp, name: &str) {
    let response = app
        .register_simple(name, &format!("{name}@example.com"), "pass")
        .await;
    assert_eq!(response.status(), 200);
}

/// Waits until the outbox's only message satisfies `done`.
async fn outbox_until(app: &TestApp, done: impl Fn(&QueuedMail) -> bool) -> QueuedMail {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let outbox = app.outbox().await;
        if let [mail] = outbox.as_slice()
            && done(mail)
        {
            return mail.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the outbox never got there: {outbox:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn settled(app: &TestApp) -> QueuedMail {
    outbox_until(app, |m| m.state != "queued").await
}

fn secret(value: &str) -> Option<ConfigSecret> {
    Some(serde_json::from_value(serde_json::json!(value)).unwrap())
}

#[tokio::test]
async fn starttls_to_a_server_whose_private_ca_is_trusted_delivers_over_the_upgraded_connection() {
    let certs = TestCertificates::generate();
    let sink = SmtpSink::start_tls(SinkTls::starttls(&certs.server()).require_starttls());
    let app = spawn_app_with(|c| {
        smtp_tls_on(c, sink.port, SmtpTls::Starttls, Some(&certs.ca()));
    })
    .await;
    register(&app, "tina").await;
    let message = sink.wait_for("tina@example.com", "Account details").await;
    assert!(message.tls, "the message came in plaintext");
    assert!(message.text.contains("/user/reset/"), "{}", message.text);
    assert_eq!(settled(&app).await.state, "sent");
}

#[tokio::test]
async fn implicit_tls_to_a_trusted_self_signed_server_authenticates_and_delivers() {
    let certs = TestCertificates::generate();
    let own = certs.self_signed();
    let sink = SmtpSink::start_tls(SinkTls::implicit(&own).auth("latch", "smtp-pass"));
    let app = spawn_app_with(|c| {
        smtp_tls_on(c, sink.port, SmtpTls::Implicit, Some(&own.cert));
        // The certificate names localhost too: checked by name here, by address elsewhere.
        c.mail.smtp.host = "localhost".into();
        c.mail.smtp.username = "latch".into();
        c.mail.smtp.password = secret("smtp-pass");
    })
    .await;
    register(&app, "ivan").await;
    let message = sink.wait_for("ivan@example.com", "Account details").await;
    assert!(message.tls);
    assert_eq!(message.login.as_deref(), Some("latch"));
    assert_eq!(settled(&app).await.state, "sent");
}

#[tokio::test]
async fn starttls_credentials_are_sent_after_the_upgrade_and_a_wrong_password_is_dead_lettered() {
    let certs = TestCertificates::generate();
    // The sink offers AUTH only once the connection is encrypted, and takes no mail without it.
    let sink = SmtpSink::start_tls(
        SinkTls::starttls(&certs.server())
            .require_starttls()
            .auth("latch", "smtp-pass"),
    );
    let configure = |password: &str| {
        let password = secret(password);
        let ca = certs.ca();
        let port = sink.port;
        move |c: &mut latch::config::Config| {
            smtp_tls_on(c, port, SmtpTls::Starttls, Some(&ca));
            c.mail.smtp.username = "latch".into();
            c.mail.smtp.password = password;
        }
    };
    let app = spawn_app_with(configure("smtp-pass")).await;
    register(&app, "alma").await;
    let message = sink.wait_for("alma@example.com", "Account details").await;
    assert!(message.tls);
    assert_eq!(message.login.as_deref(), Some("latch"));
    assert_eq!(settled(&app).await.state, "sent");

    let refused = spawn_app_with(configure("wrong-pass")).await;
    register(&refused, "bert").await;
    let mail = settled(&refused).await;
    assert_eq!(mail.state, "dead", "{mail:?}");
    assert!(
        mail.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("535"),
        "{mail:?}"
    );
    assert_eq!(sink.messages().len(), 1, "{:#?}", sink.messages());
}

#[tokio::test]
async fn an_untrusted_certificate_keeps_the_message_queued_and_sends_nothing_in_plaintext() {
    let certs = TestCertificates::generate();
    let stranger = TestCertificates::generate();
    // These sinks would take the message in plaintext; latch must not let them.
    let cases = [
        ("STARTTLS, public roots only", SmtpTls::Starttls, None),
        (
            "STARTTLS, another CA",
            SmtpTls::Starttls,
            Some(stranger.ca()),
        ),
        (
            "implicit, another CA",
            SmtpTls::Implicit,
            Some(stranger.ca()),
        ),
    ];
    for (case, tls, ca) in cases {
        let sink = SmtpSink::start_tls(match tls {
            SmtpTls::Implicit => SinkTls::implicit(&certs.server()),
            _ => SinkTls::starttls(&certs.server()),
        });
        let app = spawn_app_with(|c| smtp_tls_on(c, sink.port, tls, ca.as_deref())).await;
        register(&app, "una").await;
        // A second attempt shows the failure counts as temporary: retried, not dropped.
        let mail = outbox_until(&app, |m| m.attempts >= 2 && m.last_error.is_some()).await;
        assert_eq!(mail.state, "queued", "{case}: {mail:?}");
        // UnknownIssuer without a CA file; BadSignature with the other CA, which bears the
        // same name as the real one but holds another key.
        let error = mail.last_error.unwrap_or_default();
        assert!(
            error.contains("invalid peer certificate"),
            "{case}: {error}"
        );
        assert!(sink.messages().is_empty(), "{case}: {:#?}", sink.messages());
    }
}

#[tokio::test]
async fn starttls_to_a_server_that_does_not_offer_it_sends_nothing_in_plaintext() {
    let certs = TestCertificates::generate();
    let sink = SmtpSink::start(Reply::Accept);
    let app = spawn_app_with(|c| {
        smtp_tls_on(c, sink.port, SmtpTls::Starttls, Some(&certs.ca()));
    })
    .await;
    register(&app, "otto").await;
    let mail = outbox_until(&app, |m| m.attempts >= 2 && m.last_error.is_some()).await;
    assert_eq!(mail.state, "queued", "{mail:?}");
    assert!(
        mail.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("STARTTLS"),
        "{mail:?}"
    );
    assert!(sink.messages().is_empty(), "{:#?}", sink.messages());
}

/// The check behind the STARTTLS tests: the sink they use really refuses plain SMTP, so a
/// message it took came over the upgraded connection.
#[tokio::test]
async fn a_sink_that_requires_starttls_refuses_plain_smtp() {
    let certs = TestCertificates::generate();
    let sink = SmtpSink::start_tls(SinkTls::starttls(&certs.server()).require_starttls());
    let app = spawn_app_with(|c| smtp_on(c, sink.port)).await;
    register(&app, "pam").await;
    let mail = settled(&app).await;
    assert_eq!(mail.state, "dead", "{mail:?}");
    assert!(
        mail.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("530"),
        "{mail:?}"
    );
    assert!(sink.messages().is_empty());
}

/// `latch serve` on a fresh database, mailing through the SMTP server on `sink_port`, with
/// more `LATCH_MAIL__…` variables from `settings` (named without that prefix).
fn serve_mailing(
    sink_port: u16,
    settings: &[(&str, &std::ffi::OsStr)],
) -> (Server, u16, tempfile::TempDir, TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path());
    let port = free_port();
    let mut command = latch_command(dir.path());
    command
        .args(["--database", &database.url, "serve"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("LATCH_MAIL__SMTP__HOST", "127.0.0.1")
        .env("LATCH_MAIL__SMTP__PORT", sink_port.to_string())
        .env("LATCH_MAIL__SMTP__TIMEOUT", "5")
        .env("LATCH_MAIL__POLL_INTERVAL", "0.2")
        .env("LATCH_MAIL__RETRY_DELAY", "1");
    for (key, value) in settings {
        command.env(format!("LATCH_MAIL__{key}"), value);
    }
    let server = Server::start(command, dir.path());
    (server, port, dir, database)
}

#[tokio::test]
async fn an_untrusted_certificate_is_logged_as_a_certificate_error() {
    let certs = TestCertificates::generate();
    let sink = SmtpSink::start_tls(SinkTls::starttls(&certs.server()));
    let (mut server, port, _dir, _database) =
        serve_mailing(sink.port, &[("SMTP__TLS", "starttls".as_ref())]);
    server.ready(port).await;
    let response = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/user/register?_format=json"
        ))
        .json(&serde_json::json!({
            "name": {"value": "lou"}, "mail": {"value": "lou@example.com"},
            "pass": {"value": "pass"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = server.stderr();
        if log.lines().any(|line| {
            line.contains("mail delivery failed; retrying")
                && line.contains("invalid peer certificate")
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no certificate error logged: {log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sink.messages().is_empty());
}

#[test]
fn serve_refuses_a_missing_or_unusable_ca_file_and_names_the_key() {
    let certs = TestCertificates::generate();
    let files = tempfile::tempdir().unwrap();
    let prose = files.path().join("prose.pem");
    std::fs::write(&prose, "no certificate in here\n").unwrap();
    let not_der = files.path().join("not-der.pem");
    std::fs::write(
        &not_der,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let cases = [
        (
            "a missing file",
            files.path().join("absent.pem"),
            "starttls",
        ),
        ("a file without a certificate", prose, "starttls"),
        ("a private key", certs.server().key, "implicit"),
        ("a block that is no certificate", not_der, "starttls"),
        ("a CA that plain SMTP would ignore", certs.ca(), "none"),
    ];
    for (case, file, tls) in cases {
        let (mut server, _, _dir, _database) = serve_mailing(
            free_port(),
            &[
                ("SMTP__CA_FILE", file.as_os_str()),
                ("SMTP__TLS", tls.as_ref()),
            ],
        );
        assert_eq!(server.exit(), Some(false), "{case}: {}", server.stderr());
        assert!(
            server.stderr().contains("mail.smtp.ca_file"),
            "{case}: {}",
            server.stderr()
        );
    }
}
