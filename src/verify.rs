//! Chain verification as the operating system sees it (`rustls-platform-verifier`):
//! Windows' CryptoAPI, macOS' Security framework, or webpki over the OS store elsewhere.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::ring;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls_platform_verifier::Verifier;

/// Ok when the OS trusts `chain` (leaf first) for `hostname`; else the OS's reason.
pub fn verify_chain(chain: &[Vec<u8>], hostname: &str) -> Result<(), String> {
    let (leaf, intermediates) = chain.split_first().ok_or("empty chain")?;
    let name = ServerName::try_from(hostname.to_owned()).map_err(|_| format!("not a valid host name: {hostname:?}"))?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    let verifier = Verifier::new(Arc::new(ring::default_provider())).map_err(|e| e.to_string())?;
    verifier
        .verify_server_cert(&CertificateDer::from(leaf.as_slice()), &intermediates, &name, &[], UnixTime::now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}
