//! Who may use the console and how its forms are checked: the `Admin` extractor (an
//! administrator's live session, else a redirect to the login page, 401 or 403), and
//! `AdminForm`, which also screens the request's origin and checks the form's CSRF token.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

use super::AdminState;
use super::page::failure;
use crate::core::{ClientContext, CurrentSession};
use crate::http::Visitor;
use crate::http::csrf::{TokenProblem, TokenSource, check_session_token, submitted_token};
use crate::http::form::{essence, urlencoded_pairs};
use crate::http::origin::{cross_site_refusal, is_safe};

/// The purpose of the console's CSRF tokens: a token of another purpose does not pass.
const PURPOSE: &str = "latch admin console form";
/// The form field the token is sent in.
const TOKEN_FIELD: &str = "csrf_token";

/// An administrator with a live session, acting through the console.
pub(super) struct Admin {
    pub session: Arc<CurrentSession>,
    /// The request's client, acting as the administrator: what the audit trail records.
    pub client: ClientContext,
    /// The token every form of the page carries.
    pub csrf: String,
}

impl Admin {
    /// `context` with what every page shows: the administrator and the forms' token.
    pub fn context(&self, nav: &str, title: &str, context: Value) -> Value {
        context! {
            me => self.session.account.name.clone(),
            csrf => self.csrf.clone(),
            nav => nav,
            title => title,
            ..context
        }
    }
}

impl FromRequestParts<AdminState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AdminState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::look_up(parts, &state.app)
            .await
            .map_err(|f| failure(&state.pages, &f.0))?;
        let Some(session) = visitor.session else {
            return Err(anonymous(state, &parts.uri, is_safe(&parts.method)));
        };
        if !session.account.is_administrator() {
            return Err(state.pages.refusal(
                StatusCode::FORBIDDEN,
                "The admin console is for accounts with the administrator role. This account \
                 does not have it.",
            ));
        }
        if let Some(reason) =
            cross_site_refusal(&parts.method, &parts.headers, &state.app.trusted_origins)
        {
            state
                .app
                .audit_csrf_rejection(Some(&session), &visitor.client, &reason);
            return Err(state.pages.refusal(StatusCode::FORBIDDEN, &reason));
        }
        let client = visitor.client.acting_as(&session.account);
        let csrf = state.app.core.csrf_token(&session.csrf_seed, PURPOSE);
        Ok(Admin {
            session,
            client,
            csrf,
        })
    }
}

/// A visitor without a session: to the login page and back here, or, without one, a page
/// that says how to log in.
fn anonymous(state: &AdminState, uri: &Uri, safe: bool) -> Response {
    let Some(login) = &state.login_page else {
        return state.pages.refusal(
            StatusCode::UNAUTHORIZED,
            "Log in as an administrator to use the admin console. latch's only login page is \
             the Django dialect's, which is switched off on this server ([django] enabled = \
             false); switch it on, log in there, and come back.",
        );
    };
    // A form's action is no page to come back to.
    let back = match uri.path_and_query() {
        Some(target) if safe => target.as_str(),
        _ => "/latch/admin/users",
    };
    let query = serde_urlencoded::to_string([("next", back)]).unwrap_or_default();
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("{login}?{query}"))],
    )
        .into_response()
}

/// An administrator's form post whose origin and CSRF token have been checked, with its
/// fields.
pub(super) struct AdminForm {
    pub admin: Admin,
    fields: Vec<(String, String)>,
}

impl AdminForm {
    /// The first value of field `name`, trimmed; `None` if absent or empty.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

impl FromRequest<AdminState> for AdminForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AdminState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        let pages = &state.pages;
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .map(|v| essence(&String::from_utf8_lossy(v.as_bytes())))
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(Body::new(body), state.app.body_limit)
            .await
            .map_err(|_| pages.refusal(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."))?;
        let fields = if content_type == "application/x-www-form-urlencoded" {
            urlencoded_pairs(&bytes)
                .map_err(|e| pages.refusal(StatusCode::BAD_REQUEST, &e.message()))?
        } else {
            Vec::new()
        };
        let token = fields
            .iter()
            .find(|(n, _)| n == TOKEN_FIELD)
            .map(|(_, v)| v.as_str());
        let token = submitted_token(&parts.headers, &[TokenSource::Given(token)]);
        check_session_token(
            &state.app,
            &admin.session,
            &admin.client,
            &[PURPOSE],
            token.as_deref(),
            |problem| match problem {
                TokenProblem::Missing => {
                    "The form carried no CSRF token, so it was not sent from this console. \
                     Reload the page and submit the form again."
                }
                TokenProblem::Invalid => {
                    "The form's CSRF token is not this session's (it may come from an earlier \
                     login). Reload the page and submit the form again."
                }
            },
        )
        .map_err(|refused| pages.refusal(StatusCode::FORBIDDEN, refused.reason))?;
        Ok(AdminForm { admin, fields })
    }
}

/// The query string's fields; a query that is no form is a 400 page.
pub(super) fn query(state: &AdminState, uri: &Uri) -> Result<Vec<(String, String)>, Box<Response>> {
    let query = uri.query().unwrap_or_default();
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).map_err(|_| {
        let reason = "The query string could not be read.";
        Box::new(state.pages.refusal(StatusCode::BAD_REQUEST, reason))
    })
}

/// The first non-empty value of `name` among `fields`, trimmed.
pub(super) fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// After an action: back to `path` with a notice of what was done (a fixed word the page
/// turns into a sentence).
pub(super) fn done(path: &str, notice: &str) -> Response {
    let separator = if path.contains('?') { '&' } else { '?' };
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("{path}{separator}done={notice}"))],
    )
        .into_response()
}
