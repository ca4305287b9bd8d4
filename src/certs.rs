//! Reading certificates from files and directories, with every problem kept
//! and attributed to the file it came from.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use rustls_native_certs::load_certs_from_paths;
use x509_parser::prelude::{FromDer, X509Certificate};

/// One problem with one source: never fatal, always reported.
#[derive(Clone, Debug)]
pub struct Problem {
    pub source: String,
    pub message: String,
}

/// Certificates found under one label ("os", "certifi", "extra", ...), each with the
/// file it came from, and what went wrong.
#[derive(Default)]
pub struct Found {
    pub certs: Vec<(Vec<u8>, String)>,
    pub problems: Vec<Problem>,
}

impl Found {
    pub fn problem(&mut self, source: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { source: source.into(), message: message.into() });
    }

    pub fn extend(&mut self, other: Found) {
        self.certs.extend(other.certs);
        self.problems.extend(other.problems);
    }
}

/// Reads a PEM (or single DER) file, or every file of a directory.
pub fn read_path(label: &str, path: &Path) -> Found {
    let mut found = Found::default();
    let source = format!("{label}: {}", path.display());
    match fs::metadata(path) {
        Err(err) => found.problem(source, format!("cannot read: {err}")),
        Ok(meta) if meta.is_dir() => read_dir(label, path, &mut found),
        Ok(_) => read_file(&source, path, &mut found),
    }
    found
}

fn read_dir(label: &str, dir: &Path, found: &mut Found) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => return found.problem(format!("{label}: {}", dir.display()), format!("cannot list: {err}")),
    };
    // Hashed directories hold several links to one file: read each target once.
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(real) = fs::canonicalize(&path) else { continue }; // dangling link: not a certificate
        if real.is_file() && seen.insert(real) {
            read_file(&format!("{label}: {}", path.display()), &path, found);
        }
    }
}

fn read_file(source: &str, path: &Path, found: &mut Found) {
    let result = load_certs_from_paths(Some(path), None);
    let (certs, errors) = (result.certs, result.errors);
    if certs.is_empty() && errors.is_empty() {
        // No PEM block at all: IT often hands out a single DER `.cer`/`.crt`.
        match fs::read(path) {
            Ok(bytes) if X509Certificate::from_der(&bytes).is_ok() => found.certs.push((bytes, source.to_owned())),
            Ok(_) => found.problem(source, "no certificate found (neither PEM nor DER)"),
            Err(err) => found.problem(source, format!("cannot read: {err}")),
        }
        return;
    }
    found.certs.extend(certs.into_iter().map(|c| (c.as_ref().to_vec(), source.to_owned())));
    for err in errors {
        found.problem(source, err.to_string());
    }
}
