//! The `latch` binary: account administration, `migrate`, `config default` and `serve`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use latch::core::accounts::RegistrationMode;
use latch::core::{Core, Registrar, Registration};
use secrecy::SecretString;
use serde_json::json;
use tempfile::TempDir;

use crate::helpers::{TestDatabase, test_config};
use crate::process::{Server, free_port, free_ports, latch_command};

/// A working directory with a database and a config file, as an operator would have.
pub(crate) struct Site {
    pub(crate) config: PathBuf,
    database: TestDatabase,
    dir: TempDir,
}

struct Outcome {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Site {
    fn new() -> Self {
        Self::with_config("")
    }

    pub(crate) fn with_config(toml: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("latch.toml");
        std::fs::write(&config, toml).unwrap();
        let database = TestDatabase::create(dir.path());
        Site {
            config,
            database,
            dir,
        }
    }

    fn database(&self) -> String {
        self.database.url.clone()
    }

    /// `latch --config FILE [--database URL] ARGS…` in the site's directory.
    pub(crate) fn command(&self, args: &[&str], with_database: bool) -> Command {
        let mut command = latch_command(self.dir.path());
        command.arg("--config").arg(&self.config);
        if with_database {
            command.arg("--database").arg(self.database());
        }
        command.args(args);
        command
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Outcome {
        let mut child = self
            .command(args, true)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start latch");
        // A command that does not read its input may exit first; that is not a failure here.
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let output = child.wait_with_output().unwrap();
        Outcome {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Outcome {
        self.run_with_stdin(args, "")
    }

    /// Runs a command that must succeed.
    fn ok(&self, args: &[&str]) -> String {
        let outcome = self.run(args);
        assert!(outcome.ok, "latch {args:?} failed: {}", outcome.stderr);
        outcome.stdout
    }

    fn add(&self, name: &str, password: &str, roles: &[&str]) -> String {
        let mail = format!("{name}@example.com");
        let mut args = vec!["user", "add", name, "--mail", &mail, "--password-stdin"];
        roles.iter().for_each(|role| args.extend(["--role", role]));
        let outcome = self.run_with_stdin(&args, &format!("{password}\n"));
        assert!(outcome.ok, "user add {name} failed: {}", outcome.stderr);
        outcome.stdout
    }

    /// The `user list` row of `name`, split into columns.
    fn row(&self, name: &str) -> Option<Vec<String>> {
        let listing = self.ok(&["user", "list"]);
        let mut rows = listing.lines().skip(1);
        let row = rows.find(|line| line.split_whitespace().nth(1) == Some(name))?;
        Some(row.split_whitespace().map(String::from).collect())
    }

    /// Registers `name` as a visitor under admin approval, leaving a pending account.
    async fn register_pending(&self, name: &str) {
        let mut config = test_config(&self.dir);
        config.database_url = self.database();
        config.registration.mode = RegistrationMode::VisitorsAdminApproval;
        let core = Core::open(&config).await.expect("open core").core;
        let registration = Registration {
            name: name.into(),
            mail: Some(format!("{name}@example.com")),
            password: Some(SecretString::from("pw".to_string())),
            ..Registration::default()
        };
        core.register(registration, Registrar::Visitor)
            .await
            .expect("register");
        core.store().close().await;
    }

    pub(crate) fn serve(
        &self,
        extra: &[&str],
        env: &[(&str, &str)],
        with_database: bool,
    ) -> Server {
        let mut command = self.command(&[], with_database);
        command.arg("serve").args(extra).envs(env.iter().copied());
        Server::start(command, self.dir.path())
    }
}

/// Logs in over HTTP; returns the status.
async fn login(port: u16, name: &str, pass: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/user/login?_format=json"))
        .header("Content-Type", "application/json")
        .body(json!({"name": name, "pass": pass}).to_string())
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[test]
fn user_add_with_a_password_on_stdin_creates_the_first_account() {
    let site = Site::new();
    let out = site.add("admin", "s3cret", &["administrator"]);
    assert_eq!(out.trim(), "Created account admin (uid 1).");
    assert!(
        !out.contains("Password:"),
        "a chosen password is not printed: {out}"
    );
    assert_eq!(
        site.add("bob", "pw", &[]).trim(),
        "Created account bob (uid 2)."
    );
}

#[test]
fn user_add_refuses_a_taken_name_in_any_case_and_an_invalid_mail() {
    let site = Site::new();
    site.add("admin", "s3cret", &[]);
    let taken = site.run(&["user", "add", "ADMIN", "--mail", "other@example.com"]);
    assert!(
        !taken.ok && taken.stderr.contains("already taken"),
        "{}",
        taken.stderr
    );
    let bad_mail = site.run(&["user", "add", "carol", "--mail", "not-a-mail"]);
    assert!(!bad_mail.ok, "{}", bad_mail.stdout);
    assert!(
        bad_mail.stderr.contains("the mail address is not valid"),
        "{}",
        bad_mail.stderr
    );
    assert_eq!(
        site.ok(&["user", "list"]).lines().count(),
        2,
        "only admin is listed"
    );
}

#[tokio::test]
async fn user_list_shows_name_mail_state_and_roles_of_every_account() {
    let site = Site::new();
    site.add("admin", "pw", &["administrator"]);
    site.add("bob", "pw", &[]);
    site.ok(&["user", "block", "bob"]);
    site.register_pending("carol").await;
    let listing = site.ok(&["user", "list"]);
    assert_eq!(
        listing.lines().count(),
        4,
        "a header and three rows: {listing}"
    );
    let header = listing.lines().next().unwrap();
    assert!(
        header.contains("NAME") && header.contains("MAIL"),
        "{header}"
    );
    let expect = [
        ("admin", "active", "authenticated,administrator"),
        ("bob", "blocked", "authenticated"),
        ("carol", "pending", "authenticated"),
    ];
    for (name, state, roles) in expect {
        let row = site
            .row(name)
            .unwrap_or_else(|| panic!("{name} not listed: {listing}"));
        let mail = format!("{name}@example.com");
        assert_eq!(row[2..], [mail.as_str(), state, roles], "{listing}");
    }
}

#[test]
fn block_unblock_and_delete_change_what_user_list_shows() {
    let site = Site::new();
    site.add("bob", "pw", &[]);
    site.ok(&["user", "block", "bob"]);
    assert_eq!(site.row("bob").unwrap()[3], "blocked");
    site.ok(&["user", "unblock", "bob"]);
    assert_eq!(site.row("bob").unwrap()[3], "active");
    site.ok(&["user", "delete", "bob"]);
    assert!(site.row("bob").is_none());
}

#[tokio::test]
async fn approve_activates_a_pending_account_and_refuses_any_other() {
    let site = Site::new();
    site.register_pending("carol").await;
    site.ok(&["user", "approve", "carol"]);
    assert_eq!(site.row("carol").unwrap()[3], "active");
    let again = site.run(&["user", "approve", "carol"]);
    assert!(
        !again.ok && again.stderr.contains("is not awaiting approval"),
        "{}",
        again.stderr
    );
}

#[test]
fn account_commands_refuse_an_unknown_name() {
    let site = Site::new();
    site.add("bob", "pw", &[]);
    let before = site.ok(&["user", "list"]);
    for command in ["block", "unblock", "delete", "approve", "set-password"] {
        let mut args = vec!["user", command, "nobody"];
        if command == "set-password" {
            args.push("--password-stdin");
        }
        let outcome = site.run_with_stdin(&args, "pw\n");
        assert!(!outcome.ok, "{command} succeeded");
        assert!(
            outcome.stderr.contains("no such account"),
            "{command}: {}",
            outcome.stderr
        );
    }
    assert_eq!(site.ok(&["user", "list"]), before);
}

#[test]
fn migrate_creates_the_database_and_config_default_prints_toml() {
    let site = Site::new();
    let migrate = site.run(&["migrate"]);
    assert!(migrate.ok, "{}", migrate.stderr);
    assert!(
        migrate.stderr.contains("is up to date"),
        "{}",
        migrate.stderr
    );
    if !site.database.is_postgres() {
        assert!(site.dir.path().join("latch.db").exists());
    }
    assert!(site.ok(&["user", "list"]).starts_with("   UID  NAME"));
    let toml = site.ok(&["config", "default"]);
    assert!(toml.contains("listen = \"127.0.0.1:8080\""), "{toml}");
    assert!(toml.lines().any(|l| l == "[session]"), "{toml}");
}

#[tokio::test]
async fn serve_on_an_empty_database_explains_how_to_create_the_first_administrator() {
    let site = Site::new();
    let [first, second] = free_ports();
    let mut server = site.serve(&["--listen", &format!("127.0.0.1:{first}")], &[], true);
    server.ready(first).await;
    let hint = "No accounts yet. Create the first administrator with:";
    assert!(server.stderr().contains(hint), "{}", server.stderr());
    drop(server);

    site.add("admin", "pw", &["administrator"]);
    let mut server = site.serve(&["--listen", &format!("127.0.0.1:{second}")], &[], true);
    server.ready(second).await;
    assert!(!server.stderr().contains(hint), "{}", server.stderr());
}

#[tokio::test]
async fn accounts_managed_by_the_cli_while_the_server_runs_log_in_over_http() {
    let site = Site::new();
    let port = free_port();
    let mut server = site.serve(&["--listen", &format!("127.0.0.1:{port}")], &[], true);
    server.ready(port).await;
    site.add("admin", "chosen", &["administrator"]);
    assert_eq!(login(port, "admin", "chosen").await, 200);

    let out = site.ok(&["user", "add", "bob", "--mail", "bob@example.com"]);
    let generated = out.lines().find_map(|l| l.strip_prefix("Password: "));
    let generated = generated.unwrap_or_else(|| panic!("no generated password in {out}"));
    assert_eq!(login(port, "bob", generated).await, 200);

    let changed = site.run_with_stdin(
        &["user", "set-password", "bob", "--password-stdin"],
        "new\n",
    );
    assert!(changed.ok, "{}", changed.stderr);
    assert_eq!(login(port, "bob", generated).await, 400);
    assert_eq!(login(port, "bob", "new").await, 200);
    site.ok(&["user", "block", "bob"]);
    assert_eq!(login(port, "bob", "new").await, 400);
}

#[tokio::test]
async fn serve_takes_its_address_and_database_from_the_environment() {
    let site = Site::new();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let database = format!("sqlite://{}", site.dir.path().join("env.db").display());
    let env = [
        ("LATCH_LISTEN", listen.as_str()),
        ("LATCH_DATABASE_URL", database.as_str()),
    ];
    let mut server = site.serve(&[], &env, false);
    server.ready(port).await;
    assert!(site.dir.path().join("env.db").exists());
    assert!(!site.dir.path().join("latch.db").exists());
}

#[tokio::test]
async fn serve_reads_listen_from_the_config_file_and_the_flag_overrides_it() {
    let [file_port, flag_port] = free_ports();
    let site = Site::with_config(&format!("listen = \"127.0.0.1:{file_port}\"\n"));
    let mut server = site.serve(&[], &[], true);
    server.ready(file_port).await;
    drop(server);

    let mut server = site.serve(&["--listen", &format!("127.0.0.1:{flag_port}")], &[], true);
    server.ready(flag_port).await;
    let old = reqwest::get(format!("http://127.0.0.1:{file_port}/session/token")).await;
    assert!(
        old.is_err(),
        "the file's address should not be used when --listen is given"
    );
}

#[test]
fn serve_refuses_a_config_file_with_an_unknown_key() {
    let site = Site::with_config("[session]\nidle_timout = 5\n");
    let port = free_port();
    let mut server = site.serve(&["--listen", &format!("127.0.0.1:{port}")], &[], true);
    assert_eq!(
        server.exit(),
        Some(false),
        "latch serve should exit with an error"
    );
    assert!(
        server.stderr().contains("idle_timout"),
        "{}",
        server.stderr()
    );
}

#[test]
fn config_errors_name_the_key_as_written_and_where_its_value_was_set() {
    let site = Site::with_config("[session]\nidle_timeout = \"soon\"\n");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let output = site
            .command(args, true)
            .envs(env.iter().copied())
            .output()
            .expect("run latch");
        assert_eq!(output.status.code(), Some(2), "latch {args:?} {env:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let file = site.config.display().to_string();
    let err = run(&["user", "list"], &[]);
    assert!(
        err.contains("session.idle_timeout:") && err.contains(&format!("in the file {file}")),
        "{err}"
    );
    assert!(!err.contains("default."), "{err}");

    std::fs::write(&site.config, "").unwrap();
    let err = run(
        &["user", "list"],
        &[("LATCH_SESSION__IDLE_TIMEOUT", "soon")],
    );
    assert!(
        err.contains("session.idle_timeout:")
            && err.contains("in the environment variable LATCH_SESSION__IDLE_TIMEOUT"),
        "{err}"
    );
    let err = run(&["user", "list"], &[("LATCH_MAIL__FROM", "nobody")]);
    assert!(
        err.contains("mail.from = \"nobody\" is not a mail address")
            && err.contains("(in the environment variable LATCH_MAIL__FROM)"),
        "{err}"
    );
    let err = run(&["serve", "--listen", "localhost"], &[]);
    assert!(
        err.contains("listen = \"localhost\"") && err.contains("(from the flag --listen)"),
        "{err}"
    );
}
