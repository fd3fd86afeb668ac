//! Request bodies in every encoding the Services REST server parses, by `Content-Type`: JSON,
//! XML, `multipart/form-data` (what PHP's curl sends for an array of fields) and, when enabled,
//! `application/x-www-form-urlencoded`. Form field names use PHP's array syntax
//! (`account[name]`, `roles[]`), which becomes nested objects. Every encoding refuses nesting
//! deeper than [`MAX_NESTING`] with a 400.

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::error::ServicesError;
use super::php_fields::PhpFields;
use crate::http::form::{FormError, essence, multipart_pairs, urlencoded_pairs};
use crate::http::limits::{MAX_NESTING, json_too_deep, too_deep};

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
    if let Some(reason) = json_too_deep(body) {
        return Err(ServicesError::new(StatusCode::BAD_REQUEST, reason));
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
    let mut fields = PhpFields::default();
    for (name, value) in pairs {
        fields
            .insert(&name, value)
            .map_err(|_| ServicesError::new(StatusCode::BAD_REQUEST, too_deep()))?;
    }
    Ok(fields.into_map())
}

/// An XML document's root children as fields: nested elements become objects, repeated names
/// lists, and text content strings. The open elements are kept on a heap stack, not the call
/// stack, and may nest no deeper than [`MAX_NESTING`].
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
                if stack.len() == MAX_NESTING {
                    return Err(ServicesError::new(StatusCode::BAD_REQUEST, too_deep()));
                }
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
    fn xml_fields_nest_and_unescape() {
        let body = b"<?xml version=\"1.0\"?><data><name>bo&amp;b</name><pass><pass1>x</pass1></pass><r>1</r><r>2</r><e/></data>";
        assert_eq!(
            Value::Object(xml(body).unwrap()),
            json!({"name": "bo&b", "pass": {"pass1": "x"}, "r": ["1", "2"], "e": ""})
        );
        assert!(xml(b"<data><name>x</data>").is_err());
        assert!(xml(b"not xml").is_err());
    }

    fn nested_xml(depth: usize) -> Vec<u8> {
        format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth)).into_bytes()
    }

    #[test]
    fn xml_nested_up_to_the_limit_parses_and_deeper_is_refused() {
        assert!(xml(&nested_xml(MAX_NESTING)).is_ok());
        for depth in [MAX_NESTING + 1, 40_000] {
            let error = xml(&nested_xml(depth)).unwrap_err();
            assert!(
                format!("{error:?}").contains("more than 64 levels"),
                "{error:?}"
            );
        }
    }

    #[test]
    fn deep_json_is_refused_with_a_clear_message() {
        let deep = format!("{}1{}", "{\"a\":".repeat(65), "}".repeat(65));
        let error = json(deep.as_bytes()).unwrap_err();
        assert!(
            format!("{error:?}").contains("more than 64 levels"),
            "{error:?}"
        );
    }

    #[test]
    fn json_must_parse() {
        assert!(json(b"{\"a\":1").is_err());
        assert_eq!(json(b"  ").unwrap(), Map::new());
        assert_eq!(json(b"[1]").unwrap(), Map::new());
    }

    /// Every body encoding the dialect reads, with arbitrary and half-valid bodies: each
    /// parses or is refused, and none panics. Well-formed bodies nested to any depth parse
    /// up to the limit and are refused with a 400 past it (a stack overflow aborts the run).
    mod properties {
        use super::*;
        use axum::http::HeaderValue;
        use proptest::prelude::*;

        use crate::http::services::format::Format;
        use crate::http::services::php_fields::PhpFields;

        /// A well-formed body in one encoding whose single field nests `depth` levels deep.
        fn nested_body(shape: usize, depth: usize) -> (&'static str, String) {
            match shape {
                0 => (
                    "application/json",
                    format!(
                        "{{\"a\":{}1{}}}",
                        "[".repeat(depth - 1),
                        "]".repeat(depth - 1)
                    ),
                ),
                1 => (
                    "application/json",
                    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
                ),
                2 => (
                    "application/xml",
                    format!(
                        "<data>{}x{}</data>",
                        "<a>".repeat(depth),
                        "</a>".repeat(depth)
                    ),
                ),
                3 => (URLENCODED, format!("a{}=1", "[b]".repeat(depth))),
                _ => (
                    "multipart/form-data; boundary=XyZ",
                    format!(
                        "--XyZ\r\nContent-Disposition: form-data; name=\"a{}\"\r\n\r\n1\r\n--XyZ--\r\n",
                        "[]".repeat(depth)
                    ),
                ),
            }
        }

        const TYPES: [&str; 7] = [
            "application/json",
            "application/xml",
            "text/xml; charset=utf-8",
            "multipart/form-data; boundary=XyZ",
            "multipart/form-data",
            URLENCODED,
            "text/plain",
        ];
        const SEEDS: [&str; 9] = [
            "{\"name\":",
            "[1,2,{",
            "<?xml version=\"1.0\"?><data><name>",
            "<a><b><c></b>",
            "--XyZ\r\nContent-Disposition: form-data; name=\"account[name]\"\r\n\r\n",
            "account[pass][pass1]=a&roles[]=",
            "a[b][c][d][e][f][g][h][i][j][k]=1&a[]=",
            "a[][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][][]=1&a[]=",
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
            fn well_formed_bodies_are_read_up_to_the_nesting_limit_and_refused_with_a_400_past_it(
                shape in 0..5usize,
                depth in prop_oneof![1..=MAX_NESTING + 2, 1..40_000usize],
            ) {
                let (content_type, body) = nested_body(shape, depth);
                let mut headers = HeaderMap::new();
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
                let parsed = runtime.block_on(parse(&headers, Bytes::from(body), true));
                // The XML root element is one level more than the JSON and form shapes.
                let limit = if shape == 2 { MAX_NESTING - 1 } else { MAX_NESTING };
                match parsed {
                    Ok(fields) => prop_assert!(depth <= limit, "depth {depth}: {fields:?}"),
                    Err(e) => {
                        prop_assert!(depth > limit, "depth {depth}: {e:?}");
                        prop_assert_eq!(e.render(Format::Json).status(), StatusCode::BAD_REQUEST);
                    }
                }
            }

            #[test]
            fn php_field_names_of_any_shape_nest_without_panicking(
                names in prop::collection::vec(any::<String>(), 0..8),
            ) {
                let mut fields = PhpFields::default();
                for name in &names {
                    let _ = fields.insert(name, "v".into());
                }
                drop(fields.into_map());
            }
        }
    }
}
