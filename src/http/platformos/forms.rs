//! The `{form_name, form}` envelope and the named forms it refers to: each form performs one
//! action, permits a set of fields and validates them, as a platformOS form's `fields:` does.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::PlatformosState;
use super::error::{BLANK, PosError};
use crate::config::{FieldFormat, FieldRules, FormAction, FormConfig, PlatformosConfig};
use crate::core::accounts::check_mail;
use crate::http::form::essence;
use crate::http::limits::json_too_deep;
use crate::http::unreadable_body;

/// Built-in forms: the seed's names, the singular names of the reference forms, and plain
/// ones.
const BUILTIN: &[(&str, FormAction)] = &[
    (
        "reference_rest_api_create_sessions",
        FormAction::CreateSession,
    ),
    (
        "reference_rest_api_create_session",
        FormAction::CreateSession,
    ),
    ("session_create", FormAction::CreateSession),
    (
        "reference_rest_api_delete_sessions",
        FormAction::DestroySession,
    ),
    (
        "reference_rest_api_delete_session",
        FormAction::DestroySession,
    ),
    ("session_destroy", FormAction::DestroySession),
    ("reference_rest_api_create_users", FormAction::CreateUser),
    ("reference_rest_api_create_user", FormAction::CreateUser),
    ("user_create", FormAction::CreateUser),
    ("reference_rest_api_update_users", FormAction::UpdateUser),
    ("reference_rest_api_update_user", FormAction::UpdateUser),
    ("user_update", FormAction::UpdateUser),
];

/// The forms this server knows, by name.
pub struct Forms {
    forms: BTreeMap<String, FormConfig>,
}

impl Forms {
    pub fn new(config: &PlatformosConfig) -> Self {
        let mut forms = BTreeMap::new();
        if config.builtin_forms {
            for (name, action) in BUILTIN {
                forms.insert(name.to_string(), builtin(*action));
            }
        }
        // A configured form replaces a built-in one of the same name.
        forms.extend(config.forms.clone());
        Self { forms }
    }

    /// The form called `name`, which must perform `action`.
    pub fn get(&self, name: &str, action: FormAction) -> Result<Form<'_>, PosError> {
        let Some((name, config)) = self.forms.get_key_value(name) else {
            return Err(PosError::field(
                StatusCode::NOT_FOUND,
                "form_name",
                format!("no form is called {name:?}; {}", self.known(action)),
            ));
        };
        if config.action != action {
            return Err(PosError::field(
                StatusCode::NOT_ACCEPTABLE,
                "form_name",
                format!(
                    "form {name:?} is for {}, not for this request; {}",
                    endpoint(config.action),
                    self.known(action)
                ),
            ));
        }
        Ok(Form { name, config })
    }

    /// The form a request names, or the first one for `action` when the envelope may be left
    /// out (a `DELETE` without a body).
    pub fn named_or_default(
        &self,
        name: Option<&str>,
        action: FormAction,
    ) -> Result<Form<'_>, PosError> {
        if let Some(name) = name {
            return self.get(name, action);
        }
        self.forms
            .iter()
            .find(|(_, config)| config.action == action)
            .map(|(name, config)| Form { name, config })
            .ok_or_else(|| {
                PosError::field(StatusCode::NOT_ACCEPTABLE, "form_name", BLANK.to_string())
            })
    }

    fn known(&self, action: FormAction) -> String {
        let names: Vec<&str> = self
            .forms
            .iter()
            .filter(|(_, c)| c.action == action)
            .map(|(n, _)| n.as_str())
            .collect();
        if names.is_empty() {
            format!("no form is configured for {}", endpoint(action))
        } else {
            format!("forms for {}: {}", endpoint(action), names.join(", "))
        }
    }
}

fn endpoint(action: FormAction) -> &'static str {
    match action {
        FormAction::CreateSession => "POST /api/sessions",
        FormAction::DestroySession => "DELETE /api/sessions",
        FormAction::CreateUser => "POST /api/users",
        FormAction::UpdateUser => "PUT /api/users/{id}",
    }
}

fn builtin(action: FormAction) -> FormConfig {
    let rule = |required, format| FieldRules {
        required,
        format,
        ..FieldRules::default()
    };
    let email = Some(FieldFormat::Email);
    let fields: Vec<(&str, FieldRules)> = match action {
        FormAction::CreateSession => {
            vec![
                ("email", rule(true, email)),
                ("password", rule(true, None)),
                // An account's second-factor code, for accounts that have one.
                ("code", rule(false, None)),
            ]
        }
        FormAction::DestroySession => vec![],
        FormAction::CreateUser => vec![
            ("email", rule(true, email)),
            ("name", rule(false, None)),
            // Required unless the server mails a link to choose it; the core decides.
            ("password", rule(false, None)),
        ],
        FormAction::UpdateUser => vec![
            ("email", rule(false, email)),
            ("name", rule(false, None)),
            ("password", rule(false, None)),
            ("current_password", rule(false, None)),
        ],
    };
    FormConfig {
        action,
        fields: fields
            .into_iter()
            .map(|(name, rules)| (name.to_string(), rules))
            .collect(),
    }
}

/// A form, resolved.
pub struct Form<'a> {
    pub name: &'a str,
    config: &'a FormConfig,
}

/// A form's values after validation: only permitted fields, each a non-empty string.
#[derive(Default)]
pub struct Values(BTreeMap<String, String>);

