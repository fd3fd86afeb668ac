//! Reading the proxy's report of the original request (`X-Forwarded-Proto`, `-Host`, `-Uri`,
//! nginx's `X-Original-URI`), and writing account data into response headers.

use axum::http::{HeaderMap, HeaderValue};

use crate::core::forward_auth::{OriginalRequest, normalise_path};

/// `text` as a header value: UTF-8 bytes outside visible ASCII (spaces, control characters,
/// non-ASCII letters) and `%` itself percent-encoded, so any name or address fits a header
/// unharmed and decodes back with `decodeURIComponent` or `urllib.parse.unquote`.
pub fn header_text(text: &str) -> HeaderValue {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_graphic() && byte != b'%' {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&out).expect("visible ASCII is a valid header value")
}

/// What the proxy says about the request it guards.
pub struct Forwarded {
    pub original: OriginalRequest,
    /// The original URL, to return to after logging in; only when the report is whole.
    pub url: Option<String>,
}

/// The single value of `name`, `Err` if it is sent more than once or is not visible ASCII:
/// such a header cannot be trusted to name one request.
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, ()> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(());
    }
    first
        .map(|v| v.to_str().map(str::trim).map_err(|_| ()))
        .transpose()
}

/// Reads the report, which only a trusted proxy may make: from anyone else it is ignored, as
/// its `X-Forwarded-For` is.
pub fn forwarded(headers: &HeaderMap, from_trusted_proxy: bool) -> Forwarded {
    let unknown = Forwarded {
        original: OriginalRequest::Known {
            host: None,
            path: None,
        },
        url: None,
    };
    if !from_trusted_proxy {
        return unknown;
    }
    read(headers).unwrap_or(Forwarded {
        original: OriginalRequest::Unreadable,
        url: None,
    })
}

fn read(headers: &HeaderMap) -> Result<Forwarded, ()> {
    let host = single(headers, "x-forwarded-host")?;
    if host.is_some_and(|h| h.is_empty() || h.contains([',', '/', '@', '\\'])) {
        return Err(());
    }
    // nginx sends the URI as X-Original-URI, Traefik and Caddy as X-Forwarded-Uri. A proxy
    // passes on what the client sent under the other name, so two that differ are refused.
    let uri = match (
        single(headers, "x-original-uri")?,
        single(headers, "x-forwarded-uri")?,
    ) {
        (Some(a), Some(b)) if a != b => return Err(()),
        (a, b) => a.or(b),
    };
    let path = uri.map(|u| normalise_path(u).ok_or(())).transpose()?;
    let proto = single(headers, "x-forwarded-proto")?;
    let url = match (proto, host, uri) {
        (Some(proto @ ("http" | "https")), Some(host), Some(uri)) => {
            Some(format!("{proto}://{host}{uri}"))
        }
        _ => None,
    };
    Ok(Forwarded {
        original: OriginalRequest::Known {
            host: host.map(|h| without_port(h).to_ascii_lowercase()),
            path,
        },
        url,
    })
}

fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_keeps_plain_ascii_and_encodes_the_rest() {
        assert_eq!(header_text("alice_1"), "alice_1");
        assert_eq!(header_text("Zoë O'Brien"), "Zo%C3%AB%20O'Brien");
        assert_eq!(header_text("a\r\nX-Evil: 1"), "a%0D%0AX-Evil:%201");
        assert_eq!(header_text("100%"), "100%25");
    }

    #[test]
    fn a_report_naming_two_requests_is_unreadable() {
        let mut headers = HeaderMap::new();
        headers.insert("x-original-uri", HeaderValue::from_static("/admin"));
        headers.insert("x-forwarded-uri", HeaderValue::from_static("/public"));
        assert_eq!(
            forwarded(&headers, true).original,
            OriginalRequest::Unreadable
        );
        // From a peer that is no trusted proxy, the headers are not read at all.
        assert_eq!(
            forwarded(&headers, false).original,
            OriginalRequest::Known {
                host: None,
                path: None
            }
        );
    }
}
