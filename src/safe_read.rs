//! Reading a file that someone else may have put in our way (a store entry, a CA variable):
//! regular files only, of a bounded size, and never blocking on a FIFO or a device.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Far above any real CA file (certifi's is ~300 KiB, a distribution's bundle ~220 KiB), far
/// below what could exhaust memory: a failed allocation aborts the process, no `try` catches it.
pub const MAX_BYTES: u64 = 8 << 20;

/// The whole file, or why not: not a regular file, larger than [`MAX_BYTES`], unreadable.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    read_file(open(path)?)
}

/// The same for a file already opened (without blocking): the handle decides, not the name,
/// so what was checked is what is read.
pub fn read_file(file: File) -> io::Result<Vec<u8>> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let too_large = || io::Error::new(io::ErrorKind::InvalidData, format!("larger than {} MiB", MAX_BYTES >> 20));
    if meta.len() > MAX_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?; // it may grow after the check
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open(path: &Path) -> io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    // Opening a FIFO for reading waits for a writer unless non-blocking.
    let flags = (OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32;
    OpenOptions::new().read(true).custom_flags(flags).open(path)
}

#[cfg(windows)]
fn open(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    // FILE_FLAG_BACKUP_SEMANTICS: a directory opens too (else "access denied"), and the handle's
    // metadata then refuses it like anything else that is not a regular file.
    OpenOptions::new().read(true).custom_flags(0x0200_0000).open(path)
}

#[cfg(not(any(unix, windows)))]
fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certs::tests::Scratch;

    #[test]
    fn regular_file_is_read_whole() {
        let tmp = Scratch::new("safe-read");
        let path = tmp.write("ca.pem", &[b"hello"]);
        assert_eq!(read(&path).unwrap(), b"hello");
    }

    #[test]
    fn directory_and_oversized_file_are_refused() {
        let tmp = Scratch::new("safe-read-refused");
        assert_eq!(read(&tmp.0).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let big = tmp.0.join("huge.pem");
        File::create(&big).unwrap().set_len(MAX_BYTES + 1).unwrap(); // sparse: costs no disk
        let err = read(&big).unwrap_err();
        assert!(err.to_string().contains("larger than 8 MiB"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn fifo_and_devices_are_refused_without_blocking() {
        let tmp = Scratch::new("safe-read-fifo");
        let fifo = tmp.0.join("5ad8a5d6.0");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o644)).unwrap();
        for path in [fifo.as_path(), Path::new("/dev/zero"), Path::new("/dev/null")] {
            let err = read(path).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{}: {err}", path.display());
        }
    }
}
