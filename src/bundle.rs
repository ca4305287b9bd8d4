//! Gathering every trusted root into one deduplicated collection.

use std::collections::{HashMap, HashSet};
use std::env;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::path::PathBuf;

use crate::certs::{read_path, Found, Problem, BUNDLE_MARK};
use crate::digest::{hex, sha256};
use crate::hashed_dir;
use crate::os_store;
use crate::twin::conforming_twin;
use crate::x509::inspect;

/// Where to look besides the OS store, the CA variables included: the core reads no environment.
#[derive(Default)]
pub struct Request {
    pub certifi: Option<PathBuf>,
    pub openssl_file: Option<PathBuf>,
    pub openssl_dir: Option<PathBuf>,
    /// The CA variables as the caller's environment holds them (None: unset): the core reads no
    /// environment itself, so what is collected depends on the request alone.
    pub ssl_cert_file: Option<OsString>,
    pub ssl_cert_dir: Option<OsString>,
    pub extra_ca_certs: Option<OsString>,
    pub extra: Vec<PathBuf>,
}

/// One trust anchor, with every source it was found in.
pub struct Root {
    pub der: Vec<u8>,
    pub sha256: [u8; 32],
    pub sources: Vec<String>,
    pub subject: String,
    pub not_after: i64,
    /// The strict rules it breaks (src/x509.rs): Python 3.13+'s VERIFY_X509_STRICT rejects it.
    pub strict_rules: Vec<&'static str>,
    /// Its conforming twin (src/twin.rs): what contexts and the bundle file get in its place.
    /// Never both: OpenSSL picks either of two anchors with one subject and key.
    pub twin: Option<Vec<u8>>,
    pub subject_hash: String,
}

impl Root {
    /// The certificate OpenSSL gets for this root: the twin, if it has one.
    pub fn trusted(&self) -> &[u8] {
        self.twin.as_deref().unwrap_or(&self.der)
    }
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
            let sha256 = sha256(&der);
            if let Some(&i) = self.index.get(&sha256) {
                let sources = &mut self.roots[i].sources;
                if !sources.iter().any(|s| s == label) {
                    sources.push(label.to_owned());
                }
                continue;
            }
            match inspect(&der) {
                Ok(info) if info.is_anchor() => {
                    self.index.insert(sha256, self.roots.len());
                    self.roots.push(Root {
                        twin: conforming_twin(&der),
                        der,
                        sha256,
                        sources: vec![label.to_owned()],
                        subject: info.subject,
                        not_after: info.not_after,
                        strict_rules: info.strict_rules,
                        subject_hash: info.subject_hash,
                    });
                }
                Ok(info) => self.problems.push(Problem {
                    source: origin,
                    message: format!(
                        "{}: not a CA certificate, left out of the bundle (sha256 {})",
                        info.subject,
                        hex(&sha256)
                    ),
                }),
                Err(message) => self
                    .problems
                    .push(Problem { source: origin, message: format!("{message} (sha256 {})", hex(&sha256)) }),
            }
        }
    }

    /// The bundle as PEM with LF line endings, behind the line that marks it as corptls's.
    pub fn pem(&self) -> String {
        marked_pem(self.roots.iter().map(Root::trusted))
    }

    /// The bundle as OpenSSL's hashed directory (`<subject hash>.<n>` files, each marked as
    /// corptls's): what a context loads, lazily, instead of every root up front.
    pub fn hashed_files(&self) -> Vec<(String, Vec<u8>)> {
        let names = hashed_dir::names(self.roots.iter().map(|r| r.subject_hash.as_str()));
        names.into_iter().zip(&self.roots).map(|(name, r)| (name, marked_pem([r.trusted()]).into_bytes())).collect()
    }
}

/// `ders` as PEM with LF line endings, behind the line that marks it as corptls's; empty for none.
fn marked_pem<'a>(ders: impl IntoIterator<Item = &'a [u8]>) -> String {
    let blocks: Vec<pem::Pem> = ders.into_iter().map(|der| pem::Pem::new("CERTIFICATE", der.to_vec())).collect();
    let pem = pem::encode_many_config(&blocks, pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF));
    if pem.is_empty() {
        pem
    } else {
        format!("{BUNDLE_MARK}\n{pem}")
    }
}

