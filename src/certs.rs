//! Reading certificates from files and directories, with every problem kept
//! and attributed to the file it came from.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::hashed_dir::is_hash_link;
use crate::safe_read;

/// The first line of every bundle corptls writes. A file that starts with it is never read as
/// a source, wherever it is: after `eval "$(corptls env)"` SSL_CERT_FILE names an earlier
/// bundle, and reading it back would keep roots that have since left the OS store.
pub const BUNDLE_MARK: &str =
    "# corptls bundle: a snapshot of the roots corptls trusts (OS store, certifi, extra CAs); never read back as a source";

/// Where a certificate or a problem came from: a label ("os", "certifi", "SSL_CERT_FILE", ...)
/// and, when there is one, the place: a file or directory, or a platform store by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub label: String,
    pub place: Option<String>,
}

impl Source {
    pub fn file(label: &str, path: &Path) -> Self {
        Source::place(label, path.display().to_string())
    }

    pub fn place(label: &str, place: String) -> Self {
        Source { label: label.to_owned(), place: Some(place) }
    }
}

impl From<&str> for Source {
    fn from(label: &str) -> Self {
        Source { label: label.to_owned(), place: None }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{}: {place}", self.label),
            None => f.write_str(&self.label),
        }
    }
}

/// One problem with one source: never fatal, always reported.
#[derive(Clone, Debug)]
pub struct Problem {
    pub source: Source,
    pub message: String,
}

/// Certificates found under one label ("os", "certifi", "extra", ...), each with the
/// file it came from, and what went wrong.
#[derive(Default)]
pub struct Found {
    pub certs: Vec<(Vec<u8>, Source)>,
    pub problems: Vec<Problem>,
}

impl Found {
    pub fn problem(&mut self, source: impl Into<Source>, message: impl Into<String>) {
        self.problems.push(Problem { source: source.into(), message: message.into() });
    }

    #[cfg(all(unix, not(target_os = "macos")))] // only the Linux store gathers several paths
    pub fn extend(&mut self, other: Found) {
        self.certs.extend(other.certs);
        self.problems.extend(other.problems);
    }
}

/// Reads a PEM (or single DER) file, or every file of a directory.
pub fn read_path(label: &str, path: &Path) -> Found {
    let mut found = Found::default();
    let source = Source::file(label, path);
    match fs::metadata(path) {
        Err(err) => found.problem(source, format!("cannot read: {err}")),
        Ok(meta) if meta.is_dir() => read_dir(label, path, &mut found),
        Ok(_) => read_file(&source, path, false, &mut found),
    }
    found
}

fn read_dir(label: &str, dir: &Path, found: &mut Found) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => return found.problem(Source::file(label, dir), format!("cannot list: {err}")),
    };
    // Hashed directories hold several names for one file: read each file once, under its
    // descriptive name (hash links such as `5ad8a5d6.0` sort last), which a person can act on.
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort_by_key(|p| (is_hash_link(p), p.clone()));
    let mut seen = HashSet::new();
    for path in paths {
        let source = Source::file(label, &path);
        match fs::metadata(&path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {} // a dangling link: not a certificate
            Err(err) => found.problem(source, format!("cannot read: {err}")),
            Ok(meta) if meta.is_dir() => {}
            // A FIFO or a device here is refused by read_file, and reported.
            Ok(meta) => {
                if seen.insert(file_id(&meta, &path)) {
                    read_file(&source, &path, true, found);
                }
            }
        }
    }
}

/// What makes two names one file: device and inode where there are such, else the path.
#[cfg(unix)]
fn file_id(meta: &fs::Metadata, _path: &Path) -> (u64, u64, PathBuf) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino(), PathBuf::new())
}

#[cfg(not(unix))]
fn file_id(_meta: &fs::Metadata, path: &Path) -> (u64, u64, PathBuf) {
    (0, 0, path.to_path_buf())
}

/// `in_dir`: a file found in a directory, which may hold other things (a Makefile, a README):
/// no certificate there is not a problem. A file named on its own must hold one.
fn read_file(source: &Source, path: &Path, in_dir: bool, found: &mut Found) {
    let bytes = match safe_read::read(path) {
        Ok(bytes) => bytes,
        Err(err) => return found.problem(source.clone(), format!("cannot read: {err}")),
    };
    if bytes.starts_with(BUNDLE_MARK.as_bytes()) {
        return;
    }
    let (certs, errors) = parse(&bytes);
    if certs.is_empty() && errors.is_empty() && !in_dir && !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        found.problem(source.clone(), "no certificate found (neither PEM nor DER)");
    }
    found.certs.extend(certs.into_iter().map(|der| (der, source.clone())));
    for err in errors {
        found.problem(source.clone(), err);
    }
}

