//! The bundle on disk: a per-user cache directory only that user can write, holding each bundle
//! twice, as one file (for other tools) and as OpenSSL's hashed directory (what contexts load,
//! lazily), both named by their content, written atomically (built, then renamed), old ones pruned.
//!
//! On Unix the directory is reached from `/` one handle at a time, never following a link, and
//! every directory on the way must be owned by root or the user and writable by nobody else —
//! a sticky `/tmp` neither: a tmp cleaner may remove our directory and another user recreate
//! it. Files are then read, created and renamed relative to that handle, so nothing checked
//! can be swapped before it is used.

use std::cmp::Reverse;
use std::collections::HashSet;
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
/// A hashed directory is read by every process that uses it, at each handshake that needs a
/// root it has not loaded yet: one is removed only when it is not among the newest and has not
/// been used (each use touches it) for this long.
const UNUSED: Duration = Duration::from_secs(30 * 24 * 3600);
/// A temporary file this old is a writer's that died; a live one renames it within moments.
const STALE: Duration = Duration::from_secs(600);

/// One bundle as stored: the file, and the directory OpenSSL searches lazily.
pub struct Stored {
    pub file: PathBuf,
    pub hashed_dir: PathBuf,
}

/// `chosen` (the caller's `CORPTLS_CACHE_DIR`, when set and not empty), else the per-user cache
/// folder + `corptls`: Windows' LocalAppData known folder (asked of the OS, not the variable,
/// which anyone may set), macOS' `home/Library/Caches`, else `xdg_cache_home` when absolute (a
/// relative one is ignored, as the XDG spec says) or `home/.cache`. The caller passes the
/// variables: the core reads no environment.
pub fn default_dir(chosen: Option<PathBuf>, xdg_cache_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let absolute = |path: &PathBuf| path.is_absolute();
    let (xdg_cache_home, home) = (xdg_cache_home.filter(absolute), home.filter(absolute));
    let base = if cfg!(windows) {
        known_cache_folder()
    } else if cfg!(target_os = "macos") {
        home.map(|home| home.join("Library").join("Caches"))
    } else {
        xdg_cache_home.or_else(|| home.map(|home| home.join(".cache")))
    };
    chosen.filter(|dir| !dir.as_os_str().is_empty()).or_else(|| base.map(|base| base.join("corptls")))
}

#[cfg(windows)]
fn known_cache_folder() -> Option<PathBuf> {
    dirs::cache_dir()
}

#[cfg(not(windows))]
fn known_cache_folder() -> Option<PathBuf> {
    None
}

/// The names of a bundle's file and hashed directory: `content`'s digest.
fn names(content: &[u8]) -> (String, String) {
    let digest = hex(&sha256(content));
    (format!("bundle-{}.pem", &digest[..32]), format!("certs-{}", &digest[..32]))
}

/// The bundle when `dir` holds it already, exactly (`content` as its file, `hashed` as its
/// directory), the directory touched as in use; None when it does not.
pub fn find(dir: &Path, content: &[u8], hashed: &[(String, Vec<u8>)]) -> io::Result<Option<Stored>> {
    let dir = Private::open(dir)?;
    let (file, directory) = names(content);
    let found = holds_file(&dir, &file, content) && holds_dir(&dir, &directory, hashed);
    Ok(found.then(|| Stored { file: dir.path.join(file), hashed_dir: dir.path.join(directory) }))
}

/// Stores `content` as `bundle-<digest>.pem` and `hashed` (name, content) as the files of
/// `certs-<digest>/` in `dir` (created private if missing), whatever stands there under those
/// names that does not hold exactly that replaced.
pub fn store(dir: &Path, content: &[u8], hashed: &[(String, Vec<u8>)]) -> io::Result<Stored> {
    let dir = Private::open(dir)?;
    let (file, directory) = names(content);
    let failed = |err: io::Error| io::Error::new(err.kind(), format!("cannot write in {}: {err}", dir.path.display()));
    let wrote_file = store_file(&dir, &file, content).map_err(failed)?;
    let wrote_dir = store_dir(&dir, &directory, hashed).map_err(failed)?;
    if wrote_file || wrote_dir {
        prune(&dir, &file, &directory);
    }
    Ok(Stored { file: dir.path.join(file), hashed_dir: dir.path.join(directory) })
}

