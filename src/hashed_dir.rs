//! OpenSSL's hashed certificate directory (`<subject hash>.<n>` names), which it reads
//! lazily: a context given one parses nothing up front, and at a handshake only the files of
//! the one subject it looks up (each root loaded eagerly costs a parse per context, ~0.2 ms).
//!
//! OpenSSL hashes a canonical form of the name: string values as UTF-8, trimmed,
//! inner whitespace runs folded to one space, ASCII lowercased; each RDN encoded as a
//! DER `SET OF` and the sets concatenated, without the outer `SEQUENCE`.

use std::collections::HashMap;
use std::path::Path;

use x509_parser::der_parser::asn1_rs::{Any, Class, Tag};
use x509_parser::prelude::X509Name;

use crate::der::tlv;

/// OpenSSL's `<8 hex digits>.<n>` names (`.r<n>` for CRLs).
pub fn is_hash_link(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    name.split_once('.').is_some_and(|(hash, n)| {
        hash.len() == 8
            && hash.chars().all(|c| c.is_ascii_hexdigit())
            && n.trim_start_matches('r').chars().all(|c| c.is_ascii_digit())
    })
}

/// The file names of a hashed directory holding roots of these subject hashes, in order:
/// `<hash>.<n>`, `n` counting up per hash. OpenSSL reads every `<hash>.<n>` of a subject it
/// looks up, so same-subject roots are found together.
pub fn names<'a>(hashes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken: HashMap<&str, usize> = HashMap::new();
    hashes
        .into_iter()
        .map(|hash| {
            let n = taken.entry(hash).or_default();
            let name = format!("{hash}.{n}");
            *n += 1;
            name
        })
        .collect()
}

/// The subject hash as OpenSSL prints it (`%08lx`); None when OpenSSL refuses the name (and so
/// the whole certificate: one such root in a bundle makes OpenSSL refuse the bundle).
pub fn subject_hash(name: &X509Name<'_>) -> Option<String> {
    let (mut canonical, mut read) = (Vec::new(), Vec::new());
    for rdn in name.iter() {
        let (mut entries, mut read_rdn) = (Vec::new(), Vec::new());
        for atv in rdn.iter() {
            let (oid, value) = (tlv(0x06, atv.attr_type().as_bytes()), atv.attr_value());
            let mut entry = oid.clone();
            entry.extend(canonical_value(value)?);
            entries.push(tlv(0x30, &entry));
            // canonical_value took only universal tags below 31, constructed only for SEQUENCE.
            let identifier = value.header.tag().0 as u8 | if value.header.is_constructed() { 0x20 } else { 0 };
            read_rdn.extend(tlv(0x30, &[oid, tlv(identifier, value.data)].concat()));
        }
        entries.sort(); // DER orders the members of a SET OF
        canonical.extend(tlv(0x31, &entries.concat()));
        read.extend(tlv(0x31, &read_rdn));
    }
    // x509-parser reads past what OpenSSL refuses: an attribute type not tagged as an OID, and
    // an RDN it cannot parse, where it keeps the RDNs before and drops the rest. Then the name it
    // read, written back as DER, is not the certificate's.
    if tlv(0x30, &read) != name.as_raw() {
        return None;
    }
    let digest = crate::digest::sha1(&canonical);
    Some(format!("{:08x}", u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])))
}

/// OpenSSL's canonical form of one value, or None where OpenSSL refuses it: a type outside its
/// `B_ASN1_PRINTABLE` (VisibleString, UTCTime, OCTET STRING, a tagged value, ...), or a string
/// it cannot convert to UTF-8 (bad UTF-8, a surrogate, an odd-length BMPString, ...).
fn canonical_value(value: &Any<'_>) -> Option<Vec<u8>> {
    let tag = value.header.tag();
    if value.header.class() != Class::Universal || value.header.is_constructed() != (tag == Tag::Sequence) {
        return None;
    }
    let data = value.data;
    let text: String = match tag {
        Tag::Utf8String => std::str::from_utf8(data).ok()?.to_owned(),
        // One byte per character; OpenSSL reads them as Latin-1.
        Tag::PrintableString | Tag::Ia5String | Tag::T61String => data.iter().map(|&b| char::from(b)).collect(),
        // UCS-2 and UCS-4: no surrogate pairs, no surrogates.
        Tag::BmpString if data.len() % 2 == 0 => data
            .chunks_exact(2)
            .map(|c| char::from_u32(u32::from(u16::from_be_bytes([c[0], c[1]]))))
            .collect::<Option<_>>()?,
        Tag::UniversalString if data.len() % 4 == 0 => data
            .chunks_exact(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect::<Option<_>>()?,
        // Kept as they are, but OpenSSL clears a BIT STRING's unused bits (and of no bits, the count).
        Tag::BitString => {
            let (&unused, bits) = data.split_first()?;
            let mut kept = if bits.is_empty() { vec![0] } else { data.to_vec() };
            if unused > 7 {
                return None;
            }
            if let Some(last) = kept.last_mut().filter(|_| !bits.is_empty()) {
                *last &= 0xff << unused;
            }
            return Some(tlv(0x03, &kept));
        }
        Tag::Sequence => return Some(tlv(0x30, data)),
        // NumericString and the types OpenSSL knows no name for (ObjectDescriptor, EXTERNAL, REAL, ...).
        Tag(t @ (7 | 8 | 9 | 11 | 13 | 14 | 15 | 18 | 29)) => return Some(tlv(t as u8, data)),
        _ => return None,
    };
    Some(tlv(0x0c, &fold(text.as_bytes())))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every hash link of the system's hashed directory names its certificate by our hash
    /// (as `c_rehash` computed it): Debian's /etc/ssl/certs, so Linux only.
    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    #[ignore = "needs a c_rehash'ed /etc/ssl/certs (Debian's): scripts/test runs it (--include-ignored)"]
    fn matches_openssl_on_the_system_store() {
        use rustls_pki_types::pem::PemObject;
        use x509_parser::prelude::{FromDer, X509Certificate};

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
            assert_eq!(subject_hash(cert.subject()).as_deref(), Some(hash), "{}", path.display());
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
