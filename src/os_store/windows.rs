//! Windows: the roots trusted for server authentication, read through CryptoAPI.
//!
//! Windows merges several physical stores into a user's view of trusted roots: `ROOT` of the
//! current user (which also shows the local machine's), of the local machine, of the group
//! policy of both, and of the enterprise; and `AuthRoot`, where Group Policy and Windows Update
//! deploy third-party roots. Every one is read (the collection removes duplicates). A
//! certificate in any `Disallowed` store is left out, and so is one whose enhanced key usage
//! excludes server authentication (judged as CPython's `ssl.enum_certificates` does: the
//! property when set, else the extension).

use std::collections::HashSet;
use std::ffi::CStr;
use std::path::PathBuf;
use std::ptr;

use windows_sys::Win32::Foundation::{GetLastError, CRYPT_E_NOT_FOUND, ERROR_FILE_NOT_FOUND};
use windows_sys::Win32::Security::Cryptography::{
    CertCloseStore, CertEnumCertificatesInStore, CertGetEnhancedKeyUsage, CertOpenStore, CERT_CONTEXT,
    CERT_FIND_EXT_ONLY_ENHKEY_USAGE_FLAG, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG, CERT_STORE_OPEN_EXISTING_FLAG,
    CERT_STORE_PROV_SYSTEM_W, CERT_STORE_READONLY_FLAG, CERT_SYSTEM_STORE_CURRENT_USER,
    CERT_SYSTEM_STORE_CURRENT_USER_GROUP_POLICY_ID, CERT_SYSTEM_STORE_LOCAL_MACHINE,
    CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE_ID, CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY_ID,
    CERT_SYSTEM_STORE_LOCATION_SHIFT, CTL_USAGE,
};

use crate::certs::{Found, Source};

const LOCATIONS: [(&str, u32); 5] = [
    ("CurrentUser", CERT_SYSTEM_STORE_CURRENT_USER),
    ("LocalMachine", CERT_SYSTEM_STORE_LOCAL_MACHINE),
    ("CurrentUserGroupPolicy", CERT_SYSTEM_STORE_CURRENT_USER_GROUP_POLICY_ID << CERT_SYSTEM_STORE_LOCATION_SHIFT),
    ("LocalMachineGroupPolicy", CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY_ID << CERT_SYSTEM_STORE_LOCATION_SHIFT),
    ("LocalMachineEnterprise", CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE_ID << CERT_SYSTEM_STORE_LOCATION_SHIFT),
];
const TRUSTED: [&str; 2] = ["ROOT", "AuthRoot"];
const SERVER_AUTH: &[u8] = b"1.3.6.1.5.5.7.3.1";

/// The store is not a directory here.
pub fn dirs() -> Vec<PathBuf> {
    Vec::new()
}

pub fn load() -> Found {
    let mut found = Found::default();
    let mut disallowed = HashSet::new();
    each_cert(&mut found, "Disallowed", |der, _| {
        disallowed.insert(der.to_vec());
    });
    for store in TRUSTED {
        let mut kept = Vec::new();
        each_cert(&mut found, store, |der, cert| {
            if !disallowed.contains(der) && usable_for_server_auth(cert) {
                kept.push(der.to_vec());
            }
        });
        found.certs.extend(kept.into_iter().map(|der| (der, Source::place("os", format!("Windows {store} store")))));
    }
    found
}

/// Calls `visit` with each certificate of the system store `name` in every location; a store
/// that does not exist there is skipped, any other failure becomes a problem.
fn each_cert(found: &mut Found, name: &str, mut visit: impl FnMut(&[u8], *const CERT_CONTEXT)) {
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    for (location, flags) in LOCATIONS {
        // SAFETY: a system store opened read-only by a NUL-terminated UTF-16 name.
        let store = unsafe {
            CertOpenStore(
                CERT_STORE_PROV_SYSTEM_W,
                0,
                0,
                flags | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG,
                wide.as_ptr().cast(),
            )
        };
        if store.is_null() {
            // SAFETY: no preconditions.
            let error = unsafe { GetLastError() };
            // Absent: ERROR_FILE_NOT_FOUND; Wine says CRYPT_E_NOT_FOUND of a location it lacks.
            if error != ERROR_FILE_NOT_FOUND && error != CRYPT_E_NOT_FOUND as u32 {
                found.problem("os", format!("Windows {location}\\{name} store: cannot open (error {error:#010x})"));
            }
            continue;
        }
        let mut cert: *const CERT_CONTEXT = ptr::null();
        loop {
            // SAFETY: passing the previous context frees it; a null result ends the enumeration.
            cert = unsafe { CertEnumCertificatesInStore(store, cert) };
            if cert.is_null() {
                break;
            }
            // SAFETY: a context from the enumeration is valid until the next call.
            let der = unsafe { std::slice::from_raw_parts((*cert).pbCertEncoded, (*cert).cbCertEncoded as usize) };
            visit(der, cert);
        }
        // SAFETY: opened above, closed once; the enumeration freed its last context.
        unsafe { CertCloseStore(store, 0) };
    }
}

fn usable_for_server_auth(cert: *const CERT_CONTEXT) -> bool {
    let usage = match key_usage(cert, CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG) {
        Some(None) => key_usage(cert, CERT_FIND_EXT_ONLY_ENHKEY_USAGE_FLAG),
        usage => usage,
    };
    match usage {
        Some(None) => true,
        Some(Some(oids)) => oids.iter().any(|oid| oid == SERVER_AUTH),
        None => false, // unreadable: not trusted on a guess
    }
}

/// The enhanced key usage from one place (`flags`): `Some(None)` when that place sets none
/// (every use allowed), `None` when it cannot be read.
fn key_usage(cert: *const CERT_CONTEXT, flags: u32) -> Option<Option<Vec<Vec<u8>>>> {
    let mut size = 0u32;
    // SAFETY: asks for the size only.
    if unsafe { CertGetEnhancedKeyUsage(cert, flags, ptr::null_mut(), &mut size) } == 0 {
        return not_found().then_some(None);
    }
    // u64 cells keep the CTL_USAGE header aligned.
    let mut buffer = vec![0u64; (size as usize).div_ceil(8)];
    let usage = buffer.as_mut_ptr().cast::<CTL_USAGE>();
    // SAFETY: the buffer holds `size` bytes, as the first call asked.
    if unsafe { CertGetEnhancedKeyUsage(cert, flags, usage, &mut size) } == 0 {
        return not_found().then_some(None);
    }
    // SAFETY: filled above.
    let usage = unsafe { &*usage };
    if usage.cUsageIdentifier == 0 {
        // Documented: no identifier and CRYPT_E_NOT_FOUND means every use, else none.
        return Some(if not_found() { None } else { Some(Vec::new()) });
    }
    // SAFETY: cUsageIdentifier NUL-terminated OID strings, inside the buffer.
    let ids = unsafe { std::slice::from_raw_parts(usage.rgpszUsageIdentifier, usage.cUsageIdentifier as usize) };
    // SAFETY: each is a NUL-terminated string inside the buffer.
    Some(Some(ids.iter().map(|&id| unsafe { CStr::from_ptr(id.cast()) }.to_bytes().to_vec()).collect()))
}

fn not_found() -> bool {
    // SAFETY: no preconditions.
    let error = unsafe { GetLastError() };
    error == CRYPT_E_NOT_FOUND as u32
}
