//! Response formats: chosen by the path suffix (`login.json`, `1.xml`) or else by `Accept`,
//! and the Services formatters' output: JSON with scalars wrapped in a one-element array, XML
//! under `<result>` with numeric keys as `<item>` and lists marked `is_array="true"`.

use axum::http::header::{ACCEPT, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ServicesError;

/// Suffixes the Services module knows; only JSON and XML are served.
const KNOWN_SUFFIXES: &[&str] = &["json", "xml", "jsonp", "php", "bencode", "yaml"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Splits a format suffix off the last path segment: `user/login.json` → (`user/login`, json).
pub fn split_suffix(path: &str) -> (&str, Option<&str>) {
    let last_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[last_start..].rsplit_once('.') {
        Some((_, ext)) if KNOWN_SUFFIXES.contains(&ext) => {
            (&path[..path.len() - ext.len() - 1], Some(ext))
        }
        _ => (path, None),
    }
}

impl Format {
    /// The suffix wins; else the most preferred acceptable type; no `Accept` means JSON.
    pub fn negotiate(suffix: Option<&str>, headers: &HeaderMap) -> Result<Self, ServicesError> {
        let unsupported = || {
            ServicesError::before_controller(
                StatusCode::NOT_ACCEPTABLE,
                "Unknown or unsupported response format.",
            )
        };
        match suffix {
            Some("json") => return Ok(Format::Json),
            Some("xml") => return Ok(Format::Xml),
            Some(_) => return Err(unsupported()),
            None => {}
        }
        let accept: Vec<&str> = headers
            .get_all(ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let accept = accept.join(",");
        if accept.trim().is_empty() {
            return Ok(Format::Json);
        }
        let mut ranges: Vec<(f32, &str)> = accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let media = parts.next()?.trim();
                let q = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0 && !media.is_empty()).then_some((q, media))
            })
            .collect();
        // Stable: among equal weights the client's order stands.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .iter()
            .find_map(|(_, media)| match media.to_ascii_lowercase().as_str() {
                "application/json" | "text/javascript" | "application/*" | "*/*" | "*" => {
                    Some(Format::Json)
                }
                "application/xml" | "text/xml" | "text/*" => Some(Format::Xml),
                _ => None,
            })
            .ok_or_else(unsupported)
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml; charset=utf-8",
        }
    }

    pub fn render(self, status: StatusCode, value: &Value) -> Response {
        let body = match self {
            Format::Json => json_body(value),
            Format::Xml => xml_body(value),
        };
        (
            status,
            [
                (CONTENT_TYPE, HeaderValue::from_static(self.content_type())),
                (VARY, HeaderValue::from_static("Accept")),
            ],
            body,
        )
            .into_response()
    }

    pub fn empty(self, status: StatusCode) -> Response {
        (status, [(VARY, HeaderValue::from_static("Accept"))]).into_response()
    }
}

/// Scalars go out as one-element arrays (`true` → `[true]`), as the JSON formatter wraps them.
fn json_body(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => value.to_string(),
        scalar => Value::Array(vec![scalar.clone()]).to_string(),
    }
}

fn xml_body(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_element(&mut out, "result", value);
    out.push('\n');
    out
}

fn write_element(out: &mut String, name: &str, value: &Value) {
    let is_array = match value {
        Value::Array(_) => true,
        Value::Object(map) => !map.is_empty() && map.keys().all(|k| k.parse::<u64>().is_ok()),
        _ => false,
    };
    out.push('<');
    out.push_str(name);
    if is_array {
        out.push_str(" is_array=\"true\"");
    }
    out.push('>');
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                write_element(out, &element_name(key), child);
            }
        }
        Value::Array(items) => {
            for child in items {
                write_element(out, "item", child);
            }
        }
        Value::String(s) => out.push_str(&quick_xml::escape::escape(s.as_str())),
        Value::Number(n) => out.push_str(&n.to_string()),
        // PHP prints true as 1 and false and null as nothing.
        Value::Bool(true) => out.push('1'),
        Value::Bool(false) | Value::Null => {}
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Numeric keys, and keys that are no XML name, become `<item>`.
fn element_name(key: &str) -> String {
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !key.to_ascii_lowercase().starts_with("xml");
    if valid {
        key.to_string()
    } else {
        "item".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, value.parse().unwrap());
        h
    }

    #[test]
    fn the_suffix_is_split_from_the_last_segment_only() {
        assert_eq!(
            split_suffix("user/login.json"),
            ("user/login", Some("json"))
        );
        assert_eq!(split_suffix("user/1.xml"), ("user/1", Some("xml")));
        assert_eq!(split_suffix("user/login"), ("user/login", None));
        assert_eq!(split_suffix("a.json/login"), ("a.json/login", None));
        assert_eq!(split_suffix("user/bob.smith"), ("user/bob.smith", None));
    }

    #[test]
    fn the_suffix_wins_over_accept() {
        let h = accept("application/xml");
        assert_eq!(Format::negotiate(Some("json"), &h).unwrap(), Format::Json);
        assert_eq!(Format::negotiate(None, &h).unwrap(), Format::Xml);
        assert!(Format::negotiate(Some("yaml"), &h).is_err());
    }

    #[test]
    fn accept_is_weighed_and_defaults_to_json() {
        assert_eq!(
            Format::negotiate(None, &HeaderMap::new()).unwrap(),
            Format::Json
        );
        let h = accept("application/json;q=0.5, text/xml");
        assert_eq!(Format::negotiate(None, &h).unwrap(), Format::Xml);
        assert_eq!(
            Format::negotiate(None, &accept("*/*")).unwrap(),
            Format::Json
        );
        assert!(Format::negotiate(None, &accept("image/png")).is_err());
        assert!(Format::negotiate(None, &accept("application/xml;q=0")).is_err());
    }

    #[test]
    fn json_wraps_scalars() {
        assert_eq!(json_body(&json!(true)), "[true]");
        assert_eq!(json_body(&json!("x")), "[\"x\"]");
        assert_eq!(json_body(&json!({"a": "/"})), "{\"a\":\"/\"}");
    }

    #[test]
    fn xml_marks_lists_and_numeric_keys() {
        let body = xml_body(
            &json!({"uid": "3", "roles": {"2": "authenticated user"}, "l": ["a<b"], "ok": true}),
        );
        assert!(body.contains("<result><uid>3</uid>"), "{body}");
        assert!(
            body.contains("<roles is_array=\"true\"><item>authenticated user</item></roles>"),
            "{body}"
        );
        assert!(
            body.contains("<l is_array=\"true\"><item>a&lt;b</item></l><ok>1</ok></result>"),
            "{body}"
        );
    }
}
