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

/// `CORPTLS_CACHE_DIR`, else the platform's per-user cache directory + `corptls`.
pub fn default_dir() -> Option<PathBuf> {
    let var = |name: &str| env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("CORPTLS_CACHE_DIR") {
        return Some(dir);
    }
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| h.join("Library").join("Caches"))
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.map(|b| b.join("corptls"))
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
    }
    written.map(|()| path)
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
