//! Django with dj-rest-auth: `POST …/login/ {"username" or "email", "password"}` answers a
//! session cookie, a token `key`, or JWTs with the `user`; `GET …/user/` reads `username`
//! and `email`, and `POST …/logout/` ends what the login made.

use hyper::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{LegacySite, refused};
use crate::core::LoginName;
use crate::core::legacy::{LegacyAccount, LegacyError};

pub(super) async fn verify(
    site: &LegacySite,
    login: LoginName<'_>,
    password: &SecretString,
) -> Result<Option<LegacyAccount>, LegacyError> {
    let body = match login {
        LoginName::Name(name) => json!({"username": name, "password": password.expose_secret()}),
        LoginName::Mail(mail) => json!({"email": mail, "password": password.expose_secret()}),
    };
    let reply = site
        .send(Method::POST, &site.login_path, &[], &[], Some(body))
        .await?;
    if !reply.status.is_success() {
        return refused(&reply).map(|()| None);
    }
    // A session login may answer 204 with no body.
    let answer = if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()?
    };
    let mut headers = Vec::new();
    if let Some(key) = answer["key"].as_str() {
        headers.push(("authorization", format!("Token {key}")));
    } else if let Some(access) = answer["access"].as_str() {
        headers.push(("authorization", format!("Bearer {access}")));
    }
    let parent = site.login_path.trim_end_matches("login/");
    let jar = &reply.cookies;
    let user = if answer["user"].is_object() {
        answer["user"].clone()
    } else {
        let found = site
            .send(Method::GET, &format!("{parent}user/"), jar, &headers, None)
            .await?;
        if !found.status.is_success() {
            return Err(LegacyError(format!(
                "the legacy site accepted a login but answered {} for its user",
                found.status
            )));
        }
        found.json()?
    };
    let name = user["username"]
        .as_str()
        .or(match login {
            LoginName::Name(name) => Some(name),
            LoginName::Mail(_) => None,
        })
        .ok_or_else(|| LegacyError("the legacy site's user has no username".into()))?;
    let mail = user["email"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let account = LegacyAccount {
        name: name.to_string(),
        mail,
        roles: Vec::new(),
    };
    log_out(site, parent, &reply, &headers, &answer).await;
    Ok(Some(account))
}

/// Ends the session or token the login made; a failure leaves it to expire there.
async fn log_out(
    site: &LegacySite,
    parent: &str,
    login: &super::Reply,
    headers: &[(&str, String)],
    answer: &Value,
) {
    let mut headers = headers.to_vec();
    if let Some(csrf) = login.cookie("csrftoken") {
        headers.push(("x-csrftoken", csrf.to_string()));
        // Over HTTPS Django wants a same-site Referer on unsafe requests.
        if site.base.starts_with("https://") {
            headers.push(("referer", format!("{}/", site.base)));
        }
    }
    let body = answer["refresh"]
        .as_str()
        .map(|refresh| json!({"refresh": refresh}));
    let path = format!("{parent}logout/");
    if let Err(e) = site
        .send(Method::POST, &path, &login.cookies, &headers, body)
        .await
    {
        tracing::debug!(error = %e, "could not log out of the legacy site");
    }
}
