//! latch's import file formats.
//!
//! CSV, with a header row naming the columns (`name` is required; the rest may be left out):
//!
//! ```text
//! name,mail,hash,roles,status,created,login
//! bob,bob@example.com,$S$D…,administrator editor,active,2024-05-01T10:00:00Z,1714557600
//! ```
//!
//! JSON: an array of objects with the same keys, `roles` a list of strings.
//! `roles` are separated by spaces or `;` in CSV; `status` is `active`, `blocked`, `pending`,
//! `1` or `0`; `created` and `login` are Unix seconds or RFC 3339 times.

use std::path::Path;

use serde::Deserialize;

use super::{ImportRow, SourceError, parse_status, parse_time, role_machine_name};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    name: String,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    hash: Option<String>,
    #[serde(default)]
    roles: Roles,
    #[serde(default)]
    status: Option<serde_json::Value>,
    #[serde(default)]
    created: Option<serde_json::Value>,
    #[serde(default)]
    login: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Roles {
    #[default]
    None,
    List(Vec<String>),
    Text(String),
}

pub fn read_csv(path: &Path) -> Result<Vec<ImportRow>, SourceError> {
    let io = |e| SourceError::Io(path.display().to_string(), e);
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let now = crate::core::now();
    let mut rows = Vec::new();
    for (index, record) in reader.deserialize::<Record>().enumerate() {
        let record = record.map_err(|e| SourceError::Row {
            row: index + 1,
            message: e.to_string(),
        })?;
        rows.push(convert(record, index + 1, now)?);
    }
    Ok(rows)
}

pub fn read_json(path: &Path) -> Result<Vec<ImportRow>, SourceError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SourceError::Io(path.display().to_string(), e))?;
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| {
        SourceError::Format(format!(
            "{} is not a JSON array of accounts: {e}",
            path.display()
        ))
    })?;
    let now = crate::core::now();
    records
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let record: Record = serde_json::from_value(value).map_err(|e| SourceError::Row {
                row: index + 1,
                message: e.to_string(),
            })?;
            convert(record, index + 1, now)
        })
        .collect()
}

fn convert(record: Record, row: usize, now: i64) -> Result<ImportRow, SourceError> {
    let text = |value: &Option<serde_json::Value>| match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let bad = |message: String| SourceError::Row { row, message };
    let state = parse_status(&text(&record.status)).ok_or_else(|| {
        bad(format!(
            "status {:?} is not active, blocked, pending, 1 or 0",
            text(&record.status)
        ))
    })?;
    let created = parse_time(&text(&record.created), now).ok_or_else(|| {
        bad(format!(
            "created {:?} is neither Unix seconds nor an RFC 3339 time",
            text(&record.created)
        ))
    })?;
    let login = parse_time(&text(&record.login), 0).ok_or_else(|| {
        bad(format!(
            "login {:?} is neither Unix seconds nor an RFC 3339 time",
            text(&record.login)
        ))
    })?;
    let roles = match record.roles {
        Roles::None => Vec::new(),
        Roles::List(list) => list,
        Roles::Text(text) => text.split([' ', ';']).map(str::to_string).collect(),
    };
    let mut roles: Vec<String> = roles.iter().filter_map(|r| role_machine_name(r)).collect();
    roles.sort();
    roles.dedup();
    Ok(ImportRow {
        name: record.name,
        mail: record.mail.filter(|m| !m.trim().is_empty()),
        password_hash: record.hash.filter(|h| !h.trim().is_empty()),
        roles,
        state,
        created_at: created,
        access_at: login,
        login_at: login,
    })
}
