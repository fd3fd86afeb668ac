//! Request bodies in every encoding the Services REST server parses, by `Content-Type`: JSON,
//! XML, `multipart/form-data` (what PHP's curl sends for an array of fields) and, when enabled,
//! `application/x-www-form-urlencoded`. Form field names use PHP's array syntax
//! (`account[name]`, `roles[]`), which becomes nested objects.

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::error::ServicesError;
use crate::http::form::{FormError, essence, multipart_pairs, urlencoded_pairs};

const URLENCODED: &str = "application/x-www-form-urlencoded";

/// The body's fields. A missing `Content-Type` counts as urlencoded, as in the module.
pub async fn parse(
    headers: &HeaderMap,
    body: Bytes,
    urlencoded: bool,
) -> Result<Map<String, Value>, ServicesError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or(URLENCODED);
    let essence = essence(content_type);
    match essence.as_str() {
        "application/json" => json(&body),
        "application/xml" | "text/xml" => xml(&body),
        "multipart/form-data" => multipart(content_type, body).await,
        URLENCODED if urlencoded => form(&body),
        _ => Err(ServicesError::not_acceptable(format!(
            "Unsupported request content type {essence}"
        ))),
    }
}

fn json(body: &[u8]) -> Result<Map<String, Value>, ServicesError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        // A list or a scalar carries no named arguments.
        Ok(_) => Ok(Map::new()),
        Err(_) => Err(ServicesError::new(StatusCode::BAD_REQUEST, "Invalid JSON.")),
    }
}

fn form(body: &[u8]) -> Result<Map<String, Value>, ServicesError> {
    fields(urlencoded_pairs(body))
}

async fn multipart(content_type: &str, body: Bytes) -> Result<Map<String, Value>, ServicesError> {
    fields(multipart_pairs(content_type, body).await)
}

fn fields(
    pairs: Result<Vec<(String, String)>, FormError>,
) -> Result<Map<String, Value>, ServicesError> {
    let pairs = pairs.map_err(|e| ServicesError::new(StatusCode::BAD_REQUEST, e.message()))?;
    let mut map = Map::new();
    for (key, value) in pairs {
        insert_php_field(&mut map, &key, value);
    }
    Ok(map)
}

/// Stores `value` under a PHP-style field name: `a[b][c]` nests, `a[]` appends.
fn insert_php_field(map: &mut Map<String, Value>, name: &str, value: String) {
    let (base, mut rest) = match name.find('[') {
        Some(i) if i > 0 && name.ends_with(']') => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut keys = vec![base.to_string()];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else { break };
        keys.push(stripped[..end].to_string());
        rest = &stripped[end + 1..];
    }
    let mut current = map;
    let last = keys.len() - 1;
    for (i, key) in keys.into_iter().enumerate() {
        let key = if key.is_empty() {
            next_index(current)
        } else {
            key
        };
        if i == last {
            current.insert(key, Value::String(value));
            return;
        }
        let slot = current
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        current = next;
    }
}

/// PHP's next numeric key for `a[]`.
fn next_index(map: &Map<String, Value>) -> String {
    map.keys()
        .filter_map(|k| k.parse::<u64>().ok())
        .max()
        .map_or(0, |n| n + 1)
        .to_string()
}

