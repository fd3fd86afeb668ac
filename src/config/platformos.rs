//! The platformOS-style dialect: `/api/sessions` and `/api/users` with `{form_name, form}`
//! bodies and application tokens.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformosConfig {
    pub enabled: bool,
    /// Refuse requests that carry no application token (`latch app add`).
    pub require_app_token: bool,
    /// Serve the built-in forms (`reference_rest_api_create_sessions`, …) besides `forms`.
    pub builtin_forms: bool,
    /// Named forms: what each does and which fields it takes.
    pub forms: BTreeMap<String, FormConfig>,
}

impl Default for PlatformosConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            require_app_token: false,
            builtin_forms: true,
            forms: BTreeMap::new(),
        }
    }
}

/// One named form: the action it performs and the fields it permits, with their rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormConfig {
    pub action: FormAction,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldRules>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormAction {
    CreateSession,
    DestroySession,
    CreateUser,
    UpdateUser,
}

impl FormAction {
    /// The fields this action can make use of; a form may permit only these.
    pub fn known_fields(self) -> &'static [&'static str] {
        match self {
            FormAction::CreateSession => &["email", "name", "password"],
            FormAction::DestroySession => &[],
            FormAction::CreateUser => &["email", "name", "password"],
            FormAction::UpdateUser => &["email", "name", "password", "current_password"],
        }
    }
}

/// Validations of one form field, as in a platformOS form's `fields:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldRules {
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// `email`: the value must look like a mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<FieldFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldFormat {
    Email,
}

impl PlatformosConfig {
    pub(super) fn validate(&self) -> Result<(), Invalid> {
        for (name, form) in &self.forms {
            let key = format!("platformos.forms.{name}");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '/')
            {
                return Err(Invalid::new(
                    &key,
                    format!("{key}: a form name may hold letters, digits, _, - and / only"),
                ));
            }
            let known = form.action.known_fields();
            for (field, rules) in &form.fields {
                let field_key = format!("{key}.fields.{field}");
                if !known.contains(&field.as_str()) {
                    return Err(Invalid::new(
                        &field_key,
                        format!(
                            "{field_key}: this form's action uses only {}",
                            if known.is_empty() {
                                "no fields".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                if let (Some(min), Some(max)) = (rules.min_length, rules.max_length)
                    && min > max
                {
                    return Err(Invalid::new(
                        &field_key,
                        format!("{field_key}: min_length exceeds max_length"),
                    ));
                }
            }
            if form.action == FormAction::CreateSession
                && !(form.fields.contains_key("password")
                    && (form.fields.contains_key("email") || form.fields.contains_key("name")))
            {
                return Err(Invalid::new(
                    &key,
                    format!(
                        "{key}: a create_session form needs a password field and an email or \
                         name field"
                    ),
                ));
            }
        }
        Ok(())
    }
}
