use std::time::Duration;

use super::source::{env_var, top_level_keys};
use super::toml;
use super::*;

pub(super) fn file_with(toml: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latch.toml");
    std::fs::write(&file, toml).unwrap();
    (dir, file)
}

pub(super) fn load_error(file: &Path, overrides: &Overrides, checks: &[Check]) -> String {
    Config::load_checked(Some(file), overrides, checks)
        .unwrap_err()
        .to_string()
}

#[test]
fn default_toml_loads_back_to_the_defaults() {
    let (_dir, file) = file_with(&Config::default_toml());
    let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
    assert_eq!(loaded.listen, "127.0.0.1:8080");
    assert_eq!(loaded.session.write_interval, Duration::from_secs(180));
    assert_eq!(loaded.mail.smtp.port, 587);
}

#[test]
fn the_smtp_password_is_redacted() {
    let mut config = Config::default();
    config.mail.smtp.password = Some(ConfigSecret("hunter2".into()));
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn unknown_keys_are_refused() {
    let (_dir, file) = file_with("[session]\nidle_timout = 5\n");
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(err.contains("idle_timout"), "{err}");
}

#[test]
fn a_bad_value_in_the_file_is_named_by_its_key_and_the_file() {
    let (_dir, file) = file_with("[session]\nidle_timeout = \"soon\"\n");
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(err.contains("session.idle_timeout:"), "{err}");
    assert!(
        err.contains(&format!("in the file {}", file.display())),
        "{err}"
    );
    assert!(!err.contains("default."), "{err}");
    let (_dir, file) = file_with("[sesion]\nidle_timeout = 5\n");
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(err.contains("sesion:"), "{err}");
}

#[test]
fn a_setting_that_fails_its_check_is_named_with_where_it_was_set() {
    let (_dir, file) = file_with("[http]\ntrusted_proxies = [\"10.0.0.0/33\"]\n");
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(err.contains("http.trusted_proxies"), "{err}");
    assert!(
        err.contains(&format!("(in the file {})", file.display())),
        "{err}"
    );
    let (_dir, file) = file_with("");
    let overrides = Overrides {
        listen: Some("localhost".into()),
        database_url: None,
    };
    let err = load_error(&file, &overrides, &[]);
    assert!(
        err.contains("listen = \"localhost\" is not an address"),
        "{err}"
    );
    assert!(err.contains("(from the flag --listen)"), "{err}");
}

#[test]
fn checks_handed_in_run_after_the_own_ones_and_are_reported_alike() {
    fn refuse_templates(config: &Config) -> Result<(), Invalid> {
        if config.mail.templates.is_empty() {
            Ok(())
        } else {
            Err(Invalid::new("mail.templates", "mail.templates: refused"))
        }
    }
    let (_dir, file) = file_with("[mail.templates.password_reset]\nsubject = \"Hi\"\n");
    let err = load_error(&file, &Overrides::default(), &[refuse_templates]);
    assert!(
        err.contains("mail.templates: refused (in the file"),
        "{err}"
    );
    let (_dir, file) = file_with("listen = \"x\"\n[mail.templates.x]\nsubject = \"Hi\"\n");
    let err = load_error(&file, &Overrides::default(), &[refuse_templates]);
    assert!(err.contains("listen"), "{err}");
}

#[test]
fn platformos_forms_load_and_fields_their_action_cannot_use_are_refused() {
    let (_dir, file) = file_with(
        "[platformos.forms.signup]\naction = \"create_user\"\n\
         [platformos.forms.signup.fields.name]\nrequired = true\nmin_length = 3\n",
    );
    let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
    let form = &loaded.platformos.forms["signup"];
    assert_eq!(form.action, FormAction::CreateUser);
    assert_eq!(form.fields["name"].min_length, Some(3));
    std::fs::write(
        &file,
        "[platformos.forms.signup]\naction = \"create_user\"\n\
         [platformos.forms.signup.fields.nickname]\nrequired = true\n",
    )
    .unwrap();
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(err.contains("fields.nickname"), "{err}");
    std::fs::write(
        &file,
        "[platformos.forms.login]\naction = \"create_session\"\n\
         [platformos.forms.login.fields.email]\nrequired = true\n",
    )
    .unwrap();
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(err.contains("password"), "{err}");
}

#[test]
fn flags_override_the_file() {
    let (_dir, file) = file_with("listen = \"127.0.0.1:9000\"\n");
    let overrides = Overrides {
        listen: Some("127.0.0.1:9001".into()),
        database_url: None,
    };
    let loaded = Config::load(Some(&file), &overrides).unwrap();
    assert_eq!(loaded.listen, "127.0.0.1:9001");
}

/// Every key of the settings' definition, with its table, such as `mail.smtp.port`.
fn leaf_keys() -> Vec<String> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    let key = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&key, value, out);
                }
            }
            _ => out.push(prefix.to_string()),
        }
    }
    // Optional settings are serialised only when set.
    let mut config = Config {
        secret: Some(ConfigSecret(String::new())),
        ..Config::default()
    };
    config.mail.smtp.password = Some(ConfigSecret(String::new()));
    let mut keys = Vec::new();
    walk("", &serde_json::to_value(&config).unwrap(), &mut keys);
    keys
}

