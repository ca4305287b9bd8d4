//! The facts corptls reports about one certificate.

use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::hashed_dir::subject_hash;

/// The rules of Python 3.13+'s VERIFY_X509_STRICT (OpenSSL's X509_V_FLAG_X509_STRICT) that real
/// certificates break, each with OpenSSL's own message. The first three a trust anchor's
/// conforming twin repairs (src/twin.rs).
pub const BC_NOT_CRITICAL: &str = "Basic Constraints of CA cert not marked critical";
pub const NO_KEY_USAGE: &str = "CA cert does not include key usage extension";
pub const NO_SUBJECT_KEY_ID: &str = "Missing Subject Key Identifier";
pub const NO_AUTHORITY_KEY_ID: &str = "Missing Authority Key Identifier";

pub struct Info {
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    pub is_ca: bool,
    pub self_issued: bool,
    /// The strict rules it breaks, in OpenSSL's words: under VERIFY_X509_STRICT a chain
    /// through it fails.
    pub strict_rules: Vec<&'static str>,
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
    let refused =
        |which| format!("{subject}: OpenSSL cannot read its {which} name (a string type or encoding it refuses)");
    let hash = subject_hash(cert.subject()).ok_or_else(|| refused("subject"))?;
    subject_hash(cert.issuer()).ok_or_else(|| refused("issuer"))?;
    Ok(Info {
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        is_ca,
        self_issued,
        strict_rules: strict_rules(&cert, is_ca, self_issued),
        subject_hash: hash,
        subject,
    })
}

/// OpenSSL checks these only on certificates above the leaf of a chain, and the key identifier
/// of the issuer only where there is one (not on a self-issued root).
fn strict_rules(cert: &X509Certificate<'_>, is_ca: bool, self_issued: bool) -> Vec<&'static str> {
    let mut broken = Vec::new();
    if is_ca {
        if cert.basic_constraints().ok().flatten().is_some_and(|bc| !bc.critical) {
            broken.push(BC_NOT_CRITICAL);
        }
        if !matches!(cert.key_usage(), Ok(Some(_))) {
            broken.push(NO_KEY_USAGE);
        }
        if !matches!(cert.get_extension_unique(&OID_X509_EXT_SUBJECT_KEY_IDENTIFIER), Ok(Some(_))) {
            broken.push(NO_SUBJECT_KEY_ID);
        }
    }
    let authority_key_id = cert.get_extension_unique(&OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER).ok().flatten();
    let has_key_id = authority_key_id.is_some_and(|ext| {
        matches!(ext.parsed_extension(), ParsedExtension::AuthorityKeyIdentifier(akid) if akid.key_identifier.is_some())
    });
    if !self_issued && !has_key_id {
        broken.push(NO_AUTHORITY_KEY_ID);
    }
    broken
}
