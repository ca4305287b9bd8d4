//! The bundle on disk: a per-user cache directory only that user can write, files named by
//! their content, written atomically (write, then rename), old ones pruned.
//!
//! On Unix the directory is reached from `/` one handle at a time, never following a link, and
//! every directory on the way must be owned by root or the user and writable by nobody else —
//! a sticky `/tmp` neither: a tmp cleaner may remove our directory and another user recreate
//! it. Files are then read, created and renamed relative to that handle, so nothing checked
//! can be swapped before it is used.

use std::cmp::Reverse;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::digest::{hex, sha256};

#[cfg(not(unix))]
use other::Private;
#[cfg(unix)]
use unix::Private;

/// Bundles kept besides the current one: a process that started before the last few root
/// changes may still hand its own to a child. Older ones go.
const KEEP: usize = 4;
/// A temporary file this old is a writer's that died; a live one renames it within moments.
const STALE: Duration = Duration::from_secs(600);

/// `chosen` (the caller's `CORPTLS_CACHE_DIR`, when set and not empty), else the per-user cache
/// folder the platform names + `corptls`: Windows' LocalAppData known folder (not the variable,
/// which anyone may set), macOS' `~/Library/Caches`, else an absolute `XDG_CACHE_HOME` (a relative
/// one is ignored, as the XDG spec says) or `~/.cache`.
pub fn default_dir(chosen: Option<PathBuf>) -> Option<PathBuf> {
    chosen.filter(|dir| !dir.as_os_str().is_empty()).or_else(|| dirs::cache_dir().map(|base| base.join("corptls")))
}

/// Writes `content` as `bundle-<sha256>.pem` in `dir` (created private if missing) and returns its path.
pub fn store(dir: &Path, content: &[u8]) -> io::Result<PathBuf> {
    let dir = Private::open(dir)?;
    let digest = hex(&sha256(content));
    let name = format!("bundle-{}.pem", &digest[..32]);
    let ours = |dir: &Private| dir.read(&name).is_ok_and(|existing| existing == content);
    if ours(&dir) {
        return Ok(dir.path.join(name));
    }
    // Unique per process and call, so concurrent writers never share a temporary file.
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let tmp = format!(".bundle-{}.{}.{call}.tmp", &digest[..16], std::process::id());
    if let Err(err) = dir.create(&tmp, content).and_then(|()| dir.rename(&tmp, &name)) {
        dir.remove(&tmp);
        // Windows refuses to replace a file another process has open: fine if it is ours already.
        if ours(&dir) {
            return Ok(dir.path.join(name));
        }
        return Err(io::Error::new(err.kind(), format!("cannot write in {}: {err}", dir.path.display())));
    }
    prune(&dir, &name);
    Ok(dir.path.join(name))
}

/// Removes all but the newest few bundles, and temporary files a dead writer left.
fn prune(dir: &Private, current: &str) {
    let Ok(entries) = dir.entries() else { return };
    let mut bundles: Vec<&(String, SystemTime)> = entries
        .iter()
        .filter(|(name, _)| name.starts_with("bundle-") && name.ends_with(".pem") && name != current)
        .collect();
    bundles.sort_by_key(|(_, modified)| Reverse(*modified));
    for (name, _) in bundles.into_iter().skip(KEEP) {
        dir.remove(name);
    }
    let now = SystemTime::now();
    for (name, modified) in &entries {
        let stale = now.duration_since(*modified).is_ok_and(|age| age > STALE);
        if stale && name.starts_with(".bundle-") && name.ends_with(".tmp") {
            dir.remove(name);
        }
    }
}

#[cfg(unix)]
mod unix {
    use std::ffi::OsStr;
    use std::fs::{self, File};
    use std::io::{self, Write};
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Component, Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use rustix::fs::{fchmod, fstat, mkdirat, openat, renameat, statat, unlinkat, AtFlags, Dir, Mode, OFlags, CWD};
    use rustix::io::Errno;
    use rustix::process::geteuid;

