//! The operating system's trust store, read with `rustls-native-certs`.
//!
//! `rustls_native_certs::load_native_certs()` reads only `SSL_CERT_FILE` / `SSL_CERT_DIR`
//! when either is set. corptls must see the OS store whatever the environment says
//! (those variables are added as sources of their own), so each platform bypasses it.

use crate::certs::Found;

pub use platform::dirs;

/// Reads the OS store. Never panics: a panic in a platform API becomes a problem.
pub fn load() -> Found {
    match std::panic::catch_unwind(platform::load) {
        Ok(found) => found,
        Err(_) => {
            let mut found = Found::default();
            found.problem("os", "the platform certificate store API failed (panic); OS roots unavailable");
            found
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
mod platform {
    use super::Found;
    use crate::certs::read_path;
    use std::path::PathBuf;

    /// The distribution's certificate directories, as probed by `openssl-probe`
    /// without consulting the environment: the directories `rustls-native-certs` reads (its
    /// probed bundle file, e.g. `ca-certificates.crt`, lives in them on the common distributions).
    pub fn dirs() -> Vec<PathBuf> {
        openssl_probe::candidate_cert_dirs().map(PathBuf::from).collect()
    }

    pub fn load() -> Found {
        let mut found = Found::default();
        for dir in dirs() {
            found.extend(read_path("os", &dir));
        }
        if found.certs.is_empty() && found.problems.is_empty() {
            found.problem("os", "no system certificate directory found");
        }
        found
    }
}

#[cfg(any(windows, target_os = "macos"))]
mod platform {
    use super::Found;
    use std::env;
    use std::sync::Mutex;

    const VARS: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];
    static ENV_LOCK: Mutex<()> = Mutex::new(());

    /// The store is not a directory here.
    pub fn dirs() -> Vec<std::path::PathBuf> {
        Vec::new()
    }

    /// The platform store (Windows ROOT store, macOS trust settings). The two
    /// variables are hidden for the duration of the call, under a lock.
    pub fn load() -> Found {
        let _guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let saved: Vec<_> = VARS.iter().map(|v| (*v, env::var_os(v))).collect();
        let hidden = saved.iter().any(|(_, value)| value.is_some());
        if hidden {
            // SAFETY: for the duration of this call. On Windows std changes the Win32 block,
            // apart from the C runtime's copy that OpenSSL and Python read; a child process
            // started by another thread meanwhile would inherit the block without the two
            // variables. On macOS another thread's getenv may see them missing, and libc's
            // setenv/getenv are not synchronised with C code outside Rust. Known limitation:
            // rustls-native-certs offers no other way to the platform store.
            for (name, _) in &saved {
                unsafe { env::remove_var(name) };
            }
        }
        let result = rustls_native_certs::load_native_certs();
        if hidden {
            for (name, value) in &saved {
                if let Some(value) = value {
                    unsafe { env::set_var(name, value) };
                }
            }
        }
        let mut found = Found::default();
        found.certs = result.certs.into_iter().map(|c| (c.as_ref().to_vec(), "os".to_owned())).collect();
        for err in result.errors {
            found.problem("os", err.to_string());
        }
        found
    }
}
