//! The facts corptls reports about one certificate.

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::hashed_dir::subject_hash;

pub struct Info {
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    pub self_issued: bool,
    /// A CA whose basicConstraints is missing or not critical: Python 3.13+'s
    /// VERIFY_X509_STRICT rejects chains through it.
    pub strict_violation: bool,
    pub subject_hash: String,
}

impl Info {
    /// A trust anchor is a CA, or a self-issued certificate: old v1 roots carry no extensions,
    /// and a self-signed server certificate in a store (Debian's ssl-cert "snakeoil") is trusted
    /// for itself by OpenSSL too. A certificate issued by someone else and not a CA anchors nothing.
    pub fn is_anchor(&self) -> bool {
        self.is_ca || self.self_issued
    }
}

/// Parses a DER certificate; the error is one line.
pub fn inspect(der: &[u8]) -> Result<Info, String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("unparsable certificate: {e}"))?;
    let subject = cert.subject().to_string();
    let constraints = cert.basic_constraints().map_err(|e| format!("{subject}: bad basicConstraints: {e}"))?;
    let is_ca = constraints.as_ref().is_some_and(|ext| ext.value.ca);
    let self_issued = cert.subject() == cert.issuer();
    let refused = |which| format!("{subject}: OpenSSL cannot read its {which} name (a string type or encoding it refuses)");
    let hash = subject_hash(cert.subject()).ok_or_else(|| refused("subject"))?;
    subject_hash(cert.issuer()).ok_or_else(|| refused("issuer"))?;
    Ok(Info {
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca,
        self_issued,
        strict_violation: constraints.map_or(self_issued, |ext| ext.value.ca && !ext.critical),
        subject_hash: hash,
        subject,
    })
}
