//! The bundle on disk: a per-user cache directory only that user can write,
//! files named by their content and written atomically (write, then rename),
//! so concurrent processes never see a torn or foreign file.

use std::env;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::bundle::hex;

/// `CORPTLS_CACHE_DIR`, else the per-user cache folder the platform names + `corptls`:
/// Windows' LocalAppData known folder (not the variable, which anyone may set), macOS'
/// `~/Library/Caches`, else an absolute `XDG_CACHE_HOME` (a relative one is ignored, as the
/// XDG spec says) or `~/.cache`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("CORPTLS_CACHE_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|base| base.join("corptls"))
}

/// True for a bundle file corptls wrote in its cache directory.
pub fn is_bundle(path: &Path) -> bool {
    let named = path.file_name().is_some_and(|n| {
        let n = n.to_string_lossy();
        n.starts_with("bundle-") && n.ends_with(".pem")
    });
    named
        && default_dir()
            .and_then(|dir| fs::canonicalize(dir).ok())
            .is_some_and(|dir| path.parent().and_then(|p| fs::canonicalize(p).ok()) == Some(dir))
}

/// Writes `content` as `bundle-<sha256>.pem` in `dir` (created private if missing) and returns its path.
pub fn store(dir: &Path, content: &[u8]) -> io::Result<PathBuf> {
    ensure_private_dir(dir)?;
    let digest = hex(&Sha256::digest(content));
    let path = dir.join(format!("bundle-{}.pem", &digest[..32]));
    if fs::read(&path).is_ok_and(|existing| existing == content) {
        return Ok(path);
    }
    // Unique per process and call, so concurrent writers never share a temporary file.
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".bundle-{}.{}.{call}.tmp", &digest[..16], std::process::id()));
    let written = write_new(&tmp, content).and_then(|()| fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
        // Windows refuses to replace a file another process has open: fine if it is ours already.
        if fs::read(&path).is_ok_and(|existing| existing == content) {
            return Ok(path);
        }
    }
    written
        .map(|()| path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot write in {}: {e}", dir.display())))
}

fn write_new(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    let mut file = options.open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

/// The directory must be a real directory, owned by us and writable by nobody else:
/// anyone who can write there could plant roots.
#[cfg(unix)]
fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)?;
    }
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => return Err(err),
        _ => {}
    }
    let meta = fs::symlink_metadata(dir)?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc_geteuid() };
    let unsafe_reason = if !meta.is_dir() {
        Some("is not a directory")
    } else if meta.uid() != uid {
        Some("is owned by another user")
    } else if meta.mode() & 0o022 != 0 {
        Some("is writable by other users")
    } else {
        None
    };
    match unsafe_reason {
        Some(reason) => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("cache directory {} {reason}", dir.display()),
        )),
        None => Ok(()),
    }
}

#[cfg(unix)]
extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Under the per-user LOCALAPPDATA, whose ACL already keeps other users out.
#[cfg(not(unix))]
fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::certs::tests::Scratch;
    use std::os::unix::fs::{chown, symlink, MetadataExt, PermissionsExt};

    const NOBODY: u32 = 65534;

    fn expected_name(content: &[u8]) -> String {
        format!("bundle-{}.pem", &hex(&Sha256::digest(content))[..32])
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    fn refused(dir: &Path, reason: &str) {
        let err = store(dir, b"roots").expect_err("an unsafe directory must be refused");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        let text = err.to_string();
        assert!(text.contains(reason) && text.contains(&dir.display().to_string()), "{text}");
    }

    #[test]
    fn content_addressed_and_written_once() {
        let tmp = Scratch::new("cache");
        let dir = tmp.0.join("corptls");
        let path = store(&dir, b"first bundle\n").unwrap();
        assert_eq!(path, dir.join(expected_name(b"first bundle\n")));
        assert_eq!(fs::read(&path).unwrap(), b"first bundle\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o644);
        assert_eq!(entries(&dir), [expected_name(b"first bundle\n")]); // no temporary file left

        // Same content: same path, the file is not rewritten.
        let before = fs::metadata(&path).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(store(&dir, b"first bundle\n").unwrap(), path);
        let after = fs::metadata(&path).unwrap();
        assert_eq!((before.ino(), before.mtime(), before.mtime_nsec()), (after.ino(), after.mtime(), after.mtime_nsec()));

        // Other content: another file, the first one kept.
        let other = store(&dir, b"second bundle\n").unwrap();
        assert_ne!(other, path);
        assert_eq!(other, dir.join(expected_name(b"second bundle\n")));
        assert_eq!(fs::read(&path).unwrap(), b"first bundle\n");

        // A file whose content does not match its name is replaced.
        fs::write(&path, b"tampered").unwrap();
        assert_eq!(store(&dir, b"first bundle\n").unwrap(), path);
        assert_eq!(fs::read(&path).unwrap(), b"first bundle\n");
        assert_eq!(entries(&dir).len(), 2);
    }

    #[test]
    fn directory_is_created_private_with_its_parents() {
        let tmp = Scratch::new("create");
        let dir = tmp.0.join("xdg").join("cache").join("corptls");
        store(&dir, b"x").unwrap();
        assert_eq!(fs::symlink_metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert!(fs::symlink_metadata(&dir).unwrap().is_dir());
    }

    #[test]
    fn existing_private_directory_is_used() {
        let tmp = Scratch::new("existing");
        let dir = tmp.0.join("corptls");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap(); // readable is fine
        assert!(store(&dir, b"x").is_ok());
    }

    #[test]
    fn group_or_world_writable_directory_is_refused() {
        let tmp = Scratch::new("writable");
        for mode in [0o770, 0o777, 0o1777, 0o722] {
            let dir = tmp.0.join(format!("corptls-{mode:o}"));
            fs::create_dir(&dir).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
            refused(&dir, "writable by other users");
            assert!(entries(&dir).is_empty(), "nothing may be written in a refused directory");
        }
    }

    #[test]
    fn directory_of_another_user_is_refused() {
        let tmp = Scratch::new("owner");
        let dir = tmp.0.join("corptls");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        chown(&dir, Some(NOBODY), Some(NOBODY)).expect("these tests run as root");
        refused(&dir, "owned by another user");
        assert!(entries(&dir).is_empty());
    }

    #[test]
    fn symlink_or_file_as_directory_is_refused() {
        let tmp = Scratch::new("symlink");
        let real = tmp.0.join("real");
        fs::create_dir(&real).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
        let link = tmp.0.join("corptls");
        symlink(&real, &link).unwrap();
        refused(&link, "is not a directory");
        assert!(entries(&real).is_empty());

        let file = tmp.0.join("file");
        fs::write(&file, b"").unwrap();
        refused(&file, "is not a directory");
    }
}
