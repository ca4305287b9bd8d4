//! `corptls._native`: the certificate work behind corptls. This layer only converts
//! between Python and the Rust modules, each of which has one job.

mod bundle;
mod cache;
mod certs;
mod der;
mod digest;
mod hashed_dir;
#[cfg(test)]
mod ingest_fuzz;
mod os_store;
mod probe;
mod safe_read;
mod twin;
mod verify;
mod x509;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyConnectionError, PyConnectionRefusedError, PyOSError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// One trust anchor of the bundle.
#[pyclass(frozen, module = "corptls._native")]
struct Root {
    #[pyo3(get)]
    der: Py<PyBytes>,
    #[pyo3(get)]
    sha256: String,
    #[pyo3(get)]
    sources: Vec<String>,
    #[pyo3(get)]
    subject: String,
    #[pyo3(get)]
    not_after: i64,
    #[pyo3(get)]
    strict_rules: Vec<&'static str>,
    /// Its conforming twin, which contexts and the bundle file get in its place.
    #[pyo3(get)]
    twin: Option<Py<PyBytes>>,
    /// OpenSSL's subject hash: the name of its file in the hashed directory.
    #[pyo3(get)]
    subject_hash: String,
}

#[pymethods]
impl Root {
    fn __repr__(&self) -> String {
        format!("Root(subject={:?}, sha256={:?}, sources={:?})", self.subject, self.sha256, self.sources)
    }
}

/// The result of one collection: roots, problems (label, place, message), the bundle as PEM,
/// and (for `store_bundle`) the same roots as the files of OpenSSL's hashed directory.
#[pyclass(frozen, module = "corptls._native")]
struct Collection {
    #[pyo3(get)]
    roots: Vec<Py<Root>>,
    #[pyo3(get)]
    problems: Vec<(String, Option<String>, String)>,
    #[pyo3(get)]
    pem: String,
    hashed_files: Vec<(String, Vec<u8>)>,
}

/// Gathers the OS store, certifi, OpenSSL's default paths, the CA environment variables
/// and `extra` into one deduplicated collection. Never raises for bad certificates.
#[pyfunction]
#[pyo3(signature = (certifi=None, openssl_file=None, openssl_dir=None, extra=Vec::new(),
                    ssl_cert_file=None, ssl_cert_dir=None, extra_ca_certs=None))]
#[allow(clippy::too_many_arguments)] // one keyword argument per field of the request
fn collect(
    py: Python<'_>,
    certifi: Option<PathBuf>,
    openssl_file: Option<PathBuf>,
    openssl_dir: Option<PathBuf>,
    extra: Vec<PathBuf>,
    ssl_cert_file: Option<OsString>,
    ssl_cert_dir: Option<OsString>,
    extra_ca_certs: Option<OsString>,
) -> PyResult<Collection> {
    let request =
        bundle::Request { certifi, openssl_file, openssl_dir, ssl_cert_file, ssl_cert_dir, extra_ca_certs, extra };
    let found = py.detach(|| bundle::collect(&request));
    let (pem, hashed_files) = (found.pem(), found.hashed_files());
    let roots = found
        .roots
        .into_iter()
        .map(|r| {
            let root = Root {
                der: PyBytes::new(py, &r.der).unbind(),
                sha256: digest::hex(&r.sha256),
                sources: r.sources,
                subject: r.subject,
                not_after: r.not_after,
                twin: r.twin.map(|twin| PyBytes::new(py, &twin).unbind()),
                strict_rules: r.strict_rules,
                subject_hash: r.subject_hash,
            };
            Py::new(py, root)
        })
        .collect::<PyResult<_>>()?;
    let problems = found.problems.into_iter().map(|p| (p.source.label, p.source.place, p.message)).collect();
    Ok(Collection { roots, problems, pem, hashed_files })
}

/// The cache directory: `chosen` (CORPTLS_CACHE_DIR) when given, else the per-user one the
/// platform names (from `xdg_cache_home` and `home` where it reads them); None when there is none.
#[pyfunction]
#[pyo3(signature = (chosen=None, xdg_cache_home=None, home=None))]
fn cache_dir(chosen: Option<PathBuf>, xdg_cache_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    cache::default_dir(chosen, xdg_cache_home, home)
}

