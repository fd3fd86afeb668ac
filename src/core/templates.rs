//! Message texts: built-in defaults in Drupal's wording, overridable per kind in the
//! configuration, with `{site_name}`, `{site_url}`, `{name}`, `{mail}` and `{link}` filled in.

use std::collections::BTreeMap;

use super::mail::MailKind;
use crate::config::TemplateConfig;

/// The placeholders a template may use; `{{` and `}}` stand for literal braces.
pub const PLACEHOLDERS: &[&str] = &["site_name", "site_url", "name", "mail", "link"];

const ALL_KINDS: &[MailKind] = &[
    MailKind::Welcome,
    MailKind::PendingApproval,
    MailKind::PendingApprovalAdmin,
    MailKind::AdminCreated,
    MailKind::Activated,
    MailKind::PasswordReset,
];

/// One kind's texts after the configuration has been applied.
#[derive(Debug, Clone)]
struct Template {
    subject: String,
    text: String,
    html: Option<String>,
}

/// A rendered message.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// The values placeholders stand for.
pub struct Values<'a> {
    pub site_name: &'a str,
    pub site_url: &'a str,
    pub name: &'a str,
    pub mail: &'a str,
    pub link: &'a str,
}

impl Values<'_> {
    fn get(&self, key: &str) -> &str {
        match key {
            "site_name" => self.site_name,
            "site_url" => self.site_url,
            "name" => self.name,
            "mail" => self.mail,
            "link" => self.link,
            _ => "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Templates {
    by_kind: BTreeMap<&'static str, Template>,
}

impl Templates {
    /// The built-in texts with `overrides` applied; refuses unknown kinds and placeholders,
    /// naming them so the operator can fix the file.
    pub fn new(overrides: &BTreeMap<String, TemplateConfig>) -> Result<Self, String> {
        for key in overrides.keys() {
            if !ALL_KINDS.iter().any(|k| k.as_str() == key) {
                let known: Vec<&str> = ALL_KINDS.iter().map(|k| k.as_str()).collect();
                return Err(format!(
                    "mail.templates.{key} names no message; use one of {}",
                    known.join(", ")
                ));
            }
        }
        let mut by_kind = BTreeMap::new();
        for &kind in ALL_KINDS {
            let (subject, text) = built_in(kind);
            let mut template = Template {
                subject: subject.to_string(),
                text: text.to_string(),
                html: None,
            };
            if let Some(custom) = overrides.get(kind.as_str()) {
                for (part, value) in [
                    ("subject", &custom.subject),
                    ("text", &custom.text),
                    ("html", &custom.html),
                ] {
                    if let Some(value) = value {
                        check(value).map_err(|p| {
                            format!(
                                "mail.templates.{}.{part} uses the unknown placeholder {{{p}}}; \
                                 known: {{{}}} (write {{{{ and }}}} for literal braces)",
                                kind.as_str(),
                                PLACEHOLDERS.join("}, {")
                            )
                        })?;
                    }
                }
                if let Some(subject) = &custom.subject {
                    template.subject = subject.clone();
                }
                if let Some(text) = &custom.text {
                    template.text = text.clone();
                }
                template.html = custom.html.clone();
            }
            by_kind.insert(kind.as_str(), template);
        }
        Ok(Self { by_kind })
    }

    pub fn render(&self, kind: MailKind, values: &Values<'_>) -> Rendered {
        let fallback;
        let template = match self.by_kind.get(kind.as_str()) {
            Some(template) => template,
            None => {
                let (subject, text) = built_in(kind);
                fallback = Template {
                    subject: subject.into(),
                    text: text.into(),
                    html: None,
                };
                &fallback
            }
        };
        Rendered {
            // A subject is one header line: no line breaks from values may reach it.
            subject: fill(&template.subject, values, |v| v.replace(['\r', '\n'], " ")),
            text: fill(&template.text, values, str::to_string),
            html: template
                .html
                .as_ref()
                .map(|html| fill(html, values, html_escape)),
        }
    }
}

/// The first unknown placeholder in `template`, if any.
fn check(template: &str) -> Result<(), String> {
    let mut unknown = None;
    fill_with(template, |key| {
        if unknown.is_none() && !PLACEHOLDERS.contains(&key) {
            unknown = Some(key.to_string());
        }
        String::new()
    });
    unknown.map_or(Ok(()), Err)
}

fn fill(template: &str, values: &Values<'_>, escape: impl Fn(&str) -> String) -> String {
    fill_with(template, |key| escape(values.get(key)))
}

/// Replaces each `{key}` by `value(key)`; `{{` and `}}` become single braces, and a brace
/// that opens no placeholder is kept as written.
fn fill_with(template: &str, mut value: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(end) = tail.find('}')
            && tail[1..end]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
            && end > 1
        {
            out.push_str(&value(&tail[1..end]));
            rest = &tail[end + 1..];
            continue;
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Drupal's default texts for each message, in latch's placeholders.
fn built_in(kind: MailKind) -> (&'static str, &'static str) {
    match kind {
        MailKind::Welcome => (
            "Account details for {name} at {site_name}",
            "{name},\n\nThank you for registering at {site_name}. You may now log in by \
             following this link or copying it into your browser:\n\n{link}\n\nThis link can be \
             used only once and lets you set your password.\n\n--  {site_name} team\n",
        ),
        MailKind::PendingApproval => (
            "Account details for {name} at {site_name} (pending admin approval)",
            "{name},\n\nThank you for registering at {site_name}. Your application for an \
             account is pending approval. Once it has been approved, you will receive another \
             message with how to log in.\n\n--  {site_name} team\n",
        ),
        MailKind::PendingApprovalAdmin => (
            "Account details for {name} at {site_name} (pending admin approval)",
            "{name} has applied for an account at {site_name}.\n\nApprove it with:\n\n  \
             latch user approve '{name}'\n",
        ),
        MailKind::AdminCreated => (
            "An administrator created an account for you at {site_name}",
            "{name},\n\nA site administrator at {site_name} has created an account for you. \
             You may now log in by following this link:\n\n{link}\n\n--  {site_name} team\n",
        ),
        MailKind::Activated => (
            "Account details for {name} at {site_name} (approved)",
            "{name},\n\nYour account at {site_name} has been activated. You may now log in by \
             following this link:\n\n{link}\n\n--  {site_name} team\n",
        ),
        MailKind::PasswordReset => (
            "Replacement login information for {name} at {site_name}",
            "{name},\n\nA request to reset the password for your account has been made at \
             {site_name}.\n\nYou may now log in by following this link:\n\n{link}\n\nThis link \
             can be used only once, expires after one day, and nothing happens if it is not \
             used.\n\n--  {site_name} team\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            site_name: "Example",
            site_url: "https://example.com",
            name: "<b>bob</b>",
            mail: "bob@example.com",
            link: "https://example.com/user/reset/1/2/x",
        }
    }

    #[test]
    fn placeholders_are_filled_and_braces_escaped() {
        let filled = fill_with("{{{name}}} at {site_name} {x y}", |k| format!("[{k}]"));
        assert_eq!(filled, "{[name]} at [site_name] {x y}");
    }

    #[test]
    fn html_values_are_escaped_and_text_values_are_not() {
        let mut overrides = BTreeMap::new();
        overrides.insert(
            "password_reset".to_string(),
            TemplateConfig {
                subject: None,
                text: Some("Hi {name}: {link}".into()),
                html: Some("<p>Hi {name}: <a href=\"{link}\">reset</a></p>".into()),
            },
        );
        let templates = Templates::new(&overrides).unwrap();
        let rendered = templates.render(MailKind::PasswordReset, &values());
        assert_eq!(
            rendered.text,
            "Hi <b>bob</b>: https://example.com/user/reset/1/2/x"
        );
        assert!(rendered.html.unwrap().contains("Hi &lt;b&gt;bob&lt;/b&gt;"));
        assert!(
            rendered
                .subject
                .starts_with("Replacement login information")
        );
    }

    #[test]
    fn every_built_in_template_uses_known_placeholders_only() {
        for &kind in ALL_KINDS {
            let (subject, text) = built_in(kind);
            assert_eq!(check(subject), Ok(()));
            assert_eq!(check(text), Ok(()));
        }
    }
}
