//! Drupal 7's non-clean URLs: `/?q=PATH` and `/index.php?q=PATH` name the page at `/PATH`,
//! and jDrupal 7 (under DrupalGap) and many jQuery and Android apps build every request that
//! way. The path is rewritten before routing, and only for what latch serves in Drupal 7's
//! name: the Services endpoint, `services/session/token` and the one-time login links. The
//! rest of the query string goes along unchanged.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Config;

/// Longest `q` taken: Drupal paths are short, and a longer one is a probe.
pub const MAX_QUERY_PATH: usize = 1024;

/// The paths, without slashes at either end, that `q` may name, with everything under them.
#[derive(Clone)]
pub struct QueryPaths(Arc<[String]>);

impl QueryPaths {
    pub fn new(config: &Config) -> Self {
        let mut paths = vec!["user/reset".to_string()];
        if config.services.enabled {
            paths.push(config.services.endpoint.clone());
            paths.push("services/session/token".to_string());
        }
        Self(paths.into())
    }

    fn serves(&self, path: &str) -> bool {
        self.0.iter().any(|served| {
            path.strip_prefix(served.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// Rewrites a `?q=` path in front of routing: the middleware, with [`QueryPaths`] as state.
pub async fn rewrite(
    State(paths): State<QueryPaths>,
    mut request: Request,
    next: Next,
) -> Response {
    let uri = request.uri();
    if !matches!(uri.path(), "/" | "/index.php") {
        return next.run(request).await;
    }
    match rewritten(&paths, uri) {
        Ok(Some(uri)) => {
            *request.uri_mut() = uri;
            next.run(request).await
        }
        // No `q`, or one naming nothing served here: the request goes on as it came, to the
        // usual 404.
        Ok(None) => next.run(request).await,
        Err((status, message)) => super::services::refusal(status, &message),
    }
}

/// The URI `q` names, with the other parameters kept as they were sent.
fn rewritten(paths: &QueryPaths, uri: &Uri) -> Result<Option<Uri>, (StatusCode, String)> {
    let Some(query) = uri.query() else {
        return Ok(None);
    };
    let mut path = None;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        let key = pair.split('=').next().unwrap_or_default();
        if decoded(key).as_deref() == Some("q") {
            // PHP's $_GET keeps the last of repeated parameters.
            let value = pair.split_once('=').map(|(_, v)| v).unwrap_or_default();
            path = Some(decoded(value).ok_or_else(|| {
                (
                    StatusCode::BAD_REQUEST,
                    "The q parameter is not valid percent-encoded UTF-8.".to_string(),
                )
            })?);
        } else if !pair.is_empty() {
            rest.push(pair);
        }
    }
    let Some(path) = path else {
        return Ok(None);
    };
    let path = checked(&path)?;
    if path.is_empty() || !paths.serves(path) {
        return Ok(None);
    }
    let target = if rest.is_empty() {
        format!("/{path}")
    } else {
        format!("/{path}?{}", rest.join("&"))
    };
    target.parse::<Uri>().map(Some).map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            "The query string cannot be combined with the q path.".to_string(),
        )
    })
}

fn decoded(text: &str) -> Option<String> {
    let plus_as_space = text.replace('+', " ");
    percent_decoded(&plus_as_space)
}

/// `%XX` escapes decoded; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `q` as a path on this site, without slashes at either end (as Drupal 7's `request_path`
/// trims them), or why it is refused.
fn checked(path: &str) -> Result<&str, (StatusCode, String)> {
    let refuse = |message: &str| Err((StatusCode::BAD_REQUEST, message.to_string()));
    if path.len() > MAX_QUERY_PATH {
        return Err((
            StatusCode::URI_TOO_LONG,
            format!(
                "The q path is {} bytes long; the limit is {MAX_QUERY_PATH}.",
                path.len()
            ),
        ));
    }
    let first = path.split('/').next().unwrap_or_default();
    if path.starts_with("//") || path.contains("://") || first.contains(':') {
        return refuse(
            "The q parameter must be a path on this site, such as q=services/session/token, \
             not a URL.",
        );
    }
    let path = path.trim_matches('/');
    if path
        .split('/')
        .any(|segment| matches!(segment, "." | ".." | ""))
        && !path.is_empty()
    {
        return refuse(
            "The q path must not contain empty, . or .. segments; send the path itself, such \
             as q=services/session/token.",
        );
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c);
    if !path.chars().all(allowed) {
        return refuse(
            "The q path may hold only letters, digits, / and - . _ ~ ! $ & ' ( ) * + , ; = : @.",
        );
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> QueryPaths {
        QueryPaths(vec!["rest".into(), "services/session/token".into()].into())
    }

    fn rewrite(uri: &str) -> Result<Option<String>, StatusCode> {
        rewritten(&paths(), &uri.parse().unwrap())
            .map(|uri| uri.map(|u| u.to_string()))
            .map_err(|(status, _)| status)
    }

    #[test]
    fn served_paths_are_rewritten_with_the_rest_of_the_query() {
        assert_eq!(
            rewrite("/?q=services/session/token"),
            Ok(Some("/services/session/token".into()))
        );
        assert_eq!(
            rewrite("/index.php?a=1&q=rest%2Fuser%2Flogin.json&b=x%20y&q=rest/user/token"),
            Ok(Some("/rest/user/token?a=1&b=x%20y".into()))
        );
        assert_eq!(rewrite("/?q=/rest/"), Ok(Some("/rest".into())));
    }

    #[test]
    fn other_paths_are_left_alone() {
        for uri in [
            "/",
            "/?a=1",
            "/?q=",
            "/?q=node/1",
            "/?q=restful/x",
            "/?q=latch/verify",
        ] {
            assert_eq!(rewrite(uri), Ok(None), "{uri}");
        }
    }

    #[test]
    fn urls_traversal_odd_characters_and_long_paths_are_refused() {
        for uri in [
            "/?q=../rest",
            "/?q=rest/../latch/verify",
            "/?q=rest/%2e%2e/x",
            "/?q=http://evil.example/rest",
            "/?q=//evil.example/rest",
            "/?q=javascript:alert(1)",
            "/?q=rest//user",
            "/?q=rest/user%3Fx",
            "/?q=rest/%E9",
            "/?q=rest/%zz",
        ] {
            assert_eq!(rewrite(uri), Err(StatusCode::BAD_REQUEST), "{uri}");
        }
        let long = format!("/?q=rest/{}", "a".repeat(MAX_QUERY_PATH));
        assert_eq!(rewrite(&long), Err(StatusCode::URI_TOO_LONG));
    }
}