/// The collection's bundle file and hashed directory when `directory` holds both already, exactly;
/// None when it does not (then `store_bundle`).
#[pyfunction]
fn find_stored(py: Python<'_>, directory: PathBuf, collection: &Collection) -> PyResult<Option<(PathBuf, PathBuf)>> {
    let found = py
        .detach(|| cache::find(&directory, collection.pem.as_bytes(), &collection.hashed_files))
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok(found.map(|stored| (stored.file, stored.hashed_dir)))
}

/// Stores the collection in `directory`, atomically and named by content, as a bundle file and as
/// OpenSSL's hashed directory; returns both paths.
#[pyfunction]
fn store_bundle(py: Python<'_>, directory: PathBuf, collection: &Collection) -> PyResult<(PathBuf, PathBuf)> {
    let stored = py
        .detach(|| cache::store(&directory, collection.pem.as_bytes(), &collection.hashed_files))
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
    Ok((stored.file, stored.hashed_dir))
}

create_exception!(_native, VerificationError, PyValueError, "The chain is not trusted; the message says why.");

/// Facts about one certificate, for reports.
#[pyclass(frozen, get_all, module = "corptls._native")]
struct CertInfo {
    subject: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    is_ca: bool,
    self_issued: bool,
    strict_rules: Vec<&'static str>,
    sha256: String,
    /// OpenSSL's subject hash: the name of its file in a hashed directory.
    subject_hash: String,
}

#[pyfunction]
fn inspect(der: &[u8]) -> PyResult<CertInfo> {
    let info = x509::inspect(der).map_err(PyValueError::new_err)?;
    Ok(CertInfo {
        subject: info.subject,
        issuer: info.issuer,
        not_before: info.not_before,
        not_after: info.not_after,
        is_ca: info.is_ca,
        self_issued: info.self_issued,
        strict_rules: info.strict_rules,
        sha256: digest::hex(&digest::sha256(der)),
        subject_hash: info.subject_hash,
    })
}

/// Raises VerificationError unless the OS trusts `chain` (DER, leaf first) for `hostname`.
#[pyfunction]
fn verify_chain(py: Python<'_>, chain: Vec<Vec<u8>>, hostname: &str) -> PyResult<()> {
    py.detach(|| verify::verify_chain(&chain, hostname)).map_err(VerificationError::new_err)
}

/// The chain `host:port` presents (DER, leaf first), through `proxy` (host, port) if given.
#[pyfunction]
#[pyo3(signature = (host, port, proxy=None, proxy_authorization=None, timeout=10.0))]
fn capture_chain(
    py: Python<'_>,
    host: &str,
    port: u16,
    proxy: Option<(String, u16)>,
    proxy_authorization: Option<String>,
    timeout: f64,
) -> PyResult<Vec<Py<PyBytes>>> {
    let timeout = Duration::try_from_secs_f64(timeout).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let route = probe::Route {
        host,
        port,
        proxy: proxy.as_ref().map(|(h, p)| (h.as_str(), *p)),
        proxy_authorization: proxy_authorization.as_deref(),
    };
    let chain = py.detach(|| probe::capture(&route, timeout)).map_err(|failure| match failure {
        probe::Failure::Timeout(m) => PyTimeoutError::new_err(m),
        probe::Failure::Refused(m) => PyConnectionRefusedError::new_err(m),
        probe::Failure::Network(m) => PyOSError::new_err(m),
        probe::Failure::Proxy(m) | probe::Failure::Handshake(m) => PyConnectionError::new_err(m),
        probe::Failure::Input(m) => PyValueError::new_err(m),
    })?;
    Ok(chain.iter().map(|der| PyBytes::new(py, der).unbind()).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Root>()?;
    m.add_class::<Collection>()?;
    m.add_function(wrap_pyfunction!(collect, m)?)?;
    m.add_function(wrap_pyfunction!(cache_dir, m)?)?;
    m.add_function(wrap_pyfunction!(find_stored, m)?)?;
    m.add_function(wrap_pyfunction!(store_bundle, m)?)?;
    m.add_class::<CertInfo>()?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(verify_chain, m)?)?;
    m.add_function(wrap_pyfunction!(capture_chain, m)?)?;
    m.add("VerificationError", m.py().get_type::<VerificationError>())?;
    m.add("BUNDLE_MARK", certs::BUNDLE_MARK)?;
    // The one version: Cargo.toml's (maturin gives it to the wheel's metadata too).
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