    use crate::safe_read;

    /// The cache directory, held open.
    pub struct Private {
        fd: OwnedFd,
        pub path: PathBuf,
    }

    impl Private {
        /// Opens (creating what is missing, mode 0700 whatever the umask) and checks `dir` and
        /// every directory above it.
        pub fn open(dir: &Path) -> io::Result<Private> {
            let dir = std::path::absolute(dir)?;
            let refuse = |what: &Path, reason: &str| {
                let at = if what == dir { String::new() } else { format!(": {} above it", what.display()) };
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("cache directory {}{at} {reason}", dir.display()),
                )
            };
            let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
                return Err(refuse(&dir, "is not a directory of its own"));
            };
            // The part of the parent that exists, its links resolved (a system may link /home
            // elsewhere); what is missing is created below it.
            let mut existing = parent.to_path_buf();
            let mut missing = Vec::new();
            while fs::symlink_metadata(&existing).is_err_and(|e| e.kind() == io::ErrorKind::NotFound) {
                missing.push(existing.file_name().ok_or_else(|| refuse(&existing, "does not exist"))?.to_owned());
                existing.pop();
            }
            let mut path = PathBuf::from("/");
            let mut fd = open_dir(CWD, OsStr::new("/")).map_err(|e| refuse(&path, &e.to_string()))?;
            check(&fd, true).map_err(|reason| refuse(&path, reason))?;
            let real = fs::canonicalize(&existing)?;
            let names = real.components().filter_map(|c| match c {
                Component::Normal(name) => Some(name.to_owned()),
                _ => None,
            });
            for name in names.chain(missing.into_iter().rev()) {
                path.push(&name);
                fd = make_dir(&fd, &name).map_err(|reason| refuse(&path, &reason))?;
                check(&fd, true).map_err(|reason| refuse(&path, reason))?;
            }
            path.push(name);
            fd = make_dir(&fd, name).map_err(|reason| refuse(&dir, &reason))?;
            check(&fd, false).map_err(|reason| refuse(&dir, reason))?;
            Ok(Private { fd, path })
        }

        pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            safe_read::read_file(File::from(openat(&self.fd, name, flags, Mode::empty())?))
        }

        pub fn create(&self, name: &str, content: &[u8]) -> io::Result<()> {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = openat(&self.fd, name, flags, Mode::from_raw_mode(0o644))?;
            fchmod(&fd, Mode::from_raw_mode(0o644))?; // readable by the user's other tools, whatever the umask
            let mut file = File::from(fd);
            file.write_all(content)?;
            file.sync_all()
        }

        pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            Ok(renameat(&self.fd, from, &self.fd, to)?)
        }

        pub fn remove(&self, name: &str) {
            let _ = unlinkat(&self.fd, name, AtFlags::empty());
        }

        /// Names and modification times of the directory's entries.
        pub fn entries(&self) -> io::Result<Vec<(String, SystemTime)>> {
            let mut entries = Vec::new();
            for entry in Dir::read_from(&self.fd)? {
                let entry = entry?;
                let Ok(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
                if let Ok(stat) = statat(&self.fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(stat.st_mtime.max(0) as u64);
                    entries.push((name, modified));
                }
            }
            Ok(entries)
        }
    }

    fn open_dir(parent: impl rustix::fd::AsFd, name: &OsStr) -> rustix::io::Result<OwnedFd> {
        openat(
            parent,
            name.as_bytes(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
    }

    /// The directory `name` below `parent`, created 0700 if missing; never through a link.
    fn make_dir(parent: &OwnedFd, name: &OsStr) -> Result<OwnedFd, String> {
        let created = match mkdirat(parent, name.as_bytes(), Mode::RWXU) {
            Ok(()) => true,
            Err(Errno::EXIST) => false,
            Err(err) => return Err(format!("cannot be created: {err}")),
        };
        let fd = open_dir(parent, name).map_err(|err| match err {
            Errno::LOOP | Errno::NOTDIR => "is not a directory".to_owned(),
            err => format!("cannot be opened: {err}"),
        })?;
        if created {
            fchmod(&fd, Mode::RWXU).map_err(|err| format!("cannot be made private: {err}"))?;
        }
        Ok(fd)
    }

    /// Anyone who can write in the directory, or in one above it, could plant roots.
    fn check(fd: &OwnedFd, ancestor: bool) -> Result<(), &'static str> {
        let stat = fstat(fd).map_err(|_| "cannot be examined")?;
        let uid = geteuid().as_raw();
        if stat.st_uid != uid && !(ancestor && stat.st_uid == 0) {
            return Err("is owned by another user");
        }
        if stat.st_mode & 0o022 != 0 {
            return Err("is writable by other users");
        }
        Ok(())
    }
}