/// The certificates of one file: its PEM `CERTIFICATE` blocks, else the file itself when it is
/// one DER certificate (IT often hands out a single `.cer`/`.crt`). Other PEM kinds (keys, CRLs,
/// OpenSSL's TRUSTED CERTIFICATE, whose distrust settings we could not honour) are not ours to read.
pub fn parse(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
    // A UTF-8 byte order mark (Notepad's) hides the first BEGIN line; OpenSSL reads past it.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let (mut certs, mut errors) = (Vec::new(), Vec::new());
    for item in CertificateDer::pem_slice_iter(bytes) {
        match item {
            Ok(cert) => certs.push(cert.as_ref().to_vec()),
            Err(err) => errors.push(format!("bad PEM: {err}")),
        }
    }
    if certs.is_empty() && errors.is_empty() && X509Certificate::from_der(bytes).is_ok() {
        certs.push(bytes.to_vec());
    }
    (certs, errors)
}

#[cfg(test)]
pub(crate) mod tests {
    //! Also the shared helpers of the other modules' tests: fixtures and scratch directories.

    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Fixtures made with the `openssl` CLI (see tests/fixtures/README.md).
    pub const CA_PEM: &[u8] = include_bytes!("../tests/fixtures/ca.pem");
    pub const CA2_PEM: &[u8] = include_bytes!("../tests/fixtures/ca2.pem");
    pub const CA2_DER: &[u8] = include_bytes!("../tests/fixtures/ca2.der");
    pub const LEAF_PEM: &[u8] = include_bytes!("../tests/fixtures/leaf.pem");
    /// Two self-signed roots with one subject, as after a renewal.
    pub const RENEWED_OLD_PEM: &[u8] = include_bytes!("../tests/fixtures/renewed-old.pem");
    pub const RENEWED_NEW_PEM: &[u8] = include_bytes!("../tests/fixtures/renewed-new.pem");
    pub const GARBAGE_BLOCK: &[u8] =
        b"-----BEGIN CERTIFICATE-----\n!!!this*is*not@base64###\n%%%%\n-----END CERTIFICATE-----\n";

    pub fn der_of(pem_bytes: &[u8]) -> Vec<u8> {
        pem::parse(pem_bytes).expect("fixture is PEM").into_contents()
    }

    /// A fresh directory under the system temp dir, removed on drop.
    pub struct Scratch(pub PathBuf);

    impl Scratch {
        pub fn new(name: &str) -> Scratch {
            Scratch::below(&std::env::temp_dir(), name)
        }

        /// Below the user's home, which only root or the user can write: the cache refuses a
        /// directory below a world-writable one such as /tmp (where a clone may lie, too).
        #[cfg(unix)]
        pub fn private(name: &str) -> Scratch {
            let home = std::env::var_os("HOME").expect("a home directory");
            let base = Path::new(&home).join(".cache").join("corptls-test-scratch");
            fs::create_dir_all(&base).unwrap();
            Scratch::below(&base, name)
        }

        fn below(base: &Path, name: &str) -> Scratch {
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!("corptls-test-{}-{n}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            #[cfg(unix)] // whatever the umask: the cache tests decide the modes that matter
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
            }
            Scratch(dir)
        }

        pub fn write(&self, name: &str, parts: &[&[u8]]) -> PathBuf {
            let path = self.0.join(name);
            fs::write(&path, parts.concat()).unwrap();
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            #[cfg(unix)]
            {
                // Tests may leave a directory unreadable: make it removable again.
                use std::os::unix::fs::PermissionsExt;
                let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o700));
            }
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn ders(found: &Found) -> Vec<Vec<u8>> {
        let mut ders: Vec<Vec<u8>> = found.certs.iter().map(|(der, _)| der.clone()).collect();
        ders.sort();
        ders
    }

    fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        v.sort();
        v
    }

    #[test]
    fn pem_file_with_two_certs() {
        let tmp = Scratch::new("two");
        let path = tmp.write("two.pem", &[CA_PEM, CA2_PEM]);
        let found = read_path("extra", &path);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(ders(&found), sorted(vec![der_of(CA_PEM), der_of(CA2_PEM)]));
        assert!(found.certs.iter().all(|(_, s)| *s == Source::file("extra", &path)), "{:?}", found.certs);
    }

    #[test]
    fn garbage_block_is_reported_with_its_file_and_good_certs_are_kept() {
        let tmp = Scratch::new("garbage");
        let path = tmp.write("mixed.pem", &[CA_PEM, GARBAGE_BLOCK, CA2_PEM]);
        let found = read_path("os", &path);
        assert_eq!(ders(&found), sorted(vec![der_of(CA_PEM), der_of(CA2_PEM)]));
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        assert_eq!(found.problems[0].source.to_string(), format!("os: {}", path.display()));
        assert!(!found.problems[0].message.is_empty());
    }

    #[test]
    fn garbage_only_file_is_reported() {
        let tmp = Scratch::new("garbage-only");
        let path = tmp.write("bad.pem", &[GARBAGE_BLOCK]);
        let found = read_path("extra", &path);
        assert!(found.certs.is_empty());
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        assert_eq!(found.problems[0].source.to_string(), format!("extra: {}", path.display()));
    }

    #[test]
    fn der_file_is_accepted() {
        let tmp = Scratch::new("der");
        let path = tmp.write("corp.cer", &[CA2_DER]);
        let found = read_path("extra", &path);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(ders(&found), vec![CA2_DER.to_vec()]);
        assert_eq!(found.certs[0].1, Source::file("extra", &path));
    }

    #[test]
    fn neither_pem_nor_der_is_reported() {
        let tmp = Scratch::new("text");
        let path = tmp.write("notes.txt", &[b"just some text\n"]);
        let found = read_path("extra", &path);
        assert!(found.certs.is_empty());
        assert_eq!(found.problems.len(), 1);
        assert_eq!(found.problems[0].source.to_string(), format!("extra: {}", path.display()));
        assert!(found.problems[0].message.contains("no certificate found"), "{:?}", found.problems);
    }

    #[test]
    fn missing_path_is_reported() {
        let tmp = Scratch::new("missing");
        let path = tmp.0.join("does-not-exist.pem");
        let found = read_path("CORPTLS_EXTRA_CA_CERTS", &path);
        assert!(found.certs.is_empty());
        assert_eq!(found.problems.len(), 1);
        assert_eq!(found.problems[0].source.to_string(), format!("CORPTLS_EXTRA_CA_CERTS: {}", path.display()));
        assert!(found.problems[0].message.starts_with("cannot read"), "{:?}", found.problems);
    }

    #[cfg(unix)]
    #[test]
    fn directory_with_symlinked_duplicates_is_read_once() {
        use std::os::unix::fs::symlink;
        let tmp = Scratch::new("dir");
        let store = tmp.0.join("certs");
        fs::create_dir(&store).unwrap();
        fs::write(store.join("corp-root.pem"), CA_PEM).unwrap();
        fs::write(store.join("second.crt"), CA2_PEM).unwrap();
        // OpenSSL hash links, a second readable name, a link from outside and a dangling link.
        symlink("corp-root.pem", store.join("0a1b2c3d.0")).unwrap();
        symlink(store.join("corp-root.pem"), store.join("Corp_Root.pem")).unwrap();
        symlink("second.crt", store.join("4e5f6a7b.0")).unwrap();
        symlink("gone.pem", store.join("dangling.0")).unwrap();
        fs::create_dir(store.join("subdir")).unwrap();
        let found = read_path("os", &store);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.certs.len(), 2, "{:?}", found.certs.iter().map(|c| &c.1).collect::<Vec<_>>());
        assert_eq!(ders(&found), sorted(vec![der_of(CA_PEM), der_of(CA2_PEM)]));
        assert!(found.certs.iter().all(|(_, s)| s.to_string().starts_with(&format!("os: {}/", store.display()))));
    }

    /// A FIFO or a device, named on its own or planted in a store at a hash name, is reported
    /// and never read: it would block forever or never end.
    #[cfg(unix)]
    #[test]
    fn fifo_and_device_are_reported_not_read() {
        use std::os::unix::fs::symlink;
        let tmp = Scratch::new("hostile");
        let store = tmp.0.join("certs");
        fs::create_dir(&store).unwrap();
        fs::write(store.join("corp-root.pem"), CA_PEM).unwrap();
        let fifo = store.join("5ad8a5d6.0");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o644)).unwrap();
        symlink("/dev/zero", store.join("0a1b2c3d.0")).unwrap();
        let found = read_path("os", &store);
        assert_eq!(ders(&found), vec![der_of(CA_PEM)]);
        let mut sources: Vec<String> = found.problems.iter().map(|p| p.source.to_string()).collect();
        sources.sort();
        let expected = [format!("os: {}", store.join("0a1b2c3d.0").display()), format!("os: {}", fifo.display())];
        assert_eq!(sources, expected, "{:?}", found.problems);
        assert!(found.problems.iter().all(|p| p.message.contains("not a regular file")), "{:?}", found.problems);
        for path in [fifo.as_path(), Path::new("/dev/zero")] {
            let found = read_path("SSL_CERT_FILE", path);
            assert!(found.certs.is_empty());
            assert!(found.problems[0].message.contains("not a regular file"), "{:?}", found.problems);
        }
    }

    #[test]
    fn bad_file_in_directory_is_attributed_to_that_file() {
        let tmp = Scratch::new("dir-bad");
        tmp.write("good.pem", &[CA_PEM]);
        let bad = tmp.write("zz-garbage.pem", &[GARBAGE_BLOCK]);
        let found = read_path("os", &tmp.0);
        assert_eq!(ders(&found), vec![der_of(CA_PEM)]);
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        assert_eq!(found.problems[0].source.to_string(), format!("os: {}", bad.display()));
    }
}