/// Unique per process and call, so concurrent writers never share a temporary name.
fn temporary(kind: &str, name: &str) -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let digest = name.rsplit('-').next().unwrap_or(name);
    format!(".{kind}-{}.{}.{call}.tmp", &digest[..16.min(digest.len())], std::process::id())
}

fn holds_file(dir: &Private, name: &str, content: &[u8]) -> bool {
    dir.read(name).is_ok_and(|existing| existing == content)
}

/// The directory `name` holds exactly `files`, nothing else; it is touched (in use) if so.
fn holds_dir(dir: &Private, name: &str, files: &[(String, Vec<u8>)]) -> bool {
    dir.subdir(name, false).is_ok_and(|found| {
        let expected: HashSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        let names = found.entries().is_ok_and(|entries| {
            entries.len() == expected.len() && entries.iter().all(|(n, _)| expected.contains(n.as_str()))
        });
        names && files.iter().all(|(n, content)| holds_file(&found, n, content)) && found.touch().is_ok()
    })
}

/// True when it wrote the file; Ok(false) when the file there holds `content` already.
fn store_file(dir: &Private, name: &str, content: &[u8]) -> io::Result<bool> {
    if holds_file(dir, name, content) {
        return Ok(false);
    }
    let tmp = temporary("bundle", name);
    if let Err(err) = dir.create(&tmp, content, true).and_then(|()| dir.rename(&tmp, name)) {
        dir.remove(&tmp);
        // Windows refuses to replace a file another process has open: fine if it is ours already.
        return if holds_file(dir, name, content) { Ok(false) } else { Err(err) };
    }
    Ok(true)
}

/// True when it built the directory; Ok(false) when the one there holds exactly `files`. Its
/// files are not synced one by one: what a crash leaves half-written does not hold exactly
/// `files`, and is built again by the next process.
fn store_dir(dir: &Private, name: &str, files: &[(String, Vec<u8>)]) -> io::Result<bool> {
    if holds_dir(dir, name, files) {
        return Ok(false);
    }
    let tmp = temporary("certs", name);
    let built =
        dir.subdir(&tmp, true).and_then(|new| files.iter().try_for_each(|(n, content)| new.create(n, content, false)));
    if let Err(err) = built.and_then(|()| replace_dir(dir, &tmp, name, files)) {
        dir.remove_tree(&tmp);
        return Err(err);
    }
    Ok(true)
}

/// Puts the directory `tmp` in place as `name`. A directory there already that holds `files` (a
/// concurrent writer's) is kept, as processes may be reading it; anything else is moved aside
/// first (a rename cannot replace a directory that has entries) and removed under that name.
fn replace_dir(dir: &Private, tmp: &str, name: &str, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    if dir.rename(tmp, name).is_ok() {
        return Ok(());
    }
    if holds_dir(dir, name, files) {
        dir.remove_tree(tmp);
        return Ok(());
    }
    let aside = temporary("certs", name);
    let _ = dir.rename(name, &aside); // nothing there, or moved aside
    let moved = dir.rename(tmp, name);
    dir.remove_tree(&aside);
    moved
}

