//! Request size limits that hyper leaves too generous for a login server.

use axum::http::HeaderMap;

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
}