#[test]
fn every_setting_has_a_variable_and_a_row_in_the_readme() {
    let readme = include_str!("../../README.md");
    let keys = leaf_keys();
    assert!(keys.contains(&"mail.smtp.ca_file".to_string()), "{keys:?}");
    for key in &keys {
        assert!(
            readme.contains(&format!("| `{key}` |")),
            "README's configuration table lacks `{key}` ({})",
            env_var(key)
        );
        let top = key.split('.').next().unwrap();
        assert!(top_level_keys().iter().any(|k| k == top), "{key}");
    }
    let table = readme
        .split("## Configuration")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let key = row.split('`').nth(1).unwrap();
        // Rows such as `platformos.forms.NAME.action` stand for keys the operator names.
        let named_by_operator = key.chars().any(|c| c.is_ascii_uppercase());
        assert!(
            named_by_operator || keys.iter().any(|k| k == key),
            "README documents `{key}`, which is no setting"
        );
    }
    assert_eq!(
        env_var("session.idle_timeout"),
        "LATCH_SESSION__IDLE_TIMEOUT"
    );
    assert!(readme.contains("LATCH_SESSION__IDLE_TIMEOUT"));
}

#[test]
fn durations_take_plain_numbers_in_their_unit_or_a_number_with_a_unit() {
    let (_dir, file) = file_with(
        "[session]\nidle_timeout = 900\nlifetime = \"7d\"\nwrite_interval = \"1m30s\"\n\
         [http]\nrequest_timeout = \"15s\"\nhsts_max_age = 0\n\
         [mail]\npoll_interval = 0.25\nretry_delay = \"2m\"\n\
         [flood]\nip_window = \"1h\"\n\
         [audit]\nretain_days = 30\n",
    );
    let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
    assert_eq!(loaded.session.idle_timeout, Duration::from_secs(900));
    assert_eq!(loaded.session.lifetime, Duration::from_secs(7 * 86_400));
    assert_eq!(loaded.session.write_interval, Duration::from_secs(90));
    assert_eq!(loaded.http.request_timeout, Duration::from_secs(15));
    assert_eq!(loaded.http.hsts_max_age, Duration::ZERO);
    assert_eq!(loaded.mail.poll_interval, Duration::from_millis(250));
    assert_eq!(loaded.mail.retry_delay, Duration::from_secs(120));
    assert_eq!(loaded.flood.ip_window, Duration::from_secs(3600));
    assert_eq!(loaded.audit.retain_days, Duration::from_secs(30 * 86_400));

    std::fs::write(
        &file,
        "[audit]\nretain_days = \"36h\"\n[mail]\npoll_interval = \"500ms\"\n",
    )
    .unwrap();
    let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
    assert_eq!(loaded.audit.retain_days, Duration::from_secs(36 * 3600));
    assert_eq!(loaded.mail.poll_interval, Duration::from_millis(500));
}

