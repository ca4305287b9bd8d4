//! A trust anchor's conforming twin, for Python 3.13+'s VERIFY_X509_STRICT.
//!
//! Roots that inspection products have shipped for years (Zscaler's 2014 root) carry
//! basicConstraints CA:TRUE not marked critical, no keyUsage and no subjectKeyIdentifier, and
//! strict verification refuses every chain through them. A trust anchor is its name and its
//! public key (RFC 5280 §6.1.1(d)), and OpenSSL does not check an anchor's own signature unless
//! X509_V_FLAG_CHECK_SS_SIGNATURE is set. So the twin is the same certificate, every byte of it
//! (subject, issuer, serial, validity, key, name constraints and every other extension, the
//! signature too), but basicConstraints marked critical (same cA, same pathLen), keyUsage
//! keyCertSign|cRLSign added only where there is none (an existing one is never widened), and a
//! subjectKeyIdentifier added where there is none. It trusts nothing the original did not.

use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::der::{self, BIT_STRING, BOOLEAN, OCTET_STRING, OID, SEQUENCE};
use crate::digest::sha1;

/// The content of the OIDs of basicConstraints, keyUsage and subjectKeyIdentifier.
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
/// keyCertSign (bit 5) and cRLSign (bit 6): one byte, its last bit unused.
const CERT_AND_CRL_SIGN: &[u8] = &[0x01, 0x06];
/// `[3] EXPLICIT Extensions`, the last field of a v3 TBSCertificate.
const EXTENSIONS: u8 = 0xa3;

/// The twin of a CA certificate that breaks a strict rule a twin repairs; None when it breaks
/// none, is no CA (its basicConstraints says so, or it has none), or is not plain DER.
pub fn conforming_twin(der: &[u8]) -> Option<Vec<u8>> {
    let (rest, cert) = X509Certificate::from_der(der).ok()?;
    let constraints = cert.basic_constraints().ok()??;
    let has = |oid| matches!(cert.get_extension_unique(oid), Ok(Some(_)));
    let (add_usage, add_key_id) = (!has(&OID_X509_EXT_KEY_USAGE), !has(&OID_X509_EXT_SUBJECT_KEY_IDENTIFIER));
    if !rest.is_empty() || !constraints.value.ca || constraints.critical && !add_usage && !add_key_id {
        return None;
    }
    let (outer, after) = der::read(der)?;
    let parts = der::children(outer.content)?;
    let [tbs, algorithm, signature] = parts.as_slice() else { return None };
    let mut fields = der::children(tbs.content)?;
    let last = fields.pop().filter(|f| f.tag == EXTENSIONS)?;
    let (list, tail) = der::read(last.content)?;
    if !after.is_empty() || !tail.is_empty() || outer.tag != SEQUENCE || list.tag != SEQUENCE {
        return None;
    }
    let mut extensions = Vec::new();
    for extension in der::children(list.content)? {
        let members = der::children(extension.content)?;
        match members.as_slice() {
            [id, .., value] if id.tag == OID && id.content == BASIC_CONSTRAINTS => {
                extensions.extend(der::tlv(SEQUENCE, &[id.raw, &[BOOLEAN, 1, 0xff], value.raw].concat()));
            }
            _ => extensions.extend_from_slice(extension.raw),
        }
    }
    if add_usage {
        extensions.extend(extension(KEY_USAGE, true, &der::tlv(BIT_STRING, CERT_AND_CRL_SIGN)));
    }
    if add_key_id {
        extensions.extend(extension(SUBJECT_KEY_ID, false, &der::tlv(OCTET_STRING, &key_id(&cert))));
    }
    let mut tbs_content: Vec<u8> = fields.iter().flat_map(|f| f.raw.iter().copied()).collect();
    tbs_content.extend(der::tlv(EXTENSIONS, &der::tlv(SEQUENCE, &extensions)));
    let body = [der::tlv(SEQUENCE, &tbs_content), algorithm.raw.to_vec(), signature.raw.to_vec()].concat();
    Some(der::tlv(SEQUENCE, &body))
}

/// A self-issued certificate's own authorityKeyIdentifier, where it has one: OpenSSL takes a
/// certificate as self-signed only when that matches its subjectKeyIdentifier. Otherwise the
/// SHA-1 of the public key's bits (RFC 5280 §4.2.1.2, method 1), which is what issuers put in
/// their children's authorityKeyIdentifier.
fn key_id(cert: &X509Certificate<'_>) -> Vec<u8> {
    let own =
        cert.get_extension_unique(&OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER).ok().flatten().and_then(|ext| {
            match ext.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(akid) => akid.key_identifier.as_ref().map(|k| k.0.to_vec()),
                _ => None,
            }
        });
    match own {
        Some(id) if cert.subject() == cert.issuer() => id,
        _ => sha1(&cert.public_key().subject_public_key.data).to_vec(),
    }
}

