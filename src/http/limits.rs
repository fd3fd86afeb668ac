//! Request limits that hyper and the parsers leave too generous for a login server: header
//! size, how deeply a body may nest and how many fields a form may carry.

use axum::http::HeaderMap;

/// The deepest nesting accepted in any body: JSON arrays and objects, XML elements, PHP-style
/// field names (`a[b][c]`). PHP's `max_input_nesting_level` default; no login client comes
/// close. Every parser that builds nested values checks it, because a deep value overflows the
/// stack when it is built, dropped or rendered, and a stack overflow aborts the whole process.
pub const MAX_NESTING: usize = 64;

/// The most fields a form body may carry: PHP's `max_input_vars` and Django's
/// `DATA_UPLOAD_MAX_NUMBER_FIELDS` default.
pub const MAX_FIELDS: usize = 1000;

/// Why the request's headers are refused, or `None` if their total size is within `limit`.
pub fn oversized_headers(headers: &HeaderMap, limit: usize) -> Option<String> {
    // Name, value and the ": " and CRLF around them, as on the wire.
    let total: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (total > limit).then(|| {
        format!("The request headers total {total} bytes; the limit is {limit}. Send fewer or smaller cookies and headers.")
    })
}

/// The refusal of a body nested deeper than [`MAX_NESTING`].
pub fn too_deep() -> String {
    format!("The request body is nested more than {MAX_NESTING} levels deep. Send flatter data.")
}

/// The refusal of a form body with more than [`MAX_FIELDS`] fields.
pub fn too_many_fields() -> String {
    format!("The request body has more than {MAX_FIELDS} fields. Send fewer fields.")
}

/// Why a JSON body is refused before it is parsed: arrays and objects nested deeper than
/// [`MAX_NESTING`]. One linear pass over the bytes, so every dialect refuses such bodies alike
/// and with a clear message; serde_json's own limit (128) stays as a backstop.
pub fn json_too_deep(body: &[u8]) -> Option<String> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(too_deep());
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_over_the_limit_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert("x-small", "a".parse().unwrap());
        assert_eq!(oversized_headers(&headers, 1024), None);
        headers.insert("x-big", "a".repeat(2000).parse().unwrap());
        assert!(
            oversized_headers(&headers, 1024)
                .unwrap()
                .contains("limit is 1024")
        );
    }

    fn nested(depth: usize) -> String {
        format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn json_nested_up_to_the_limit_passes_and_deeper_is_refused() {
        assert_eq!(json_too_deep(nested(MAX_NESTING).as_bytes()), None);
        assert!(
            json_too_deep(nested(MAX_NESTING + 1).as_bytes())
                .unwrap()
                .contains("more than 64 levels")
        );
        let objects = format!("{}{}", "{\"a\":".repeat(65), "}".repeat(65));
        assert!(json_too_deep(objects.as_bytes()).is_some());
        // Unclosed nesting counts as well: it is refused before serde_json sees it.
        assert!(json_too_deep("[".repeat(32_000).as_bytes()).is_some());
    }

    #[test]
    fn brackets_inside_json_strings_do_not_count() {
        let body = format!(r#"{{"pass": "{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert_eq!(json_too_deep(body.as_bytes()), None);
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
    }

    /// The backstop: serde_json refuses deep documents itself (its `unbounded_depth` feature,
    /// which any crate in the build could switch on, would remove that), and a value nested
    /// deeper than ours allows is dropped without trouble.
    #[test]
    fn serde_json_refuses_deep_documents_on_its_own() {
        let error = serde_json::from_str::<serde_json::Value>(&nested(200)).unwrap_err();
        assert!(error.to_string().contains("recursion limit"), "{error}");
        let deepest = serde_json::from_str::<serde_json::Value>(&nested(100)).unwrap();
        drop(deepest);
    }

    /// Well-formed JSON of any depth, mixing arrays, objects and strings full of brackets:
    /// refused exactly when deeper than the limit, and parsed by serde_json otherwise, so
    /// the refusal guards every dialect's JSON without turning valid bodies away.
    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn document(layers: &[bool], filler: &str) -> String {
            let text = serde_json::to_string(filler).unwrap();
            let mut body = String::new();
            for &object in layers {
                body.push_str(&if object {
                    format!("{{{text}:")
                } else {
                    format!("[{text},")
                });
            }
            body.push_str(&text);
            for &object in layers.iter().rev() {
                body.push(if object { '}' } else { ']' });
            }
            body
        }

        proptest! {
            #[test]
            fn json_is_refused_exactly_when_nested_past_the_limit(
                layers in prop_oneof![
                    prop::collection::vec(any::<bool>(), 0..=MAX_NESTING + 2),
                    prop::collection::vec(any::<bool>(), 0..3000),
                ],
                filler in "[\\[\\]{}\"\\\\a-z]{0,8}",
            ) {
                let body = document(&layers, &filler);
                let refused = json_too_deep(body.as_bytes()).is_some();
                prop_assert_eq!(refused, layers.len() > MAX_NESTING);
                if !refused {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
                }
            }
        }
    }
}