/// Removes all but the newest few bundles, hashed directories no process used for long, and
/// what a dead writer left.
fn prune(dir: &Private, file: &str, directory: &str) {
    let Ok(entries) = dir.entries() else { return };
    let now = SystemTime::now();
    let older_than = |modified: &SystemTime, age: Duration| now.duration_since(*modified).is_ok_and(|d| d > age);
    for (prefix, suffix, current) in [("bundle-", ".pem", file), ("certs-", "", directory)] {
        let mut kept: Vec<&(String, SystemTime)> = entries
            .iter()
            .filter(|(name, _)| name.starts_with(prefix) && name.ends_with(suffix) && name != current)
            .collect();
        kept.sort_by_key(|(_, modified)| Reverse(*modified));
        for (name, modified) in kept.into_iter().skip(KEEP) {
            if prefix == "bundle-" {
                dir.remove(name);
            } else if older_than(modified, UNUSED) {
                // Moved aside first: a process still reading it finds it whole, or not at all
                // (and then writes it again).
                let aside = temporary("certs", name);
                if dir.rename(name, &aside).is_ok() {
                    dir.remove_tree(&aside);
                }
            }
        }
    }
    for (name, modified) in &entries {
        if older_than(modified, STALE) && name.ends_with(".tmp") {
            if name.starts_with(".bundle-") {
                dir.remove(name);
            } else if name.starts_with(".certs-") {
                dir.remove_tree(name);
            }
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

    use rustix::fs::{
        fchmod, fstat, futimens, mkdirat, openat, renameat, statat, unlinkat, AtFlags, Dir, Mode, OFlags, Timespec,
        Timestamps, CWD, UTIME_NOW,
    };
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

        pub fn create(&self, name: &str, content: &[u8], sync: bool) -> io::Result<()> {
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = openat(&self.fd, name, flags, Mode::from_raw_mode(0o644))?;
            fchmod(&fd, Mode::from_raw_mode(0o644))?; // readable by the user's other tools, whatever the umask
            let mut file = File::from(fd);
            file.write_all(content)?;
            if sync {
                file.sync_all()?;
            }
            Ok(())
        }

        /// The directory `name` in this one: created (private) when `create`, else opened; never
        /// through a link, and only when it is the user's and writable by nobody else.
        pub fn subdir(&self, name: &str, create: bool) -> io::Result<Private> {
            let fd = if create {
                mkdirat(&self.fd, name, Mode::RWXU)?;
                let fd = open_dir(&self.fd, OsStr::new(name))?;
                fchmod(&fd, Mode::RWXU)?;
                fd
            } else {
                open_dir(&self.fd, OsStr::new(name))?
            };
            check(&fd, false).map_err(|reason| io::Error::new(io::ErrorKind::PermissionDenied, reason))?;
            Ok(Private { fd, path: self.path.join(name) })
        }

        /// Removes `name`, a file, a link or a directory with what it holds; quietly, as `remove`.
        pub fn remove_tree(&self, name: &str) {
            // A directory is refused: EISDIR on Linux, EPERM on macOS (as POSIX has it).
            if !matches!(unlinkat(&self.fd, name, AtFlags::empty()), Err(Errno::ISDIR | Errno::PERM)) {
                return;
            }
            if let Ok(sub) = open_dir(&self.fd, OsStr::new(name)).map(|fd| Private { fd, path: self.path.join(name) }) {
                for (entry, _) in sub.entries().unwrap_or_default() {
                    sub.remove_tree(&entry);
                }
            }
            let _ = unlinkat(&self.fd, name, AtFlags::REMOVEDIR);
        }

        /// Marks the directory as in use now (its modification time).
        pub fn touch(&self) -> io::Result<()> {
            let now = Timespec { tv_sec: 0, tv_nsec: UTIME_NOW };
            Ok(futimens(&self.fd, &Timestamps { last_access: now, last_modification: now })?)
        }

        pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
            Ok(renameat(&self.fd, from, &self.fd, to)?)
        }

        pub fn remove(&self, name: &str) {
            let _ = unlinkat(&self.fd, name, AtFlags::empty());
        }

        /// Names and modification times of the directory's entries (not `.` and `..`).
        pub fn entries(&self) -> io::Result<Vec<(String, SystemTime)>> {
            let mut entries = Vec::new();
            for entry in Dir::read_from(&self.fd)? {
                let entry = entry?;
                let Ok(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
                if name == "." || name == ".." {
                    continue;
                }
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

        pub fn create(&self, name: &str, content: &[u8], sync: bool) -> io::Result<()> {
            let mut file = fs::OpenOptions::new().write(true).create_new(true).open(self.path.join(name))?;
            file.write_all(content)?;
            if sync {
                file.sync_all()?;
            }
            Ok(())
        }

        pub fn subdir(&self, name: &str, create: bool) -> io::Result<Private> {
            let path = self.path.join(name);
            if create {
                fs::create_dir(&path)?;
            }
            if !fs::symlink_metadata(&path)?.is_dir() {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, "is not a directory"));
            }
            Ok(Private { path })
        }

        pub fn remove_tree(&self, name: &str) {
            let path = self.path.join(name);
            let _ = fs::remove_file(&path).or_else(|_| fs::remove_dir_all(&path));
        }

        pub fn touch(&self) -> io::Result<()> {
            use std::os::windows::fs::OpenOptionsExt;
            // A directory opens only with backup semantics; FILE_WRITE_ATTRIBUTES to set its times.
            const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
            const FILE_WRITE_ATTRIBUTES: u32 = 0x0100;
            let dir = fs::OpenOptions::new()
                .access_mode(FILE_WRITE_ATTRIBUTES)
                .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
                .open(&self.path)?;
            dir.set_modified(SystemTime::now())
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

    /// The bundle file alone (an empty hashed directory beside it).
    fn file(dir: &Path, content: &[u8]) -> io::Result<PathBuf> {
        store(dir, content, &[]).map(|stored| stored.file)
    }

    /// What `dir` holds, hashed directories left out.
    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| !name.starts_with("certs-"))
            .collect();
        names.sort();
        names
    }

    fn refused(dir: &Path, reason: &str) {
        let err = file(dir, b"roots").expect_err("an unsafe directory must be refused");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
        let text = err.to_string();
        assert!(text.contains(reason) && text.contains(&dir.display().to_string()), "{text}");
    }

    /// The request's variables decide, as the platform reads them (Linux: XDG).
    #[cfg(not(target_os = "macos"))]
    #[test]
    fn cache_directory_from_the_request() {
        let p = |s: &str| Some(PathBuf::from(s));
        let cases = [
            ((p("/chosen"), p("/xdg"), p("/home/u")), p("/chosen")),
            ((p(""), p("/xdg"), p("/home/u")), p("/xdg/corptls")),
            ((None, p("relative/xdg"), p("/home/u")), p("/home/u/.cache/corptls")),
            ((None, p(""), p("/home/u")), p("/home/u/.cache/corptls")),
            ((None, None, p("~")), None),
            ((None, None, None), None),
        ];
        for ((chosen, xdg, home), expected) in cases {
            assert_eq!(default_dir(chosen.clone(), xdg.clone(), home.clone()), expected, "{chosen:?} {xdg:?} {home:?}");
        }
    }

    #[test]
    fn content_addressed_and_written_once() {
        let tmp = Scratch::private("cache");
        let dir = tmp.0.join("corptls");
        let path = file(&dir, b"first bundle\n").unwrap();
        assert_eq!(path, dir.join(expected_name(b"first bundle\n")));
        assert_eq!(fs::read(&path).unwrap(), b"first bundle\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o644);
        assert_eq!(entries(&dir), [expected_name(b"first bundle\n")]); // no temporary file left

        // Same content: same path, the file is not rewritten.
        let before = fs::metadata(&path).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(file(&dir, b"first bundle\n").unwrap(), path);
        let after = fs::metadata(&path).unwrap();
        assert_eq!(
            (before.ino(), before.mtime(), before.mtime_nsec()),
            (after.ino(), after.mtime(), after.mtime_nsec())
        );

        // Other content: another file, the first one kept.
        let other = file(&dir, b"second bundle\n").unwrap();
        assert_ne!(other, path);
        assert_eq!(other, dir.join(expected_name(b"second bundle\n")));
        assert_eq!(fs::read(&path).unwrap(), b"first bundle\n");

        // A file whose content does not match its name is replaced.
        fs::write(&path, b"tampered").unwrap();
        assert_eq!(file(&dir, b"first bundle\n").unwrap(), path);
        assert_eq!(fs::read(&path).unwrap(), b"first bundle\n");
        assert_eq!(entries(&dir).len(), 2);
    }

    #[test]
    fn directory_is_created_private_with_its_parents() {
        let tmp = Scratch::private("create");
        let dir = tmp.0.join("xdg").join("cache").join("corptls");
        file(&dir, b"x").unwrap();
        assert_eq!(fs::symlink_metadata(&dir).unwrap().mode() & 0o777, 0o700);
        assert!(fs::symlink_metadata(&dir).unwrap().is_dir());
    }

    #[test]
    fn existing_private_directory_is_used() {
        let tmp = Scratch::private("existing");
        let dir = tmp.0.join("corptls");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap(); // readable is fine
        assert!(file(&dir, b"x").is_ok());
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
    #[ignore = "needs root (chown to another user): scripts/test runs it (--include-ignored)"]
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
    #[ignore = "needs root (chown to another user): scripts/test runs it (--include-ignored)"]
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
            let text = file(&dir, b"roots").unwrap_err().to_string();
            assert!(text.contains(&format!("{} above it", shared.display())), "{text}");
            assert!(entries(&dir).is_empty());
        }
        // A world-writable system directory such as /tmp, directly or higher up.
        let err = file(Path::new("/tmp/corptls-cache-test-refused"), b"roots").unwrap_err();
        assert!(err.to_string().contains("/tmp above it is writable by other users"), "{err}");
        assert!(!Path::new("/tmp/corptls-cache-test-refused").exists(), "nothing is created below an unsafe directory");
    }

    #[test]
    fn missing_directories_are_created_private() {
        let tmp = Scratch::private("created");
        let dir = tmp.0.join("home").join(".cache").join("corptls");
        file(&dir, b"x").unwrap();
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
        let path = file(&tmp.0.join("home").join("corptls"), b"x").unwrap();
        assert_eq!(path.parent().unwrap(), fs::canonicalize(real.join("corptls")).unwrap());
    }

    fn hashed(n: u8) -> Vec<(String, Vec<u8>)> {
        (0..n).map(|i| (format!("0000000{i}.0"), format!("root {i}\n").into_bytes())).collect()
    }

    /// Names and contents of a directory's files.
    fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.file_name().into_string().unwrap(), fs::read(e.path()).unwrap()))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn hashed_directory_is_stored_beside_the_file_and_found_again() {
        let tmp = Scratch::private("hashed");
        let dir = tmp.0.join("corptls");
        assert!(find(&dir, b"bundle\n", &hashed(3)).unwrap().is_none(), "nothing stored yet");
        let stored = store(&dir, b"bundle\n", &hashed(3)).unwrap();
        let digest = &hex(&sha256(b"bundle\n"))[..32];
        assert_eq!(stored.hashed_dir, dir.join(format!("certs-{digest}")));
        assert_eq!(files_of(&stored.hashed_dir), hashed(3));
        assert_eq!(fs::metadata(&stored.hashed_dir).unwrap().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(stored.hashed_dir.join("00000000.0")).unwrap().mode() & 0o777, 0o644);
        assert_eq!(entries(&dir), [expected_name(b"bundle\n")], "no temporary file or directory left");

        // Found again, and touched as in use (a prune spares what processes use).
        let old = SystemTime::now() - Duration::from_secs(3600);
        fs::File::open(&stored.hashed_dir).unwrap().set_modified(old).unwrap();
        let ino = fs::metadata(&stored.hashed_dir).unwrap().ino();
        let found = find(&dir, b"bundle\n", &hashed(3)).unwrap().expect("found");
        assert_eq!((found.file, found.hashed_dir.clone()), (stored.file, stored.hashed_dir));
        let after = fs::metadata(&found.hashed_dir).unwrap();
        assert!(after.modified().unwrap() > old + Duration::from_secs(1800));
        assert_eq!(after.ino(), ino, "not rebuilt");
    }

    /// A hashed directory that does not hold exactly what its name says (a file more, one changed
    /// or missing, a link, a file in its place) is not found, and is built anew by `store`.
    #[test]
    fn hashed_directory_not_as_named_is_rebuilt() {
        let tmp = Scratch::private("rebuilt");
        let dir = tmp.0.join("corptls");
        let target = store(&dir, b"bundle\n", &hashed(2)).unwrap().hashed_dir;
        let elsewhere = tmp.0.join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        type Tampering<'a> = (&'a str, &'a dyn Fn(&Path));
        let tamperings: [Tampering; 6] = [
            ("a file more", &|d| fs::write(d.join("00000009.0"), b"rogue root\n").unwrap()),
            ("a file changed", &|d| fs::write(d.join("00000001.0"), b"rogue root\n").unwrap()),
            ("a file missing", &|d| fs::remove_file(d.join("00000001.0")).unwrap()),
            ("a file linked", &|d| {
                fs::remove_file(d.join("00000001.0")).unwrap();
                symlink(elsewhere.join("x"), d.join("00000001.0")).unwrap();
                fs::write(elsewhere.join("x"), b"root 1\n").unwrap();
            }),
            ("the directory linked", &|d| {
                fs::remove_dir_all(d).unwrap();
                fs::write(elsewhere.join("00000000.0"), b"root 0\n").unwrap();
                fs::write(elsewhere.join("00000001.0"), b"root 1\n").unwrap();
                symlink(&elsewhere, d).unwrap();
            }),
            ("a file in its place", &|d| {
                fs::remove_dir_all(d).unwrap();
                fs::write(d, b"").unwrap();
            }),
        ];
        for (what, tamper) in tamperings {
            tamper(&target);
            assert!(find(&dir, b"bundle\n", &hashed(2)).unwrap().is_none(), "{what}: found");
            assert_eq!(store(&dir, b"bundle\n", &hashed(2)).unwrap().hashed_dir, target, "{what}");
            assert!(fs::symlink_metadata(&target).unwrap().is_dir(), "{what}: not a real directory");
            assert_eq!(files_of(&target), hashed(2), "{what}");
            assert!(find(&dir, b"bundle\n", &hashed(2)).unwrap().is_some(), "{what}");
        }
        assert!(elsewhere.join("00000000.0").exists(), "a link is removed, never followed");
    }

    /// Two writers racing: the one that comes second keeps the first one's directory, which
    /// processes may be reading already, and drops its own.
    #[test]
    fn a_concurrent_writer_keeps_the_directory_in_place() {
        let tmp = Scratch::private("race");
        let dir = tmp.0.join("corptls");
        let target = store(&dir, b"bundle\n", &hashed(2)).unwrap().hashed_dir;
        let ino = fs::metadata(&target).unwrap().ino();
        let private = Private::open(&dir).unwrap();
        let name = target.file_name().unwrap().to_str().unwrap();
        let second = private.subdir(".certs-second.tmp", true).unwrap();
        hashed(2).iter().for_each(|(n, content)| second.create(n, content, false).unwrap());
        replace_dir(&private, ".certs-second.tmp", name, &hashed(2)).unwrap();
        assert_eq!(fs::metadata(&target).unwrap().ino(), ino, "the directory in place was replaced");
        assert_eq!(entries(&dir), [expected_name(b"bundle\n")], "the second writer's is gone");
    }

    #[test]
    fn hashed_directories_are_pruned_only_when_old_and_unused() {
        let tmp = Scratch::private("prune-dirs");
        let dir = tmp.0.join("corptls");
        let mut stored = Vec::new();
        for n in 0..8u64 {
            let found = store(&dir, format!("bundle {n}\n").as_bytes(), &hashed(1)).unwrap().hashed_dir;
            // Last used long ago, oldest first: but the two newest only a day ago.
            let age = if n >= 6 { 24 * 3600 } else { UNUSED.as_secs() + 3600 * (10 - n) };
            fs::File::open(&found).unwrap().set_modified(SystemTime::now() - Duration::from_secs(age)).unwrap();
            stored.push(found);
        }
        // A stale temporary directory of a dead writer, and a live writer's.
        for (name, age) in [(".certs-0123456789abcdef.1.0.tmp", 3600), (".certs-fedcba9876543210.2.0.tmp", 5)] {
            fs::create_dir(dir.join(name)).unwrap();
            fs::write(dir.join(name).join("00000000.0"), b"x").unwrap();
            fs::File::open(dir.join(name)).unwrap().set_modified(SystemTime::now() - Duration::from_secs(age)).unwrap();
        }
        let current = store(&dir, b"bundle 8\n", &hashed(1)).unwrap().hashed_dir;
        // Kept: the current one, the KEEP newest others (two of them old but among the newest),
        // and none of the older ones, all unused for longer than UNUSED.
        let mut kept: Vec<PathBuf> = stored[8 - KEEP..].to_vec();
        kept.push(current);
        kept.sort();
        let mut found: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("certs-"))
            .collect();
        found.sort();
        assert_eq!(found, kept);
        assert!(!dir.join(".certs-0123456789abcdef.1.0.tmp").exists(), "a dead writer's");
        assert!(dir.join(".certs-fedcba9876543210.2.0.tmp").exists(), "a live writer's");

        // Among the older ones, one used recently is kept.
        let recent = store(&dir, b"bundle 0\n", &hashed(1)).unwrap().hashed_dir;
        store(&dir, b"bundle 9\n", &hashed(1)).unwrap();
        assert!(recent.exists());
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
            let path = file(&dir, format!("bundle {n}\n").as_bytes()).unwrap();
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
