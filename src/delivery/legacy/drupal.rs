//! Drupal 8+ core REST: `POST /user/login?_format=json {"name","pass"}` answers
//! `current_user` (`uid`, `name`, `roles`) and a `logout_token`; the mail address comes from
//! `GET /user/{uid}?_format=json` in that session, which `POST /user/logout` then ends.

use hyper::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{LegacySite, refused, text_of};
use crate::core::LoginName;
use crate::core::legacy::{LegacyAccount, LegacyError};

pub(super) async fn verify(
    site: &LegacySite,
    login: LoginName<'_>,
    password: &SecretString,
) -> Result<Option<LegacyAccount>, LegacyError> {
    // Drupal logs in by name; a site with a mail-login module takes the address there too.
    let (LoginName::Name(name) | LoginName::Mail(name)) = login;
    let body = json!({"name": name, "pass": password.expose_secret()});
    let reply = site
        .send(Method::POST, &site.login_path, &[], &[], Some(body))
        .await?;
    if !reply.status.is_success() {
        return refused(&reply).map(|()| None);
    }
    let answer = reply.json()?;
    let user = &answer["current_user"];
    let (Some(uid), Some(name)) = (text_of(&user["uid"]), user["name"].as_str()) else {
        return Err(LegacyError(
            "the legacy site's login answer has no current_user with uid and name".into(),
        ));
    };
    let roles = user["roles"]
        .as_array()
        .map(|roles| roles.iter().filter_map(text_of).collect())
        .unwrap_or_default();
    let prefix = prefix_of(&site.login_path);
    let jar = &reply.cookies;
    let mail = if uid.bytes().all(|b| b.is_ascii_digit()) {
        let path = format!("{prefix}/user/{uid}?_format=json");
        match site.send(Method::GET, &path, jar, &[], None).await {
            Ok(entity) if entity.status.is_success() => {
                entity.json().ok().and_then(|e| mail_of(&e))
            }
            _ => None,
        }
    } else {
        None
    };
    if let Some(token) = answer["logout_token"].as_str() {
        let token: String = url_component(token);
        let path = format!("{prefix}/user/logout?_format=json&token={token}");
        if let Err(e) = site.send(Method::POST, &path, jar, &[], None).await {
            tracing::debug!(error = %e, "could not log out of the legacy site");
        }
    }
    Ok(Some(LegacyAccount {
        name: name.to_string(),
        mail,
        roles,
    }))
}

/// What comes before `/user/login` in the login path: the site's base path, if any.
fn prefix_of(login_path: &str) -> &str {
    login_path
        .find("/user/login")
        .map_or("", |at| &login_path[..at])
}

/// `mail` of a Drupal user entity: `[{"value": "…"}]`.
fn mail_of(entity: &Value) -> Option<String> {
    let mail = &entity["mail"];
    mail[0]["value"]
        .as_str()
        .or_else(|| mail.as_str())
        .filter(|m| !m.is_empty())
        .map(str::to_string)
}

/// `text` fit for a query string: unreserved characters kept, the rest percent-encoded.
fn url_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_and_mail_are_read_as_drupal_writes_them() {
        assert_eq!(prefix_of("/user/login?_format=json"), "");
        assert_eq!(prefix_of("/old/user/login?_format=json"), "/old");
        let entity = json!({"mail": [{"value": "a@example.com"}]});
        assert_eq!(mail_of(&entity).as_deref(), Some("a@example.com"));
        assert_eq!(mail_of(&json!({})), None);
        assert_eq!(url_component("a+b/c="), "a%2Bb%2Fc%3D");
    }
}
