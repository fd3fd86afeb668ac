//! Which certificates latch trusts from its SMTP server: the public web roots, plus the
//! certificates in `mail.smtp.ca_file` (a private CA, or a server's self-signed certificate).

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::config::SmtpConfig;

/// The TLS settings for `smtp.host`; an error names `mail.smtp.ca_file` and says what is
/// wrong with it.
pub fn parameters(smtp: &SmtpConfig) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(smtp.host.clone());
    if smtp.ca_file.is_empty() {
        return builder
            .build_rustls()
            .map_err(|e| format!("mail.smtp: cannot set up TLS: {e}"));
    }
    for certificate in trust_anchors(&smtp.ca_file)? {
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|e| {
        format!(
            "mail.smtp.ca_file = {:?} holds a certificate that cannot be trusted as an \
             authority: {e}",
            smtp.ca_file
        )
    })
}

/// Every certificate in the PEM file at `path`; a file without one is an error, since
/// trusting nothing extra is surely not what its operator meant.
fn trust_anchors(path: &str) -> Result<Vec<Certificate>, String> {
    let key = format!("mail.smtp.ca_file = {path:?}");
    let pem = std::fs::read(path).map_err(|e| format!("{key} cannot be read: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{key} is not a valid PEM file: {e}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "{key} holds no certificate (a PEM block starting -----BEGIN CERTIFICATE-----)"
        ));
    }
    certificates
        .into_iter()
        .map(|der| {
            Certificate::from_der(der.to_vec())
                .map_err(|e| format!("{key} holds an unreadable certificate: {e}"))
        })
        .collect()
}
