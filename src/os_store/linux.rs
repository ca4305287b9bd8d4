//! Linux and the other Unixes: the distribution's certificate directories.

use std::path::PathBuf;

use crate::certs::{read_path, Found};

/// The distribution's certificate directories, as probed by `openssl-probe` without consulting
/// the environment (its probed bundle file, e.g. `ca-certificates.crt`, lives in them on the
/// common distributions).
pub fn dirs() -> Vec<PathBuf> {
    openssl_probe::candidate_cert_dirs().map(PathBuf::from).collect()
}

pub fn load() -> Found {
    let mut found = Found::default();
    for dir in dirs() {
        found.extend(read_path("os", &dir));
    }
    if found.certs.is_empty() && found.problems.is_empty() {
        found.problem("os", "no system certificate directory found");
    }
    found
}
