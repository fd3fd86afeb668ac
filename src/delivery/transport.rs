//! Where messages go: an SMTP server, or, with none configured, the log and an optional file
//! so a developer sees the links.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::Tls;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use tokio::io::AsyncWriteExt;

use crate::config::{MailConfig, SmtpTls};
use crate::store::QueuedMail;

/// Why a delivery failed, which decides whether it is tried again.
#[derive(Debug)]
pub enum Failure {
    /// The server is down, slow or answered 4xx: worth another attempt later.
    Temporary(String),
    /// The server answered 5xx or the message cannot be built: retrying cannot help.
    Permanent(String),
}

pub enum Transport {
    Smtp {
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        timeout: Duration,
    },
    Log {
        from: Mailbox,
        file: Option<PathBuf>,
    },
}

impl Transport {
    pub fn new(config: &MailConfig) -> Result<Self, String> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("mail.from = {:?} is not a mail address: {e}", config.from))?;
        let smtp = &config.smtp;
        if smtp.host.is_empty() {
            let file = (!config.log_file.is_empty()).then(|| PathBuf::from(&config.log_file));
            return Ok(Transport::Log { from, file });
        }
        // STARTTLS is `Required`, never `Opportunistic`: a server that does not offer it, or a
        // certificate that fails, stops the delivery instead of letting it go out in plaintext.
        let tls = match smtp.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(super::tls::parameters(smtp)?),
            SmtpTls::Implicit => Tls::Wrapper(super::tls::parameters(smtp)?),
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).tls(tls);
        let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
        if !smtp.username.is_empty() {
            let password = smtp
                .password
                .as_ref()
                .map(|p| p.to_secret().expose_secret().to_string())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(smtp.username.clone(), password));
        }
        Ok(Transport::Smtp {
            mailer: builder.build(),
            from,
            timeout: smtp.timeout,
        })
    }

    /// Delivers `mail`; `Ok(true)` when it went to the log rather than to a server.
    pub async fn deliver(&self, mail: &QueuedMail) -> Result<bool, Failure> {
        match self {
            Transport::Smtp {
                mailer,
                from,
                timeout,
            } => {
                let message = build(mail, from)?;
                // lettre's timeout is per command; this bounds the whole conversation, so a
                // worker never holds a claim longer than mail.claim_timeout allows.
                match tokio::time::timeout(*timeout, mailer.send(message)).await {
                    Err(_) => Err(Failure::Temporary(format!(
                        "the SMTP server did not finish within {} s",
                        timeout.as_secs()
                    ))),
                    Ok(Err(e)) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
                    Ok(Err(e)) => Err(Failure::Temporary(e.to_string())),
                    Ok(Ok(_)) => Ok(false),
                }
            }
            Transport::Log { from, file } => {
                tracing::info!(
                    id = mail.id,
                    kind = %mail.kind,
                    to = %mail.recipient,
                    subject = %mail.subject,
                    "no SMTP server configured (mail.smtp.host), so this message was not sent; \
                     its text is logged at debug level (LATCH_LOG=latch=debug){}",
                    if file.is_some() { " and written to mail.log_file" } else { "" }
                );
                // The body holds one-time login links: never at info level.
                tracing::debug!(id = mail.id, body = %mail.body, "message text");
                if let Some(file) = file {
                    append(file, &render(mail, from)).await.map_err(|e| {
                        Failure::Temporary(format!("cannot write {}: {e}", file.display()))
                    })?;
                }
                Ok(true)
            }
        }
    }
}

fn build(mail: &QueuedMail, from: &Mailbox) -> Result<Message, Failure> {
    let to: Mailbox = mail.recipient.parse().map_err(|e| {
        Failure::Permanent(format!("{:?} is not a mail address: {e}", mail.recipient))
    })?;
    let domain = from.email.domain().to_string();
    // The same id on every attempt lets receivers drop a copy a retry may produce.
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!(
            "<latch.{}.{}@{domain}>",
            mail.id, mail.created_at
        )));
    let message = match &mail.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.body.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone()),
    };
    message.map_err(|e| Failure::Permanent(format!("cannot build the message: {e}")))
}

fn render(mail: &QueuedMail, from: &Mailbox) -> String {
    let mut text = format!(
        "From: {from}\nTo: {}\nSubject: {}\nX-Latch-Outbox-Id: {}\n\n{}\n",
        mail.recipient, mail.subject, mail.id, mail.body
    );
    if let Some(html) = &mail.html_body {
        text.push_str(&format!("\n--- HTML ---\n{html}\n"));
    }
    text.push_str("\n======================================================================\n\n");
    text
}

async fn append(file: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.create(true).append(true);
    // The file holds login links: only its owner may read it.
    #[cfg(unix)]
    options.mode(0o600);
    let mut handle = options.open(file).await?;
    handle.write_all(text.as_bytes()).await?;
    handle.flush().await
}
