//! `latch config default`: every setting at its default, as a TOML file to edit.

use super::{Config, duration};

pub(super) fn render(config: &Config) -> String {
    // Rendered by hand through serde_json so no TOML writer is needed in the binary.
    let value = serde_json::to_value(config).unwrap_or_default();
    let mut out = String::new();
    for line in wrap(duration::SYNTAX, 88) {
        out.push_str(&format!("# {line}\n"));
    }
    if let serde_json::Value::Object(map) = value {
        table(&mut out, "", &map);
    }
    out
}

/// Writes a table's scalars, then each sub-table under its dotted name.
fn table(out: &mut String, name: &str, table_map: &serde_json::Map<String, serde_json::Value>) {
    if !name.is_empty() {
        out.push_str(&format!("\n[{name}]\n"));
    }
    for (key, value) in table_map {
        if value.is_null() {
            // TOML has no null: an unset setting is shown but left out.
            out.push_str(&format!("# {key} = (unset)\n"));
        } else if !value.is_object() {
            // JSON strings, numbers, booleans and arrays of them are valid TOML as written.
            out.push_str(&format!("{key} = {value}\n"));
        }
    }
    for (key, value) in table_map {
        if let serde_json::Value::Object(sub) = value {
            let sub_name = if name.is_empty() {
                key.clone()
            } else {
                format!("{name}.{key}")
            };
            table(out, &sub_name, sub);
        }
    }
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}
