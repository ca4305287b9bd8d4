//! OpenSSL's hashed certificate directory (`<subject hash>.<n>` names), which it reads
//! lazily: a root found there need not be loaded eagerly into every context (each eager
//! root costs a parse per context, ~0.2 ms here).
//!
//! OpenSSL hashes a canonical form of the name: string values as UTF-8, trimmed,
//! inner whitespace runs folded to one space, ASCII lowercased; each RDN encoded as a
//! DER `SET OF` and the sets concatenated, without the outer `SEQUENCE`.

use std::path::Path;

use sha1::{Digest, Sha1};
use x509_parser::der_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::prelude::X509Name;

use crate::certs::parse;
use crate::safe_read;

/// OpenSSL's `<8 hex digits>.<n>` names (`.r<n>` for CRLs).
pub fn is_hash_link(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.split_once('.').is_some_and(|(hash, n)| {
        hash.len() == 8
            && hash.chars().all(|c| c.is_ascii_hexdigit())
            && n.trim_start_matches('r').chars().all(|c| c.is_ascii_digit())
    })
}

/// True when OpenSSL's lookup in `dir` finds exactly this certificate (DER) under `hash`.
pub fn holds(dir: &Path, hash: &str, der: &[u8]) -> bool {
    (0..).map(|n| dir.join(format!("{hash}.{n}"))).take_while(|p| p.exists()).any(|path| {
        safe_read::read(&path).is_ok_and(|bytes| parse(&bytes).0.iter().any(|c| c == der))
    })
}

/// The subject hash as OpenSSL prints it (`%08lx`).
pub fn subject_hash(name: &X509Name<'_>) -> String {
    let mut canonical = Vec::new();
    for rdn in name.iter() {
        let mut entries: Vec<Vec<u8>> = rdn
            .iter()
            .map(|atv| {
                let mut entry = tlv(0x06, atv.attr_type().as_bytes());
                entry.extend(canonical_value(atv.attr_value()));
                tlv(0x30, &entry)
            })
            .collect();
        entries.sort(); // DER orders the members of a SET OF
        canonical.extend(tlv(0x31, &entries.concat()));
    }
    let digest = Sha1::digest(&canonical);
    format!("{:08x}", u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]))
}

fn canonical_value(value: &Any<'_>) -> Vec<u8> {
    let text: Option<String> = match value.header.tag() {
        Tag::Utf8String => Some(String::from_utf8_lossy(value.data).into_owned()),
        // One byte per character; OpenSSL reads them as Latin-1.
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::T61String => {
            Some(value.data.iter().map(|&b| char::from(b)).collect())
        }
        Tag::BmpString => Some(
            char::decode_utf16(value.data.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        ),
        Tag::UniversalString => Some(
            value
                .data
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        ),
        _ => None,
    };
    match text {
        Some(text) => tlv(0x0c, &fold(text.as_bytes())),
        // Other types (NumericString, ...) are hashed as they are.
        None => {
            let class = match value.header.class() {
                Class::Universal => 0x00,
                Class::Application => 0x40,
                Class::ContextSpecific => 0x80,
                Class::Private => 0xc0,
            };
            let constructed = if value.header.is_constructed() { 0x20 } else { 0 };
            tlv(class | constructed | (value.header.tag().0 as u8 & 0x1f), value.data)
        }
    }
}

/// Trim, fold whitespace runs to one space, lowercase ASCII; other bytes pass unchanged.
fn fold(bytes: &[u8]) -> Vec<u8> {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let start = bytes.iter().position(|b| !space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !space(b)).map_or(start, |i| i + 1);
    let mut out = Vec::with_capacity(end - start);
    let mut in_space = false;
    for b in &bytes[start..end] {
        if space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b.to_ascii_lowercase());
            in_space = false;
        }
    }
    out
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use x509_parser::prelude::{FromDer, X509Certificate};

    /// Every hash link of the system's hashed directory names its certificate by our hash
    /// (as `c_rehash` computed it): Debian's /etc/ssl/certs, so Linux only.
    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn matches_openssl_on_the_system_store() {
        let mut checked = 0;
        for entry in std::fs::read_dir("/etc/ssl/certs").expect("the system store") {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !is_hash_link(&path) || name.contains(".r") {
                continue;
            }
            let hash = &name[..8];
            let pem = std::fs::read(&path).unwrap();
            let der = rustls_pki_types::CertificateDer::from_pem_slice(&pem).unwrap();
            let (_, cert) = X509Certificate::from_der(&der).unwrap();
            assert_eq!(subject_hash(cert.subject()), hash, "{}", path.display());
            checked += 1;
        }
        assert!(checked > 50, "only {checked} hash links found");
    }

    #[test]
    fn folds_like_openssl() {
        assert_eq!(fold(b"  Foo \t Bar  "), b"foo bar");
        assert_eq!(fold(b"\xc3\x89T\xc3\x89"), b"\xc3\x89t\xc3\x89");
        assert_eq!(fold(b"   "), b"");
    }
}
