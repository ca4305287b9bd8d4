//! Chain verification as the operating system sees it: `rustls-platform-verifier` (Windows'
//! CryptoAPI, macOS' Security framework) there; elsewhere webpki over the OS store, read by
//! `os_store` — as the platform verifier does, but whatever SSL_CERT_FILE/SSL_CERT_DIR say
//! (after `eval "$(corptls env)"` they name corptls's own bundle).

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// Ok when the OS trusts `chain` (leaf first) for `hostname`; else the OS's reason.
pub fn verify_chain(chain: &[Vec<u8>], hostname: &str) -> Result<(), String> {
    let (leaf, intermediates) = chain.split_first().ok_or("empty chain")?;
    let name = ServerName::try_from(hostname.to_owned()).map_err(|_| format!("not a valid host name: {hostname:?}"))?;
    let intermediates: Vec<CertificateDer<'_>> =
        intermediates.iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    verifier(Arc::new(ring::default_provider()))?
        .verify_server_cert(&CertificateDer::from(leaf.as_slice()), &intermediates, &name, &[], UnixTime::now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(any(windows, target_os = "macos"))]
fn verifier(provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(|e| e.to_string())?;
    Ok(Arc::new(verifier))
}

#[cfg(not(any(windows, target_os = "macos")))]
fn verifier(provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add_parsable_certificates(crate::os_store::load().certs.into_iter().map(|(der, _)| CertificateDer::from(der)));
    if roots.is_empty() {
        return Err("no root certificate could be read from the OS store".into());
    }
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(verifier)
}