impl Values {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
}

impl Form<'_> {
    /// Checks `form` against the form's fields; every problem is reported at once (422).
    pub fn validate(&self, form: &Map<String, Value>) -> Result<Values, PosError> {
        let mut errors = Vec::new();
        let mut values = BTreeMap::new();
        for (field, value) in form {
            if !self.config.fields.contains_key(field) {
                let permitted: Vec<&str> = self.config.fields.keys().map(String::as_str).collect();
                errors.push((
                    field.clone(),
                    format!(
                        "is not a field of form {:?} (its fields: {})",
                        self.name,
                        if permitted.is_empty() {
                            "none".to_string()
                        } else {
                            permitted.join(", ")
                        }
                    ),
                ));
                continue;
            }
            match value {
                Value::Null => {}
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => {
                    values.insert(field.clone(), s.clone());
                }
                _ => errors.push((field.clone(), "must be a string".to_string())),
            }
        }
        for (field, rules) in &self.config.fields {
            if errors.iter().any(|(f, _)| f == field) {
                continue;
            }
            let Some(value) = values.get(field) else {
                if rules.required {
                    errors.push((field.clone(), BLANK.to_string()));
                }
                continue;
            };
            errors.extend(
                rule_violations(value, rules)
                    .into_iter()
                    .map(|m| (field.clone(), m)),
            );
        }
        if errors.is_empty() {
            Ok(Values(values))
        } else {
            Err(PosError::invalid(errors))
        }
    }
}

fn rule_violations(value: &str, rules: &FieldRules) -> Vec<String> {
    let mut problems = Vec::new();
    let chars = value.chars().count();
    if let Some(min) = rules.min_length
        && chars < min
    {
        problems.push(format!("is too short (minimum is {min} characters)"));
    }
    if let Some(max) = rules.max_length
        && chars > max
    {
        problems.push(format!("is too long (maximum is {max} characters)"));
    }
    if rules.format == Some(FieldFormat::Email) && check_mail(value).is_err() {
        problems.push("is not a valid email".to_string());
    }
    problems
}

/// What a request's body says.
#[derive(Default)]
pub struct Envelope {
    pub form_name: Option<String>,
    pub form: Map<String, Value>,
    /// Rails' CSRF field, an alternative to the `X-CSRF-Token` header.
    pub authenticity_token: Option<String>,
}

const EXAMPLE: &str = "{\"form_name\": \"reference_rest_api_create_sessions\", \"form\": {\"email\": \"…\", \"password\": \"…\"}}";

/// Reads the envelope of a request that must name a form for `action`, and checks the
/// form's values.
pub fn read_form(
    state: &PlatformosState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    action: FormAction,
) -> Result<(Envelope, Values), PosError> {
    let envelope = read_envelope(headers, body, state.body_limit, false)?;
    let form = state
        .settings
        .forms
        .get(envelope.form_name.as_deref().unwrap_or_default(), action)?;
    let values = form.validate(&envelope.form)?;
    Ok((envelope, values))
}

/// Reads the envelope. `optional`: an empty body stands for an empty envelope (a `DELETE`).
pub fn read_envelope(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
    optional: bool,
) -> Result<Envelope, PosError> {
    let body = body.map_err(|rejection| {
        let (status, message) = unreadable_body(&rejection, limit);
        PosError::base(status, message)
    })?;
    if body.iter().all(u8::is_ascii_whitespace) && optional {
        return Ok(Envelope::default());
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(essence);
    if !matches!(
        content_type.as_deref(),
        Some("application/json" | "application/vnd.api+json")
    ) {
        return Err(PosError::base(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON with the header Content-Type: application/json (or \
             application/vnd.api+json).",
        ));
    }
    if let Some(reason) = json_too_deep(&body) {
        return Err(PosError::base(StatusCode::BAD_REQUEST, reason));
    }
    let object = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            return Err(PosError::base(
                StatusCode::NOT_ACCEPTABLE,
                format!("The body must be a JSON object such as {EXAMPLE}."),
            ));
        }
        Err(e) => {
            return Err(PosError::base(
                StatusCode::BAD_REQUEST,
                format!("The body is not valid JSON ({e}). Send an object such as {EXAMPLE}."),
            ));
        }
    };
    let mut envelope = Envelope::default();
    let mut errors = Vec::new();
    for (key, value) in object {
        match (key.as_str(), value) {
            ("form_name", Value::String(name)) => envelope.form_name = Some(name),
            ("form", Value::Object(form)) => envelope.form = form,
            ("authenticity_token", Value::String(token)) => {
                envelope.authenticity_token = Some(token)
            }
            ("form_name" | "authenticity_token", _) => {
                errors.push((key, "must be a string".to_string()))
            }
            ("form", _) => errors.push((key, "must be an object of field values".to_string())),
            _ => errors.push((
                key,
                "is not part of the envelope, which holds form_name, form and \
                 authenticity_token"
                    .to_string(),
            )),
        }
    }
    if envelope.form_name.is_none() && !optional && !errors.iter().any(|(k, _)| k == "form_name") {
        errors.push((
            "form_name".to_string(),
            format!("{BLANK}: name the form to use, as in {EXAMPLE}"),
        ));
    }
    if errors.is_empty() {
        Ok(envelope)
    } else {
        Err(PosError::fields(StatusCode::NOT_ACCEPTABLE, errors))
    }
}
