//! Gathering every trusted root into one deduplicated collection.

use std::collections::{HashMap, HashSet};
use std::env;
use std::fs;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::certs::{read_path, Found, Problem};
use crate::os_store;

/// Where to look besides the OS store; the environment is read here too.
#[derive(Default)]
pub struct Request {
    pub certifi: Option<PathBuf>,
    pub openssl_file: Option<PathBuf>,
    pub openssl_dir: Option<PathBuf>,
    pub extra: Vec<PathBuf>,
}

/// One trust anchor, with every source it was found in.
pub struct Root {
    pub der: Vec<u8>,
    pub sha256: [u8; 32],
    pub sources: Vec<String>,
    pub subject: String,
    pub not_after: i64,
    /// A CA whose basicConstraints is not critical: Python 3.13+'s VERIFY_X509_STRICT rejects it.
    pub strict_violation: bool,
}

#[derive(Default)]
pub struct Collection {
    pub roots: Vec<Root>,
    pub problems: Vec<Problem>,
    index: HashMap<[u8; 32], usize>,
}

impl Collection {
    fn add(&mut self, label: &str, found: Found) {
        self.problems.extend(found.problems);
        for (der, origin) in found.certs {
            let sha256: [u8; 32] = Sha256::digest(&der).into();
            if let Some(&i) = self.index.get(&sha256) {
                let sources = &mut self.roots[i].sources;
                if !sources.iter().any(|s| s == label) {
                    sources.push(label.to_owned());
                }
                continue;
            }
            match describe(&der) {
                Ok((subject, not_after, strict_violation)) => {
                    self.index.insert(sha256, self.roots.len());
                    self.roots.push(Root {
                        der,
                        sha256,
                        sources: vec![label.to_owned()],
                        subject,
                        not_after,
                        strict_violation,
                    });
                }
                Err(message) => self.problems.push(Problem {
                    source: origin,
                    message: format!("{message} (sha256 {})", hex(&sha256)),
                }),
            }
        }
    }

    /// The bundle as PEM with LF line endings.
    pub fn pem(&self) -> String {
        let blocks: Vec<pem::Pem> =
            self.roots.iter().map(|r| pem::Pem::new("CERTIFICATE", r.der.clone())).collect();
        pem::encode_many_config(&blocks, pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
    }
}

/// Subject, expiry and strict-mode conformance of a CA certificate; an error for anything else.
fn describe(der: &[u8]) -> Result<(String, i64, bool), String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("unparsable certificate: {e}"))?;
    let subject = cert.subject().to_string();
    let constraints = cert.basic_constraints().map_err(|e| format!("{subject}: bad basicConstraints: {e}"))?;
    let (is_ca, critical) = match constraints {
        Some(ext) => (ext.value.ca, ext.critical),
        // Old v1 roots carry no extensions; a self-issued one is a CA by convention.
        None => (cert.subject() == cert.issuer(), false),
    };
    if !is_ca {
        return Err(format!("{subject}: not a CA certificate, ignored"));
    }
    Ok((subject, cert.validity().not_after.timestamp(), !critical))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Paths named by a variable (a path list when `list`); an empty value is ignored and reported.
fn env_paths(name: &str, list: bool, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    match env::var_os(name) {
        None => Vec::new(),
        Some(v) if v.is_empty() => {
            problems.push(Problem {
                source: name.to_owned(),
                message: format!(
                    "{name} is set but empty: ignored (an empty value does not select the OS store; unset it)"
                ),
            });
            Vec::new()
        }
        Some(v) if list => env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect(),
        Some(v) => vec![PathBuf::from(v)],
    }
}

/// OS store, certifi, OpenSSL's default paths, `SSL_CERT_FILE`/`SSL_CERT_DIR`,
/// `CORPTLS_EXTRA_CA_CERTS` and the caller's extra CAs, in that order, deduplicated.
pub fn collect(request: &Request) -> Collection {
    let mut collection = Collection::default();
    collection.add("os", os_store::load());
    let mut env_problems = Vec::new();
    let labelled: Vec<(&str, Vec<PathBuf>)> = vec![
        ("certifi", request.certifi.iter().cloned().collect()),
        ("openssl-file", request.openssl_file.iter().cloned().collect()),
        ("openssl-dir", request.openssl_dir.iter().cloned().collect()),
        ("SSL_CERT_FILE", env_paths("SSL_CERT_FILE", false, &mut env_problems)),
        ("SSL_CERT_DIR", env_paths("SSL_CERT_DIR", true, &mut env_problems)),
        ("CORPTLS_EXTRA_CA_CERTS", env_paths("CORPTLS_EXTRA_CA_CERTS", true, &mut env_problems)),
        ("extra", request.extra.clone()),
    ];
    collection.problems.extend(env_problems);
    // A directory is read once: on Linux OpenSSL's default directory often *is* the OS store.
    let mut dirs_read: HashSet<PathBuf> =
        os_store::dirs().iter().filter_map(|d| fs::canonicalize(d).ok()).collect();
    for (label, paths) in labelled {
        for path in paths {
            if path.is_dir() && fs::canonicalize(&path).is_ok_and(|real| !dirs_read.insert(real)) {
                continue;
            }
            let found = read_path(label, &path);
            collection.add(label, found);
        }
    }
    collection
}
