//! Where settings come from, in order: defaults, the file, `LATCH_*` variables, flags. An
//! error names the key as written in the file and the place its value came from, so the
//! operator knows what to fix where.

use std::path::Path;

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
pub(super) fn top_level_keys() -> Vec<String> {
    // Unset optional settings are not serialised; set it so it is listed too.
    let config = Config {
        secret: Some(ConfigSecret(String::new())),
        ..Config::default()
    };
    match serde_json::to_value(&config) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
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

/// `LATCH_LISTEN`, `LATCH_SESSION__IDLE_TIMEOUT`, …; variables that name no setting (such
/// as `LATCH_CONFIG`, read by the command line) are left alone.
fn environment() -> Env {
    let keys = top_level_keys();
    Env::prefixed(ENV_PREFIX).split("__").filter(move |key| {
        let top = key.as_str().split('.').next().unwrap_or_default();
        keys.iter().any(|known| known.eq_ignore_ascii_case(top))
    })
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
