//! Request URIs as they may appear in logs. Query strings carry logout tokens, CSRF tokens
//! (`services_token`) and session flags, and one-time login links carry their secret in the
//! path, so a log line shows the shape of a request and none of its secrets.

use axum::http::Uri;

const REDACTED: &str = "[redacted]";

/// Query parameters whose values say nothing secret and help read a log.
const PLAIN_PARAMETERS: &[&str] = &["_format", "q"];

/// The URI with every secret replaced: query values (but for [`PLAIN_PARAMETERS`]) and the
/// secret of a mailed link (`/user/reset/{uid}/{timestamp}/{hash}`, dj-rest-auth's
/// `…/password/reset/confirm/{uid}/{token}/`).
pub fn redacted_uri(uri: &Uri) -> String {
    let mut out = redacted_path(uri.path());
    if let Some(query) = uri.query() {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if PLAIN_PARAMETERS.contains(&name) => pair.to_string(),
                Some((name, _)) => format!("{name}={REDACTED}"),
                None => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

fn redacted_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    // ["", "user", "reset", uid, timestamp, hash, …]
    if segments.len() >= 6 && segments[1] == "user" && segments[2] == "reset" {
        let mut kept = segments.clone();
        kept[5] = REDACTED;
        return kept.join("/");
    }
    // dj-rest-auth's mailed link, `…/password/reset/confirm/{uid}/{token}/`.
    if let Some(at) = path.find("/password/reset/confirm/") {
        let (head, tail) = path.split_at(at + "/password/reset/confirm/".len());
        let mut tail: Vec<&str> = tail.split('/').collect();
        if let Some(token) = tail.get_mut(1).filter(|t| !t.is_empty()) {
            *token = REDACTED;
        }
        return format!("{head}{}", tail.join("/"));
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(uri: &str) -> String {
        redacted_uri(&uri.parse().unwrap())
    }

    #[test]
    fn query_values_are_redacted_but_the_format() {
        assert_eq!(
            redact("/user/logout?_format=json&token=abc123"),
            "/user/logout?_format=json&token=[redacted]"
        );
        assert_eq!(
            redact("/rest/system/connect?services_token=s3cr3t&flag"),
            "/rest/system/connect?services_token=[redacted]&flag"
        );
    }

    #[test]
    fn one_time_link_hashes_are_redacted() {
        assert_eq!(
            redact("/user/reset/5/1767225600/AbCxyz/login"),
            "/user/reset/5/1767225600/[redacted]/login"
        );
        assert_eq!(
            redact("/user/reset/5/1767225600/AbCxyz?_format=json"),
            "/user/reset/5/1767225600/[redacted]?_format=json"
        );
        assert_eq!(redact("/user/5"), "/user/5");
        assert_eq!(
            redact("/dj-rest-auth/password/reset/confirm/MQ/cd9x-abc/"),
            "/dj-rest-auth/password/reset/confirm/MQ/[redacted]/"
        );
    }
}
