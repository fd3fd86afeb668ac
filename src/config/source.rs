//! Where settings come from, in order: defaults, the file, `LATCH_*` variables, flags. An
//! error names the key as written in the file and the place its value came from, so the
//! operator knows what to fix where.

use std::path::Path;
use std::sync::Arc;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};

use super::{Check, Config, ConfigError, ConfigSecret, Overrides};

const ENV_PREFIX: &str = "LATCH_";
/// What `Env` names its values' source; how an error is told to come from a variable.
const ENV_SOURCE: &str = "environment variable";

pub(super) fn load(
    file: Option<&Path>,
    overrides: &Overrides,
    checks: &[Check],
) -> Result<Config, ConfigError> {
    let mut figment = Figment::from(Defaults(Serialized::defaults(Config::default())));
    if let Some(file) = file {
        if !file.exists() {
            return Err(ConfigError::Invalid(format!(
                "config file {} does not exist",
                file.display()
            )));
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    figment = figment.merge(environment());
    if let Some(listen) = &overrides.listen {
        figment = figment.merge(Flag::new("--listen", "listen", listen));
    }
    if let Some(url) = &overrides.database_url {
        figment = figment.merge(Flag::new("--database", "database_url", url));
    }
    let config: Config = figment
        .extract()
        .map_err(|e| ConfigError::Invalid(describe_extraction(e)))?;
    let checked = config
        .validate()
        .and_then(|()| checks.iter().try_for_each(|check| check(&config)));
    if let Err(invalid) = checked {
        let origin = figment
            .find_metadata(&invalid.key)
            .and_then(|md| origin(md, &invalid.key));
        return Err(ConfigError::Invalid(match origin {
            Some(origin) => format!("{} ({origin})", invalid.message),
            None => invalid.message,
        }));
    }
    Ok(config)
}

/// The top-level keys, read from the settings' own definition so no list is kept by hand.
#[cfg(test)]
pub(super) fn top_level_keys() -> Vec<String> {
    match Settings::new().0 {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The variable that sets `key` (`session.idle_timeout`: `LATCH_SESSION__IDLE_TIMEOUT`).
pub(super) fn env_var(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

/// Variables with the prefix that are no settings: the command line reads `LATCH_CONFIG` and
/// `LATCH_LOG`, latch's own test and benchmark scripts the others.
const NOT_SETTINGS: [&str; 6] = [
    "CONFIG",
    "LOG",
    "CI",
    "TEST_POSTGRES_URL",
    "BENCH_POSTGRES_URL",
    "FUZZ_SECONDS",
];

/// `LATCH_LISTEN`, `LATCH_SESSION__IDLE_TIMEOUT`, …: the variables that name a setting.
/// Others (`LATCH_MAIL`, which names a section, or a stray `LATCH_WHATEVER` some other
/// program set) are ignored with one warning naming them, so an unrelated variable in the
/// environment cannot stop latch; a file's unknown keys stay refused.
fn environment() -> Env {
    let settings = Arc::new(Settings::new());
    let stray = stray_variables(&settings);
    if !stray.is_empty() {
        tracing::warn!(
            "ignoring environment variables that name no setting: {} (a setting's variable is \
             LATCH_ and its key in capitals, with __ between the parts, such as \
             LATCH_SESSION__IDLE_TIMEOUT)",
            stray.join(", ")
        );
    }
    Env::prefixed(ENV_PREFIX)
        .split("__")
        .filter(move |key| settings.names_setting(&key.as_str().to_ascii_lowercase()))
}

/// The variables with the prefix that name no setting, sorted.
fn stray_variables(settings: &Settings) -> Vec<String> {
    let mut stray: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                return false;
            };
            let key = rest.to_ascii_lowercase().replace("__", ".");
            !rest.is_empty()
                && !NOT_SETTINGS.iter().any(|n| n.eq_ignore_ascii_case(rest))
                && !settings.names_setting(&key)
        })
        .collect();
    stray.sort();
    stray
}

/// The settings' keys, as the defaults serialise them.
struct Settings(serde_json::Value);

impl Settings {
    fn new() -> Self {
        // Unset optional settings are not serialised; set it so it is listed too.
        let config = Config {
            secret: Some(ConfigSecret(String::new())),
            ..Config::default()
        };
        Self(serde_json::to_value(&config).unwrap_or_default())
    }

    /// Whether `key` (`session.idle_timeout`) names a setting: not a section, not a part of
    /// a setting, not nothing.
    fn names_setting(&self, key: &str) -> bool {
        let mut node = &self.0;
        for part in key.split('.') {
            let serde_json::Value::Object(section) = node else {
                return false;
            };
            match section.get(part) {
                Some(next) => node = next,
                // An optional setting left unset, a named entry (`platformos.forms.NAME`), or
                // nothing: let the settings' own definition tell.
                None => return !unknown_field(key),
            }
        }
        !node.is_object()
    }
}

/// Whether the settings' definition refuses `key` as an unknown field, whatever its value.
fn unknown_field(key: &str) -> bool {
    let figment =
        Figment::from(Serialized::defaults(Config::default())).merge(Serialized::default(key, ""));
    match figment.extract::<Config>() {
        Ok(_) => false,
        Err(e) => e
            .into_iter()
            .any(|e| matches!(e.kind, figment::error::Kind::UnknownField(..))),
    }
}

/// Each error figment found, as `key: problem (where it was set)`.
fn describe_extraction(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            // A list's entries are named by position (`http.trusted_proxies.1`); the operator
            // wrote the list's key, and the message quotes the entry.
            let key = e
                .path
                .iter()
                .filter(|part| !part.chars().all(|c| c.is_ascii_digit()))
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(".");
            let origin = e.metadata.as_ref().and_then(|md| origin(md, &key));
            let mut text = if key.is_empty() {
                e.kind.to_string()
            } else {
                format!("{key}: {}", e.kind)
            };
            if let Some(origin) = origin {
                text.push_str(&format!(" ({origin})"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where the value of `key` was set, in the operator's words.
fn origin(metadata: &Metadata, key: &str) -> Option<String> {
    if metadata.name == DEFAULT_SOURCE {
        return Some(DEFAULT_SOURCE.to_string());
    }
    if let Some(path) = metadata.source.as_ref().and_then(|s| s.file_path()) {
        return Some(format!("in the file {}", path.display()));
    }
    if metadata.name.contains(ENV_SOURCE) {
        return Some(format!("in the environment variable {}", env_var(key)));
    }
    metadata
        .name
        .strip_prefix(FLAG_SOURCE)
        .map(|flag| format!("from the flag {flag}"))
}

const FLAG_SOURCE: &str = "flag ";
/// How an error is told its value was nobody's choice but latch's.
const DEFAULT_SOURCE: &str = "built-in default";

/// The settings every other source overrides, named so an error about a default value says
/// so (a default can fail a check against a value the operator did set).
struct Defaults(Serialized<Config>);

impl Provider for Defaults {
    fn metadata(&self) -> Metadata {
        Metadata::named(DEFAULT_SOURCE)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.0.data()
    }
}

/// A setting given as a command-line flag, named as the operator typed it.
struct Flag {
    flag: &'static str,
    value: Serialized<String>,
}

impl Flag {
    fn new(flag: &'static str, key: &'static str, value: &str) -> Self {
        Self {
            flag,
            value: Serialized::default(key, value.to_string()),
        }
    }
}

impl Provider for Flag {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("{FLAG_SOURCE}{}", self.flag))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.value.data()
    }
}

#[cfg(test)]
mod tests {
    use super::Settings;

    #[test]
    fn variables_name_settings_but_not_sections_parts_or_nothing() {
        let settings = Settings::new();
        for setting in [
            "listen",
            "secret",
            "session.idle_timeout",
            "mail.smtp.password",
            "mail.from",
            "access",
        ] {
            assert!(settings.names_setting(setting), "{setting}");
        }
        for stray in [
            "mail",
            "mail.smtp",
            "config",
            "ci",
            "session.idle_timout",
            "listen.port",
            "whatever.else",
        ] {
            assert!(!settings.names_setting(stray), "{stray}");
        }
    }
}