/// An XML document's root children as fields: nested elements become objects, repeated names
/// lists, and text content strings.
fn xml(body: &[u8]) -> Result<Map<String, Value>, ServicesError> {
    let invalid = || ServicesError::new(StatusCode::BAD_REQUEST, "Invalid XML.");
    let text = std::str::from_utf8(body).map_err(|_| invalid())?;
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    let mut reader = quick_xml::Reader::from_str(text);
    // Each open element: its name, child fields and text.
    let mut stack: Vec<(String, Map<String, Value>, String)> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        match reader.read_event().map_err(|_| invalid())? {
            Event::Start(start) => {
                let name = start.name().into_inner().to_string();
                stack.push((name, Map::new(), String::new()));
            }
            Event::Empty(start) => {
                let name = start.name().into_inner().to_string();
                match stack.last_mut() {
                    Some((_, children, _)) => {
                        add_child(children, name, Value::String(String::new()))
                    }
                    None => root = Some(Value::Object(Map::new())),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.into_inner()),
            Event::CData(t) => push_text(&mut stack, &t.into_inner()),
            Event::GeneralRef(r) => {
                let entity = format!("&{};", r.into_inner());
                let resolved = quick_xml::escape::unescape(&entity).map_err(|_| invalid())?;
                push_text(&mut stack, &resolved);
            }
            Event::End(_) => {
                let (name, children, text) = stack.pop().ok_or_else(invalid)?;
                let value = if children.is_empty() {
                    Value::String(text.trim().to_string())
                } else {
                    Value::Object(children)
                };
                match stack.last_mut() {
                    Some((_, parent, _)) => add_child(parent, name, value),
                    None => root = Some(value),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(invalid());
    }
    match root {
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Ok(Map::new()),
        None => Err(invalid()),
    }
}

fn push_text(stack: &mut [(String, Map<String, Value>, String)], text: &str) {
    if let Some((_, _, buffer)) = stack.last_mut() {
        buffer.push_str(text);
    }
}

/// A repeated element name turns the field into a list.
fn add_child(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        None => {
            map.insert(name, value);
        }
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_field_names_nest() {
        let mut map = Map::new();
        insert_php_field(&mut map, "account[name]", "bob".into());
        insert_php_field(&mut map, "account[pass][pass1]", "p".into());
        insert_php_field(&mut map, "roles[]", "editor".into());
        insert_php_field(&mut map, "roles[]", "admin".into());
        insert_php_field(&mut map, "plain", "x".into());
        insert_php_field(&mut map, "odd[", "y".into());
        assert_eq!(
            Value::Object(map),
            json!({"account": {"name": "bob", "pass": {"pass1": "p"}},
                   "roles": {"0": "editor", "1": "admin"}, "plain": "x", "odd[": "y"})
        );
    }

    #[test]
    fn xml_fields_nest_and_unescape() {
        let body = b"<?xml version=\"1.0\"?><data><name>bo&amp;b</name><pass><pass1>x</pass1></pass><r>1</r><r>2</r><e/></data>";
        assert_eq!(
            Value::Object(xml(body).unwrap()),
            json!({"name": "bo&b", "pass": {"pass1": "x"}, "r": ["1", "2"], "e": ""})
        );
        assert!(xml(b"<data><name>x</data>").is_err());
        assert!(xml(b"not xml").is_err());
    }

    #[test]
    fn json_must_parse() {
        assert!(json(b"{\"a\":1").is_err());
        assert_eq!(json(b"  ").unwrap(), Map::new());
        assert_eq!(json(b"[1]").unwrap(), Map::new());
    }

    /// Every body encoding the dialect reads, with arbitrary and half-valid bodies: each
    /// parses or is refused, and none panics.
    mod properties {
        use super::*;
        use axum::http::HeaderValue;
        use proptest::prelude::*;

        const TYPES: [&str; 7] = [
            "application/json",
            "application/xml",
            "text/xml; charset=utf-8",
            "multipart/form-data; boundary=XyZ",
            "multipart/form-data",
            URLENCODED,
            "text/plain",
        ];
        const SEEDS: [&str; 8] = [
            "{\"name\":",
            "[1,2,{",
            "<?xml version=\"1.0\"?><data><name>",
            "<a><b><c></b>",
            "--XyZ\r\nContent-Disposition: form-data; name=\"account[name]\"\r\n\r\n",
            "account[pass][pass1]=a&roles[]=",
            "a[b][c][d][e][f][g][h][i][j][k]=1&a[]=",
            "",
        ];

        fn body() -> impl Strategy<Value = Vec<u8>> {
            let seeded = (prop::sample::select(&SEEDS[..]), any::<String>())
                .prop_map(|(seed, tail)| format!("{seed}{tail}").into_bytes());
            prop_oneof![seeded, prop::collection::vec(any::<u8>(), 0..512)]
        }

        proptest! {
            #[test]
            fn no_body_makes_the_parser_panic(
                content_type in prop::sample::select(&TYPES[..]),
                body in body(),
                urlencoded in any::<bool>(),
            ) {
                let mut headers = HeaderMap::new();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let _ = runtime.block_on(parse(&headers, Bytes::from(body), urlencoded));
            }

            #[test]
            fn php_field_names_of_any_shape_nest_without_panicking(
                names in prop::collection::vec(any::<String>(), 0..8),
            ) {
                let mut map = Map::new();
                for name in &names {
                    insert_php_field(&mut map, name, "v".into());
                }
            }
        }
    }
}
