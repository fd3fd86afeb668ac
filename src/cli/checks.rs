//! Settings whose rules belong to a layer above the configuration: checked when every
//! command starts, so a mistake stops the start and is reported like any other setting's.

use crate::config::{Check, Config, Invalid};

pub const ALL: &[Check] = &[mail_templates, smtp_ca_file];

/// The message texts: only known kinds and placeholders.
fn mail_templates(config: &Config) -> Result<(), Invalid> {
    crate::core::templates::Templates::new(&config.mail.templates)
        .map(drop)
        .map_err(|e| Invalid::new("mail.templates", e))
}

/// The SMTP CA file: readable, and holding certificates TLS can trust.
fn smtp_ca_file(config: &Config) -> Result<(), Invalid> {
    if config.mail.smtp.ca_file.is_empty() {
        return Ok(());
    }
    crate::delivery::tls_parameters(&config.mail.smtp)
        .map(drop)
        .map_err(|e| Invalid::new("mail.smtp.ca_file", e))
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Overrides};

    #[test]
    fn mail_templates_load_and_unknown_placeholders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        let load = || Config::load_checked(Some(&file), &Overrides::default(), super::ALL);
        std::fs::write(
            &file,
            "[mail.templates.password_reset]\nsubject = \"Reset at {site_name}\"\n",
        )
        .unwrap();
        let loaded = load().unwrap();
        assert!(loaded.mail.templates.contains_key("password_reset"));
        std::fs::write(
            &file,
            "[mail.templates.password_reset]\ntext = \"Go to {lnk}\"\n",
        )
        .unwrap();
        let err = load().unwrap_err().to_string();
        assert!(err.contains("{lnk}"), "{err}");
        assert!(err.contains("(in the file"), "{err}");
        std::fs::write(&file, "[mail.templates.pasword_reset]\ntext = \"x\"\n").unwrap();
        let err = load().unwrap_err().to_string();
        assert!(err.contains("pasword_reset"), "{err}");
    }

    #[test]
    fn an_unreadable_smtp_ca_file_is_refused_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latch.toml");
        let absent = dir.path().join("absent.pem");
        std::fs::write(
            &file,
            format!(
                "[mail.smtp]\nca_file = {:?}\n",
                absent.display().to_string()
            ),
        )
        .unwrap();
        let err = Config::load_checked(Some(&file), &Overrides::default(), super::ALL)
            .unwrap_err()
            .to_string();
        assert!(err.contains("mail.smtp.ca_file"), "{err}");
        assert!(
            Config::load(Some(&file), &Overrides::default()).is_ok(),
            "the configuration alone does not read the file"
        );
    }
}
