//! The operating system's trust store, read natively: one file per platform, chosen once here.
//!
//! Nothing here reads or changes the environment: `SSL_CERT_FILE` / `SSL_CERT_DIR` are sources
//! of their own (`bundle.rs`), and the OS store is what the platform itself trusts.

use crate::certs::Found;

#[cfg(all(unix, not(target_os = "macos")))]
#[path = "linux.rs"]
mod platform;
#[cfg(target_os = "macos")]
#[path = "macos.rs"]
mod platform;
#[cfg(windows)]
#[path = "windows.rs"]
mod platform;

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