#[test]
fn durations_that_are_not_one_are_refused_with_their_key_and_file() {
    for (toml, key, problem) in [
        (
            "[session]\nidle_timeout = \"soon\"\n",
            "session.idle_timeout:",
            "\"soon\" is not a length of time",
        ),
        (
            "[session]\nlifetime = \"3w\"\n",
            "session.lifetime:",
            "\"3w\" is not a length of time",
        ),
        (
            "[session]\nlifetime = -5\n",
            "session.lifetime:",
            "negative",
        ),
        (
            "[http]\nrequest_timeout = \"1500ms\"\n",
            "http.request_timeout:",
            "whole number of seconds",
        ),
        (
            "[http]\nrequest_timeout = 1.5\n",
            "http.request_timeout:",
            "not a whole number of seconds",
        ),
        (
            "[audit]\nretain_days = 1.5\n",
            "audit.retain_days:",
            "not a whole number of days",
        ),
        (
            "[audit]\nretain_days = 999999999999999999\n",
            "audit.retain_days:",
            "too long",
        ),
    ] {
        let (_dir, file) = file_with(toml);
        let err = load_error(&file, &Overrides::default(), &[]);
        assert!(err.contains(key) && err.contains(problem), "{toml}: {err}");
        assert!(
            err.contains(&format!("in the file {}", file.display())),
            "{err}"
        );
    }
}

#[test]
fn zero_durations_are_refused_where_zero_means_nothing() {
    for (toml, key) in [
        ("[session]\nidle_timeout = \"0s\"\n", "session.idle_timeout"),
        ("[session]\nlifetime = 0\n", "session.lifetime"),
        ("[http]\nrequest_timeout = 0\n", "http.request_timeout"),
        ("[mail]\npoll_interval = 0\n", "mail.poll_interval"),
        ("[mail]\nretry_delay = \"0m\"\n", "mail.retry_delay"),
        ("[mail.smtp]\ntimeout = 0\n", "mail.smtp.timeout"),
        ("[flood]\nuser_window = 0\n", "flood.user_window"),
    ] {
        let (_dir, file) = file_with(toml);
        let err = load_error(&file, &Overrides::default(), &[]);
        assert!(
            err.contains(key) && err.contains("(in the file"),
            "{toml}: {err}"
        );
    }
    // Zero has a meaning of its own here: no HSTS header; keep the trail forever.
    let (_dir, file) = file_with("[http]\nhsts_max_age = 0\n[audit]\nretain_days = 0\n");
    assert!(Config::load(Some(&file), &Overrides::default()).is_ok());
}

#[test]
fn durations_written_out_load_back_the_same() {
    let mut config = Config::default();
    config.mail.poll_interval = Duration::from_millis(1_250);
    config.audit.retain_days = Duration::from_secs(36 * 3600);
    config.session.idle_timeout = Duration::from_secs(90);
    let written = toml::render(&config);
    assert!(written.contains("poll_interval = \"1s250ms\""), "{written}");
    assert!(written.contains("retain_days = \"1d12h\""), "{written}");
    assert!(written.contains("idle_timeout = 90\n"), "{written}");
    let (_dir, file) = file_with(&written);
    let loaded = Config::load(Some(&file), &Overrides::default()).unwrap();
    assert_eq!(loaded.mail.poll_interval, config.mail.poll_interval);
    assert_eq!(loaded.audit.retain_days, config.audit.retain_days);
    assert_eq!(loaded.session.idle_timeout, config.session.idle_timeout);
}

#[test]
fn the_default_file_explains_how_durations_are_written() {
    let written = Config::default_toml();
    assert!(written.starts_with("# Durations:"), "{written}");
    assert!(written.contains("15m"), "{written}");
    assert!(written.contains("retain_days = 365\n"), "{written}");
    assert!(written.contains("poll_interval = 5\n"), "{written}");
}

#[test]
fn a_default_that_fails_a_check_says_it_is_the_built_in_default() {
    // The SMTP timeout the operator set outlasts the default claim on a message.
    let (_dir, file) = file_with("[mail.smtp]\ntimeout = \"10m\"\n");
    let err = load_error(&file, &Overrides::default(), &[]);
    assert!(
        err.contains("mail.claim_timeout (300 s) must be longer than mail.smtp.timeout (600 s)"),
        "{err}"
    );
    assert!(err.contains("(built-in default)"), "{err}");
}