/// Paths named by a variable's value (a path list when `list`); an empty value is ignored and reported.
fn env_paths(name: &str, value: Option<&OsStr>, list: bool, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    match value {
        None => Vec::new(),
        Some(v) if v.is_empty() => {
            problems.push(Problem {
                source: name.into(),
                message: format!(
                    "{name} is set but empty: ignored (an empty value does not select the OS store). Fix: unset {name}"
                ),
            });
            Vec::new()
        }
        Some(v) if list => env::split_paths(v).filter(|p| !p.as_os_str().is_empty()).collect(),
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
        ("SSL_CERT_FILE", env_paths("SSL_CERT_FILE", request.ssl_cert_file.as_deref(), false, &mut env_problems)),
        ("SSL_CERT_DIR", env_paths("SSL_CERT_DIR", request.ssl_cert_dir.as_deref(), true, &mut env_problems)),
        (
            "CORPTLS_EXTRA_CA_CERTS",
            env_paths("CORPTLS_EXTRA_CA_CERTS", request.extra_ca_certs.as_deref(), true, &mut env_problems),
        ),
        ("extra", request.extra.clone()),
    ];
    collection.problems.extend(env_problems);
    // A directory is read once: on Linux OpenSSL's default directory often *is* the OS store.
    let mut dirs_read: HashSet<PathBuf> = os_store::dirs().iter().filter_map(|d| fs::canonicalize(d).ok()).collect();
    for (label, paths) in labelled {
        for path in paths {
            // OpenSSL's compiled-in defaults are often absent (on Windows always, in a slim
            // container a dangling link): OpenSSL skips them silently, and so does corptls.
            let meta = fs::metadata(&path);
            if label.starts_with("openssl-") && meta.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::NotFound) {
                continue;
            }
            if meta.is_ok_and(|m| m.is_dir()) && fs::canonicalize(&path).is_ok_and(|real| !dirs_read.insert(real)) {
                continue;
            }
            let found = read_path(label, &path);
            collection.add(label, found);
        }
    }
    collection
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::tests::{
        der_of, Scratch, CA2_DER, CA2_PEM, CA_PEM, GARBAGE_BLOCK, LEAF_PEM, RENEWED_NEW_PEM, RENEWED_OLD_PEM,
    };

    fn root<'a>(c: &'a Collection, der: &[u8]) -> Option<&'a Root> {
        c.roots.iter().find(|r| r.sha256 == sha256(der))
    }

    #[test]
    fn ca_is_described() {
        let mut c = Collection::default();
        let tmp = Scratch::new("describe");
        c.add("extra", read_path("extra", &tmp.write("ca.pem", &[CA_PEM])));
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let r = &c.roots[0];
        assert_eq!(r.der, der_of(CA_PEM));
        assert_eq!(hex(&r.sha256).len(), 64);
        assert!(r.subject.contains("CN=CorpTLS Fixture Root CA"), "{}", r.subject);
        assert!(r.not_after > 3_000_000_000, "{}", r.not_after); // valid 50 years: after 2065
        assert!(r.strict_rules.is_empty() && r.twin.is_none()); // it conforms
        assert_eq!(r.sources, vec!["extra".to_owned()]);
    }

    #[test]
    fn non_ca_is_rejected_with_its_source_file() {
        let tmp = Scratch::new("non-ca");
        let path = tmp.write("leaf-and-ca.pem", &[LEAF_PEM, CA_PEM]);
        let mut c = Collection::default();
        c.add("os", read_path("os", &path));
        assert_eq!(c.roots.len(), 1);
        assert_eq!(c.roots[0].der, der_of(CA_PEM));
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        let p = &c.problems[0];
        assert_eq!(p.source.to_string(), format!("os: {}", path.display()));
        assert!(p.message.contains("not a CA"), "{}", p.message);
        assert!(p.message.contains("leaf.corptls.test"), "{}", p.message);
        assert!(p.message.contains(&hex(&sha256(&der_of(LEAF_PEM)))), "{}", p.message);
    }

    #[test]
    fn dedupe_across_sources_keeps_every_label_once() {
        let tmp = Scratch::new("dedupe");
        let one = tmp.write("one.pem", &[CA_PEM]);
        let both = tmp.write("both.pem", &[CA2_PEM, CA_PEM]);
        let der = tmp.write("ca2.der", &[CA2_DER]);
        let mut c = Collection::default();
        c.add("os", read_path("os", &one));
        c.add("certifi", read_path("certifi", &both));
        c.add("extra", read_path("extra", &der));
        c.add("os", read_path("os", &both)); // a label seen again is not repeated
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.roots.len(), 2);
        assert_eq!(root(&c, &der_of(CA_PEM)).unwrap().sources, ["os", "certifi"]);
        assert_eq!(root(&c, CA2_DER).unwrap().sources, ["certifi", "extra", "os"]);
        // First seen first.
        assert_eq!(c.roots[0].der, der_of(CA_PEM));
    }

    #[test]
    fn pem_uses_lf_only_and_round_trips() {
        let tmp = Scratch::new("pem");
        // CRLF input must still come out LF.
        let crlf: Vec<u8> = String::from_utf8(CA_PEM.to_vec()).unwrap().replace('\n', "\r\n").into_bytes();
        let mut c = Collection::default();
        c.add("extra", read_path("extra", &tmp.write("crlf.pem", &[&crlf])));
        c.add("extra", read_path("extra", &tmp.write("ca2.der", &[CA2_DER])));
        let out = c.pem();
        assert!(!out.contains('\r'));
        assert!(out.ends_with("-----END CERTIFICATE-----\n"), "{out:?}");
        assert_eq!(out.matches("-----BEGIN CERTIFICATE-----\n").count(), 2);
        let parsed: Vec<Vec<u8>> = pem::parse_many(&out).unwrap().into_iter().map(|p| p.into_contents()).collect();
        assert_eq!(parsed, vec![der_of(CA_PEM), CA2_DER.to_vec()]);
        // The mark first.
        assert!(out.starts_with(&format!("{BUNDLE_MARK}\n-----BEGIN CERTIFICATE-----\n")), "{out:?}");
        let unmarked = &out[BUNDLE_MARK.len() + 1..];
        // Read back, wherever it is, the bundle is no source at all: no roots, no problem.
        let again = read_path("SSL_CERT_FILE", &tmp.write("bundle.pem", &[out.as_bytes()]));
        assert!(again.certs.is_empty() && again.problems.is_empty());
        // Without the mark it is the same collection.
        let mut back = Collection::default();
        back.add("extra", read_path("extra", &tmp.write("copy.pem", &[unmarked.as_bytes()])));
        assert!(back.problems.is_empty());
        assert_eq!(back.pem(), out);
        assert_eq!(Collection::default().pem(), "");
    }

    #[test]
    fn a_twin_replaces_its_original_in_the_bundle() {
        let tmp = Scratch::new("twin");
        let legacy = include_bytes!("../tests/fixtures/legacy-constrained-root.pem");
        let mut c = Collection::default();
        c.add("extra", read_path("extra", &tmp.write("both.pem", &[CA_PEM, legacy])));
        let r = root(&c, &der_of(legacy)).expect("reported as the original");
        assert_eq!(
            r.strict_rules,
            [crate::x509::BC_NOT_CRITICAL, crate::x509::NO_KEY_USAGE, crate::x509::NO_SUBJECT_KEY_ID]
        );
        let twin = r.twin.clone().expect("twinned");
        let parsed: Vec<Vec<u8>> = pem::parse_many(c.pem()).unwrap().into_iter().map(|p| p.into_contents()).collect();
        assert_eq!(parsed, vec![der_of(CA_PEM), twin]);
    }

    /// The CA variables, as the request carries them: empty values reported, path lists split.
    #[test]
    fn ca_variables() {
        let tmp = Scratch::new("env");
        let baseline = collect(&Request::default());
        let os_count = baseline.roots.len();
        assert!(os_count > 0, "no OS roots on this machine");
        // Whatever this machine's store reports as a problem already.
        let os_problems = baseline.problems.len();
        let empty = || Some(OsString::new());

        // Empty SSL_CERT_FILE: reported, ignored, the OS store still read.
        let c = collect(&Request { ssl_cert_file: empty(), ..Request::default() });
        let p = c.problems.iter().find(|p| p.source.label == "SSL_CERT_FILE").expect("a problem for SSL_CERT_FILE");
        assert!(p.message.contains("empty"), "{}", p.message);
        assert!(c.roots.iter().any(|r| r.sources.iter().any(|s| s == "os")));

        // SSL_CERT_FILE set: the OS store is read as well.
        let ca2 = tmp.write("ca2.pem", &[CA2_PEM]);
        let c = collect(&Request { ssl_cert_file: Some(ca2.into()), ..Request::default() });
        assert!(c.problems.iter().all(|p| p.source.label != "SSL_CERT_FILE"), "{:?}", c.problems);
        assert_eq!(root(&c, CA2_DER).unwrap().sources, ["SSL_CERT_FILE"]);
        assert!(c.roots.len() > os_count);

        // CORPTLS_EXTRA_CA_CERTS is a path list; an empty entry is skipped, a missing one reported.
        let ca = tmp.write("ca.pem", &[CA_PEM]);
        let missing = tmp.0.join("missing.pem");
        let list = env::join_paths([missing.clone(), PathBuf::new(), ca.clone()]).unwrap();
        let garbage_dir = tmp.0.join("dir");
        fs::create_dir(&garbage_dir).unwrap();
        fs::write(garbage_dir.join("bad.pem"), GARBAGE_BLOCK).unwrap();
        let c = collect(&Request {
            extra_ca_certs: Some(list),
            ssl_cert_dir: Some(garbage_dir.clone().into()),
            extra: vec![ca.clone()],
            ..Request::default()
        });
        assert_eq!(root(&c, &der_of(CA_PEM)).unwrap().sources, ["CORPTLS_EXTRA_CA_CERTS", "extra"]);
        let sources: Vec<String> = c.problems.iter().map(|p| p.source.to_string()).collect();
        assert!(sources.contains(&format!("CORPTLS_EXTRA_CA_CERTS: {}", missing.display())), "{sources:?}");
        assert!(sources.contains(&format!("SSL_CERT_DIR: {}", garbage_dir.join("bad.pem").display())), "{sources:?}");
        assert_eq!(c.problems.len(), os_problems + 2, "{:?}", c.problems);

        // Empty SSL_CERT_DIR / CORPTLS_EXTRA_CA_CERTS are reported too.
        let c = collect(&Request { ssl_cert_dir: empty(), extra_ca_certs: empty(), ..Request::default() });
        for name in ["SSL_CERT_DIR", "CORPTLS_EXTRA_CA_CERTS"] {
            assert!(
                c.problems.iter().any(|p| p.source.label == name && p.message.contains("empty")),
                "{:?}",
                c.problems
            );
        }
    }

    /// OpenSSL's compiled-in default paths, absent (Windows) or a dangling link (a slim
    /// container), are no problem, as they are none to OpenSSL; certifi's file absent is one.
    #[test]
    fn absent_openssl_defaults_are_no_problem() {
        let tmp = Scratch::new("defaults");
        let os_problems = collect(&Request::default()).problems.len();
        let dangling = tmp.0.join("cert.pem");
        #[cfg(unix)]
        std::os::unix::fs::symlink(tmp.0.join("ca-certificates.crt"), &dangling).unwrap();
        let c = collect(&Request {
            certifi: Some(tmp.0.join("cacert.pem")),
            openssl_file: Some(dangling),
            openssl_dir: Some(tmp.0.join("certs")),
            ..Request::default()
        });
        assert_eq!(c.problems.len(), os_problems + 1, "{:?}", c.problems);
        assert_eq!(c.problems.last().unwrap().source.label, "certifi", "{:?}", c.problems);
    }

    /// The hashed directory: one file per root under its subject hash, the twin in place of its
    /// original, same-subject roots (a renewal) numbered under one hash, each file marked and so
    /// never read back as a source.
    #[test]
    fn hashed_files_hold_each_root_under_its_subject_hash() {
        let tmp = Scratch::new("hashed");
        let legacy = include_bytes!("../tests/fixtures/legacy-constrained-root.pem");
        let paths = [RENEWED_OLD_PEM, RENEWED_NEW_PEM, CA_PEM, legacy]
            .iter()
            .enumerate()
            .map(|(i, pem)| tmp.write(&format!("{i}.pem"), &[pem]))
            .collect();
        let c = collect(&Request { extra: paths, ..Request::default() });
        let extra: Vec<&Root> = c.roots.iter().filter(|r| r.sources == ["extra"]).collect();
        assert_eq!(extra.len(), 4, "{:?}", c.problems);
        let files = c.hashed_files();
        assert_eq!(files.len(), c.roots.len());
        let ders: Vec<(&String, Vec<u8>)> = files
            .iter()
            .map(|(name, content)| {
                assert!(read_path("x", &tmp.write("back.pem", &[content])).certs.is_empty(), "marked: no source");
                (name, pem::parse(content).unwrap().into_contents())
            })
            .collect();
        let holding = |der: &[u8]| -> String {
            let found: Vec<&String> = ders.iter().filter(|(_, d)| d == der).map(|(name, _)| *name).collect();
            assert_eq!(found.len(), 1);
            found[0].clone()
        };
        let hash = |der: &[u8]| crate::x509::inspect(der).unwrap().subject_hash;
        let (old, new) = (der_of(RENEWED_OLD_PEM), der_of(RENEWED_NEW_PEM));
        assert_eq!(hash(&old), hash(&new));
        // Both lack keyUsage: the directory holds their twins, under the originals' subject hash.
        let mut renewed = [holding(root(&c, &old).unwrap().trusted()), holding(root(&c, &new).unwrap().trusted())];
        renewed.sort();
        assert_eq!(renewed, [format!("{}.0", hash(&old)), format!("{}.1", hash(&old))]);
        assert_eq!(holding(&der_of(CA_PEM)), format!("{}.0", hash(&der_of(CA_PEM))));
        let twinned = root(&c, &der_of(legacy)).unwrap();
        let twin = twinned.twin.clone().expect("twinned");
        assert_eq!(holding(&twin), format!("{}.0", hash(&twin)));
        assert!(ders.iter().all(|(_, d)| *d != der_of(legacy)), "never the original beside its twin");
    }
}