fn extension(id: &[u8], critical: bool, value: &[u8]) -> Vec<u8> {
    let flag: &[u8] = if critical { &[BOOLEAN, 1, 0xff] } else { &[] };
    der::tlv(SEQUENCE, &[der::tlv(OID, id), flag.to_vec(), der::tlv(OCTET_STRING, value)].concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::tests::{der_of, CA_PEM};
    use crate::x509::{inspect, BC_NOT_CRITICAL, NO_KEY_USAGE, NO_SUBJECT_KEY_ID};
    use x509_parser::extensions::X509Extension;
    use x509_parser::oid_registry::OID_X509_EXT_BASIC_CONSTRAINTS;

    const LEGACY: &[u8] = include_bytes!("../tests/fixtures/legacy-constrained-root.pem");
    const ZSCALER_STYLE: &[u8] = include_bytes!("../tests/fixtures/odd/gen-bc-noncritical-zscaler-style.pem");
    const EPKI: &[u8] = include_bytes!("../tests/fixtures/odd/real-epki-bc-noncritical-no-ku.pem");
    const GO_DADDY: &[u8] = include_bytes!("../tests/fixtures/odd/real-go-daddy-class2-ou-only.pem");
    const NO_KU_NO_SKID: &[u8] = include_bytes!("../tests/fixtures/odd/gen-no-keyusage-no-skid.pem");
    const REPAIRED: [&str; 3] = [BC_NOT_CRITICAL, NO_KEY_USAGE, NO_SUBJECT_KEY_ID];

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        let (rest, cert) = X509Certificate::from_der(der).expect("parses back");
        assert!(rest.is_empty());
        cert
    }

    /// Everything but the three repairs is the original's, and the twin breaks none of them.
    fn assert_twin(original_pem: &[u8]) -> Vec<u8> {
        let original_der = der_of(original_pem);
        let twin_der = conforming_twin(&original_der).expect("a twin");
        let (original, twin) = (parse(&original_der), parse(&twin_der));
        let tbs = (&original.tbs_certificate, &twin.tbs_certificate);
        assert_eq!(twin.version(), original.version());
        assert_eq!(tbs.1.raw_serial(), tbs.0.raw_serial());
        assert_eq!(twin.subject().as_raw(), original.subject().as_raw());
        assert_eq!(twin.issuer().as_raw(), original.issuer().as_raw());
        assert_eq!(twin.validity(), original.validity());
        assert_eq!(twin.public_key().raw, original.public_key().raw);
        assert_eq!(tbs.1.signature, tbs.0.signature);
        assert_eq!(twin.signature_algorithm, original.signature_algorithm);
        assert_eq!(twin.signature_value, original.signature_value);
        let repaired = [OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_SUBJECT_KEY_IDENTIFIER];
        let others = |c: &X509Certificate<'_>| -> Vec<(Vec<u8>, bool, Vec<u8>)> {
            c.extensions().iter().filter(|e| !repaired.contains(&e.oid)).map(key).collect()
        };
        assert_eq!(others(&twin), others(&original), "every other extension, in order, byte for byte");
        let (before, after) =
            (original.basic_constraints().unwrap().unwrap(), twin.basic_constraints().unwrap().unwrap());
        assert!(after.critical);
        assert_eq!(
            (after.value.ca, after.value.path_len_constraint),
            (before.value.ca, before.value.path_len_constraint)
        );
        let usage = twin.key_usage().unwrap().expect("keyUsage");
        match original.key_usage().unwrap() {
            Some(kept) => assert_eq!(key(&usage_ext(&twin)), key(&usage_ext(&original)), "{kept:?} kept as it was"),
            None => {
                assert!(usage.critical && usage.value.key_cert_sign() && usage.value.crl_sign());
                assert_eq!(usage.value.flags, 0b110_0000, "keyCertSign and cRLSign only");
            }
        }
        let info = inspect(&twin_der).unwrap();
        assert!(info.strict_rules.iter().all(|r| !REPAIRED.contains(r)), "{:?}", info.strict_rules);
        assert_eq!(info.subject_hash, inspect(&original_der).unwrap().subject_hash);
        assert!(conforming_twin(&twin_der).is_none(), "a twin needs no twin");
        twin_der
    }

    fn key(e: &X509Extension<'_>) -> (Vec<u8>, bool, Vec<u8>) {
        (e.oid.as_bytes().to_vec(), e.critical, e.value.to_vec())
    }

    fn usage_ext<'a>(c: &'a X509Certificate<'a>) -> X509Extension<'a> {
        c.get_extension_unique(&OID_X509_EXT_KEY_USAGE).unwrap().unwrap().clone()
    }

    fn skid(der: &[u8]) -> Vec<u8> {
        let cert = parse(der);
        let ext = cert.get_extension_unique(&OID_X509_EXT_SUBJECT_KEY_IDENTIFIER).unwrap().expect("SKID");
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => id.0.to_vec(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zscaler_style_root() {
        let der = der_of(ZSCALER_STYLE);
        assert_eq!(inspect(&der).unwrap().strict_rules, REPAIRED);
        let twin = assert_twin(ZSCALER_STYLE);
        let spki = &parse(&der).public_key().subject_public_key.data.to_vec();
        assert_eq!(skid(&twin), sha1(spki).to_vec(), "RFC 5280 method 1");
    }

    #[test]
    fn name_constraints_path_length_and_own_key_id_are_kept() {
        let twin = assert_twin(LEGACY);
        let cert = parse(&twin);
        let constraints = cert.name_constraints().unwrap().expect("nameConstraints");
        assert!(constraints.critical);
        assert_eq!(cert.basic_constraints().unwrap().unwrap().value.path_len_constraint, Some(1));
        assert_eq!(skid(&twin), vec![0x5a; 20], "its own authorityKeyIdentifier: OpenSSL's self-signed test");
    }

    #[test]
    fn real_roots_and_an_existing_key_usage() {
        assert_twin(EPKI);
        assert_twin(GO_DADDY);
        assert_twin(NO_KU_NO_SKID); // basicConstraints already critical: kept so
    }

    #[test]
    fn conforming_and_non_ca_certificates_have_no_twin() {
        assert!(conforming_twin(&der_of(CA_PEM)).is_none());
        for name in ["gen-self-signed-not-ca.pem", "gen-no-basic-constraints.pem", "gen-v1-no-extensions.pem"] {
            let pem = std::fs::read(format!("{}/tests/fixtures/odd/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            assert!(conforming_twin(&der_of(&pem)).is_none(), "{name}");
        }
        assert!(conforming_twin(b"\x30\x03\x02\x01\x00").is_none());
    }
}
