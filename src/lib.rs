//! `corptls._native`: the certificate work behind corptls. This layer only converts
//! between Python and the Rust modules, each of which has one job.

mod cache;
mod certs;
mod bundle;
mod os_store;
mod hashed_dir;

use std::path::PathBuf;

use pyo3::exceptions::PyOSError;
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
    strict_violation: bool,
    #[pyo3(get)]
    in_lazy_dir: bool,
}

#[pymethods]
impl Root {
    fn __repr__(&self) -> String {
        format!("Root(subject={:?}, sha256={:?}, sources={:?})", self.subject, self.sha256, self.sources)
    }
}

/// The result of one collection: roots, problems (source, message), the bundle as PEM,
/// and the part of it OpenSSL will not find lazily in its default directory.
#[pyclass(frozen, module = "corptls._native")]
struct Collection {
    #[pyo3(get)]
    roots: Vec<Py<Root>>,
    #[pyo3(get)]
    problems: Vec<(String, String)>,
    #[pyo3(get)]
    pem: String,
    #[pyo3(get)]
    eager_pem: String,
}

/// Gathers the OS store, certifi, OpenSSL's default paths, the CA environment variables
/// and `extra` into one deduplicated collection. Never raises for bad certificates.
#[pyfunction]
#[pyo3(signature = (certifi=None, openssl_file=None, openssl_dir=None, extra=Vec::new(), lazy_dir=None))]
fn collect(
    py: Python<'_>,
    certifi: Option<PathBuf>,
    openssl_file: Option<PathBuf>,
    openssl_dir: Option<PathBuf>,
    extra: Vec<PathBuf>,
    lazy_dir: Option<PathBuf>,
) -> PyResult<Collection> {
    let request = bundle::Request { certifi, openssl_file, openssl_dir, extra, lazy_dir };
    let found = py.detach(|| bundle::collect(&request));
    let (pem, eager_pem) = (found.pem(false), found.pem(true));
    let roots = found
        .roots
        .into_iter()
        .map(|r| {
            let root = Root {
                der: PyBytes::new(py, &r.der).unbind(),
                sha256: bundle::hex(&r.sha256),
                sources: r.sources,
                subject: r.subject,
                not_after: r.not_after,
                strict_violation: r.strict_violation,
                in_lazy_dir: r.in_lazy_dir,
            };
            Py::new(py, root)
        })
        .collect::<PyResult<_>>()?;
    let problems = found.problems.into_iter().map(|p| (p.source, p.message)).collect();
    Ok(Collection { roots, problems, pem, eager_pem })
}

/// The per-user cache directory, or None when the platform names none.
#[pyfunction]
fn cache_dir() -> Option<PathBuf> {
    cache::default_dir()
}

/// Writes `content` atomically to a content-addressed file in `directory`; returns its path.
#[pyfunction]
fn store_bundle(py: Python<'_>, directory: PathBuf, content: &[u8]) -> PyResult<PathBuf> {
    let content = content.to_vec();
    py.detach(|| cache::store(&directory, &content)).map_err(|e| PyOSError::new_err(e.to_string()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Root>()?;
    m.add_class::<Collection>()?;
    m.add_function(wrap_pyfunction!(collect, m)?)?;
    m.add_function(wrap_pyfunction!(cache_dir, m)?)?;
    m.add_function(wrap_pyfunction!(store_bundle, m)?)?;
    Ok(())
}
