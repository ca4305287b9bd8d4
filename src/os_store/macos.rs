//! macOS: the certificates of the user, admin and system trust settings domains.
//!
//! User settings override admin settings, which override the system's, so the first domain
//! that has a setting for a certificate decides it. Only "trust as root" counts; "deny" and
//! "unspecified" (trusted only through a chain to some other root) do not make an anchor.

use std::collections::HashSet;
use std::path::PathBuf;

use security_framework::trust_settings::{Domain, TrustSettings, TrustSettingsForCertificate};

use crate::certs::{Found, Source};

/// The store is not a directory here.
pub fn dirs() -> Vec<PathBuf> {
    Vec::new()
}

pub fn load() -> Found {
    let mut found = Found::default();
    let mut decided: HashSet<Vec<u8>> = HashSet::new();
    for (domain, name) in [(Domain::User, "user"), (Domain::Admin, "admin"), (Domain::System, "system")] {
        let settings = TrustSettings::new(domain);
        let certs = match settings.iter() {
            Ok(certs) => certs,
            Err(err) => {
                found.problem("os", format!("macOS {name} trust settings: cannot read: {err}"));
                continue;
            }
        };
        for cert in certs {
            let der = cert.to_der();
            if decided.contains(&der) {
                continue;
            }
            // No setting at all means "always trust as root" (SecTrustSettingsCopyTrustSettings).
            let setting = match settings.tls_trust_settings_for_certificate(&cert) {
                Ok(setting) => setting.unwrap_or(TrustSettingsForCertificate::TrustRoot),
                Err(err) => {
                    found.problem("os", format!("macOS {name} trust settings of {}: {err}", cert.subject_summary()));
                    continue;
                }
            };
            decided.insert(der.clone());
            if matches!(setting, TrustSettingsForCertificate::TrustRoot | TrustSettingsForCertificate::TrustAsRoot) {
                found.certs.push((der, Source::place("os", format!("macOS {name} trust settings"))));
            }
        }
    }
    found
}
