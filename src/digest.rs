//! The digests corptls names things by (ring's, already linked for rustls), and their hex form.

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};

/// SHA-256: a root's identity, a bundle file's name.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    digest(&SHA256, data).as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// SHA-1: only where OpenSSL fixed it (the subject hash of a hashed directory).
pub fn sha1(data: &[u8]) -> [u8; 20] {
    digest(&SHA1_FOR_LEGACY_USE_ONLY, data).as_ref().try_into().expect("SHA-1 is 20 bytes")
}

/// Lower-case hex, as `sha256sum` and OpenSSL print.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