/// Under the per-user local application data folder, whose ACL keeps other users out.
#[cfg(not(unix))]
mod other {
    use std::fs;
    use std::io::{self, Write};
    use std::path::{Path, PathBuf};
    use std::time::SystemTime;

    use crate::safe_read;

    pub struct Private {
        pub path: PathBuf,
    }

    impl Private {
        pub fn open(dir: &Path) -> io::Result<Private> {
            fs::create_dir_all(dir)?;
            if !fs::symlink_metadata(dir)?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("cache directory {} is not a directory", dir.display()),
                ));
            }
            Ok(Private { path: dir.to_path_buf() })
        }

        pub fn read(&self, name: &str) -> io::Result<Vec<u8>> {
            safe_read::read(&self.path.join(name))
        }

        pub fn create(&self, name: &str, content: &[u8]) -> io::Result<()> {
            let mut file = fs::OpenOptions::new().write(true).create_new(true).open(self.path.join(name))?;
            file.write_all(content)?;
            file.sync_all()
        }

        pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            fs::rename(self.path.join(from), self.path.join(to))
        }

        pub fn remove(&self, name: &str) {
            let _ = fs::remove_file(self.path.join(name));
        }

        pub fn entries(&self) -> io::Result<Vec<(String, SystemTime)>> {
            let mut entries = Vec::new();
            for entry in fs::read_dir(&self.path)? {
                let entry = entry?;
                if let (Ok(name), Ok(meta)) = (entry.file_name().into_string(), entry.metadata()) {
                    entries.push((name, meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
                }
            }
            Ok(entries)
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::certs::tests::Scratch;
    use std::fs;
    use std::os::unix::fs::{chown, symlink, MetadataExt, PermissionsExt};

    const NOBODY: u32 = 65534;

    fn expected_name(content: &[u8]) -> String {
        format!("bundle-{}.pem", &hex(&sha256(content))[..32])
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
        let tmp = Scratch::private("cache");
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
        assert_eq!(
            (before.ino(), before.mtime(), before.mtime_nsec()),
            (after.ino(), after.mtime(), after.mtime_nsec())
        );

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
        let tmp = Scratch::private("create");
        let dir = tmp.0.join("xdg").join("cache").join("corptls");
        store(&dir, b"x").unwrap();
        assert_eq!(fs::symlink_metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert!(fs::symlink_metadata(&dir).unwrap().is_dir());
    }

    #[test]
    fn existing_private_directory_is_used() {
        let tmp = Scratch::private("existing");
        let dir = tmp.0.join("corptls");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap(); // readable is fine
        assert!(store(&dir, b"x").is_ok());
    }

    #[test]
    fn group_or_world_writable_directory_is_refused() {
        let tmp = Scratch::private("writable");
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
        let tmp = Scratch::private("owner");
        let dir = tmp.0.join("corptls");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        chown(&dir, Some(NOBODY), Some(NOBODY)).expect("these tests run as root");
        refused(&dir, "owned by another user");
        assert!(entries(&dir).is_empty());
    }

    #[test]
    fn symlink_or_file_as_directory_is_refused() {
        let tmp = Scratch::private("symlink");
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

    #[test]
    fn unsafe_ancestor_is_refused() {
        let tmp = Scratch::private("ancestor");
        for (mode, owner, reason) in [
            (0o775, None, "writable by other users"),
            (0o1777, None, "writable by other users"), // sticky, as /tmp: a cleaner may remove ours
            (0o755, Some(NOBODY), "owned by another user"),
        ] {
            let shared = tmp.0.join(format!("shared-{mode:o}-{}", owner.is_some()));
            let dir = shared.join("cache").join("corptls");
            fs::create_dir_all(&dir).unwrap();
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
            fs::set_permissions(&shared, fs::Permissions::from_mode(mode)).unwrap();
            if let Some(uid) = owner {
                chown(&shared, Some(uid), Some(uid)).expect("these tests run as root");
            }
            refused(&dir, reason);
            let text = store(&dir, b"roots").unwrap_err().to_string();
            assert!(text.contains(&format!("{} above it", shared.display())), "{text}");
            assert!(entries(&dir).is_empty());
        }
        // A world-writable system directory such as /tmp, directly or higher up.
        let err = store(Path::new("/tmp/corptls-cache-test-refused"), b"roots").unwrap_err();
        assert!(err.to_string().contains("/tmp above it is writable by other users"), "{err}");
        assert!(!Path::new("/tmp/corptls-cache-test-refused").exists(), "nothing is created below an unsafe directory");
    }

    #[test]
    fn missing_directories_are_created_private() {
        let tmp = Scratch::private("created");
        let dir = tmp.0.join("home").join(".cache").join("corptls");
        store(&dir, b"x").unwrap();
        for created in [tmp.0.join("home"), tmp.0.join("home").join(".cache"), dir] {
            assert_eq!(fs::symlink_metadata(&created).unwrap().mode() & 0o7777, 0o700, "{}", created.display());
        }
    }

    #[test]
    fn linked_ancestor_is_followed_when_safe() {
        let tmp = Scratch::private("linked");
        let real = tmp.0.join("real-home");
        fs::create_dir(&real).unwrap();
        symlink(&real, tmp.0.join("home")).unwrap();
        let path = store(&tmp.0.join("home").join("corptls"), b"x").unwrap();
        assert_eq!(path.parent().unwrap(), fs::canonicalize(real.join("corptls")).unwrap());
    }

    #[test]
    fn old_bundles_and_stale_temporary_files_are_pruned() {
        let tmp = Scratch::private("prune");
        let dir = tmp.0.join("corptls");
        let stale = |name: &str, age: u64| {
            let path = dir.join(name);
            fs::write(&path, b"left by a dead writer").unwrap();
            let then = SystemTime::now() - Duration::from_secs(age);
            fs::File::options().write(true).open(&path).unwrap().set_modified(then).unwrap();
        };
        let mut paths = Vec::new();
        for n in 0..30u64 {
            let path = store(&dir, format!("bundle {n}\n").as_bytes()).unwrap();
            // Distinct modification times, oldest first, as 30 root changes over time give.
            let then = SystemTime::now() - Duration::from_secs(3600 - n);
            fs::File::options().write(true).open(&path).unwrap().set_modified(then).unwrap();
            paths.push(path);
            if n == 0 {
                stale(".bundle-0123456789abcdef.1.0.tmp", 3600);
                stale(".bundle-fedcba9876543210.2.0.tmp", 5);
            }
        }
        let mut expected: Vec<String> =
            paths[30 - KEEP - 1..].iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        expected.push(".bundle-fedcba9876543210.2.0.tmp".to_owned()); // a live writer's
        expected.sort();
        assert_eq!(entries(&dir), expected);
    }
}
