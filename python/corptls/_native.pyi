"""Type stub for the Rust extension: trust-store reading, PEM/DER handling, the bundle cache."""

from os import PathLike
from pathlib import Path
from typing import Optional, Sequence, Union, final

__all__ = [
    "Root",
    "Collection",
    "collect",
    "cache_dir",
    "find_stored",
    "store_bundle",
    "CertInfo",
    "inspect",
    "verify_chain",
    "capture_chain",
    "VerificationError",
    "BUNDLE_MARK",
    "__version__",
]

_Path = Union[str, PathLike[str]]

@final
class Root:
    """One trust anchor of the bundle."""

    @property
    def der(self) -> bytes:
        """The root as its source holds it (for a twinned root: the original, not the twin)."""
    @property
    def sha256(self) -> str: ...
    @property
    def sources(self) -> list[str]:
        """Where it was found: "os", "certifi", "openssl-file", "openssl-dir",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "CORPTLS_EXTRA_CA_CERTS" or "extra"."""
    @property
    def subject(self) -> str: ...
    @property
    def not_after(self) -> int:
        """Expiry, seconds since the Unix epoch."""
    @property
    def strict_rules(self) -> list[str]:
        """The rules of Python 3.13+'s VERIFY_X509_STRICT it breaks, in OpenSSL's words."""
    @property
    def twin(self) -> Optional[bytes]:
        """Its conforming twin (DER), which contexts and the bundle file get in its place: same name,
        key, validity and other extensions, basicConstraints critical, keyUsage and SKID where missing."""
    @property
    def subject_hash(self) -> str:
        """OpenSSL's subject hash: the name of its file in the hashed directory."""

@final
class Collection:
    @property
    def roots(self) -> list[Root]: ...
    @property
    def problems(self) -> list[tuple[str, Optional[str], str]]:
        """(label, place or None, message) for every certificate or path that could not be used: the
        place is a file or directory, or a platform store by name."""
    @property
    def pem(self) -> str:
        """The deduplicated bundle, PEM with LF line endings; twins in place of their originals."""

def collect(
    certifi: Optional[_Path] = None,
    openssl_file: Optional[_Path] = None,
    openssl_dir: Optional[_Path] = None,
    extra: Sequence[_Path] = ...,
    ssl_cert_file: Optional[str] = None,
    ssl_cert_dir: Optional[str] = None,
    extra_ca_certs: Optional[str] = None,
) -> Collection: ...

#: The first line of every bundle corptls writes; a file that starts with it is never read as a source.
BUNDLE_MARK: str
__version__: str

def cache_dir(
    chosen: Optional[_Path] = None, xdg_cache_home: Optional[_Path] = None, home: Optional[_Path] = None
) -> Optional[Path]:
    """``chosen`` (CORPTLS_CACHE_DIR) when not empty, else the per-user cache directory the platform
    names (Windows' known folder; elsewhere from ``xdg_cache_home`` and ``home``, absolute only)."""

def find_stored(directory: _Path, collection: Collection) -> Optional[tuple[Path, Path]]:
    """The collection's bundle file and hashed directory when ``directory`` holds both already,
    exactly (the directory is then touched: in use); None when it does not."""

def store_bundle(directory: _Path, collection: Collection) -> tuple[Path, Path]:
    """Stores the collection in ``directory`` (created private if missing), atomically and named by
    its content: the bundle file, and the same roots as OpenSSL's hashed directory (``capath``,
    twins in place of their originals). Returns both paths; OSError when the directory is unsafe."""

class VerificationError(ValueError):
    """The OS does not trust the chain; the message says why."""

@final
class CertInfo:
    """Facts about one certificate, for reports."""

    subject: str
    issuer: str
    not_before: int
    not_after: int
    is_ca: bool
    self_issued: bool
    #: The rules of Python 3.13+'s VERIFY_X509_STRICT it breaks, in OpenSSL's words.
    strict_rules: list[str]
    sha256: str
    #: OpenSSL's subject hash: the name of its file in a hashed directory.
    subject_hash: str

def inspect(der: bytes) -> CertInfo:
    """Parses a DER certificate; ValueError when it cannot be parsed."""

def verify_chain(chain: Sequence[bytes], hostname: str) -> None:
    """Raises VerificationError unless the OS trusts ``chain`` (DER, leaf first) for ``hostname``."""

def capture_chain(
    host: str,
    port: int,
    proxy: Optional[tuple[str, int]] = None,
    proxy_authorization: Optional[str] = None,
    timeout: float = 10.0,
) -> list[bytes]:
    """The chain ``host:port`` presents, through ``proxy`` if given; the handshake is aborted once
    the chain arrives. TimeoutError, ConnectionRefusedError, ConnectionError or OSError otherwise."""
