//! Just enough DER to take a certificate apart and put it back together: elements are split
//! by tag and length and kept as their exact bytes, so whatever is not rewritten stays
//! byte for byte what it was.

pub const SEQUENCE: u8 = 0x30;
pub const OCTET_STRING: u8 = 0x04;
pub const BIT_STRING: u8 = 0x03;
pub const BOOLEAN: u8 = 0x01;
pub const OID: u8 = 0x06;

/// One element: its tag, its whole encoding, and its content.
#[derive(Clone, Copy)]
pub struct Element<'a> {
    pub tag: u8,
    pub raw: &'a [u8],
    pub content: &'a [u8],
}

/// The element at the start of `bytes` and what follows it; None for anything but
/// single-byte tags and definite lengths (DER has nothing else in a certificate).
pub fn read(bytes: &[u8]) -> Option<(Element<'_>, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7f);
            let (len_bytes, rest) = (rest.get(..n)?, rest.get(n..)?);
            (len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), rest)
        }
        _ => return None,
    };
    let header = bytes.len() - rest.len();
    let content = rest.get(..len)?;
    Some((Element { tag, raw: &bytes[..header + len], content }, &rest[len..]))
}

/// Every element of a constructed content, in order; None when it does not split exactly.
pub fn children(mut content: &[u8]) -> Option<Vec<Element<'_>>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (element, rest) = read(content)?;
        out.push(element);
        content = rest;
    }
    Some(out)
}

/// `tag`, the DER length of `content`, and `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
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

    #[test]
    fn lengths_round_trip() {
        for len in [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000] {
            let content = vec![7u8; len];
            let encoded = tlv(OCTET_STRING, &content);
            let (element, rest) = read(&encoded).unwrap();
            assert!(rest.is_empty());
            assert_eq!((element.tag, element.content, element.raw), (OCTET_STRING, &content[..], &encoded[..]));
        }
        assert_eq!(tlv(SEQUENCE, &[0; 0x80])[..3], [0x30, 0x81, 0x80]);
        assert_eq!(tlv(SEQUENCE, &[0; 0x100])[..4], [0x30, 0x82, 0x01, 0x00]);
    }

    #[test]
    fn refuses_what_is_not_plain_der() {
        assert!(read(&[0x30, 0x80, 0, 0]).is_none(), "indefinite length");
        assert!(read(&[0x1f, 0x81, 0x01, 0x00]).is_none(), "multi-byte tag");
        assert!(read(&[0x04, 0x05, 1, 2]).is_none(), "content cut short");
        assert!(children(&[0x04, 0x01, 0x00, 0x04]).is_none(), "trailing half element");
    }
}
