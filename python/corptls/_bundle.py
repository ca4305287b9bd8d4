"""The trust bundle: OS roots ∪ certifi ∪ OpenSSL defaults ∪ CA variables ∪ extra CAs.

Collected once per process on first use (the Rust core does the certificate work),
written to the per-user cache so path-based clients can use it, kept in memory
when no safe place exists.
"""

from __future__ import annotations

import _thread
import os

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import FrozenSet, Iterable, List, Optional, Tuple

from ._autoload import FIX
from ._warnings import warn


class Bundle:
    """One collection of roots, and how to recognise default trust."""

    def __init__(self, collection: object, path: Optional[str], default_files: FrozenSet[str],
                 default_dirs: FrozenSet[str], capath: Optional[str]) -> None:
        self.collection = collection
        # What a context loads: OpenSSL's default directory, searched lazily (free), and up
        # front only the roots that directory does not hold. Loading every root eagerly
        # would cost a parse per root in every context.
        self.capath = capath
        self.eager_pem: str = collection.eager_pem  # type: ignore[attr-defined]
        self.pem: str = collection.pem  # type: ignore[attr-defined]
        self.path = path
        self.default_files = default_files
        self.default_dirs = default_dirs
        roots = collection.roots  # type: ignore[attr-defined]
        self.ders: FrozenSet[bytes] = frozenset(r.der for r in roots)  # every root, as DER
        # The CA sets a stock context holds after loading certifi's or OpenSSL's default file.
        # Not SSL_CERT_FILE's: a user's choice, often one private root a program may pin too.
        self.default_sets = tuple(
            frozenset(r.der for r in roots if label in r.sources) for label in ("certifi", "openssl-file")
        )

    def is_default_file(self, path: "str | os.PathLike[str]") -> bool:
        return _real(path) in self.default_files

    def is_default_dir(self, path: "str | os.PathLike[str]") -> bool:
        return _real(path) in self.default_dirs

    def holds_default_trust(self, ca_ders: List[bytes]) -> bool:
        """True when a context's CA list is exactly one default-trust file's."""
        loaded = frozenset(ca_ders)
        return bool(loaded) and loaded in self.default_sets


_lock = _thread.allocate_lock()
_bundle: Optional[Bundle] = None
_extra: Tuple[str, ...] = ()
_failed = False


def configure(extra: Iterable["str | os.PathLike[str]"]) -> bool:
    """Set the caller's extra CA paths; True when they changed (the bundle is collected again)."""
    global _bundle, _extra, _failed
    extra_paths = tuple(os.fspath(p) for p in extra)
    with _lock:
        if extra_paths == _extra:
            return False
        _extra, _bundle, _failed = extra_paths, None, False
        return True


def current() -> Bundle:
    """The bundle, collected on first call. Raises when the native core cannot run."""
    global _bundle
    # Imported before the lock: importing ssl runs corptls's own import hooks, which may
    # come back here (autoload handing over to inject()).
    import ssl  # noqa: F401

    from . import _native  # noqa: F401

    with _lock:
        if _bundle is None:
            _bundle = _collect(_extra)
        return _bundle


def usable() -> Optional[Bundle]:
    """The bundle, or None after warning once when it cannot be built: callers then act stock."""
    if _bundle is not None:
        return _bundle
    if _failed:
        return None
    try:
        return current()
    except BaseException as exc:  # a Rust panic is a BaseException; never break the caller
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        fail(f"cannot read the trust store ({exc!r})")
        return None


def fail(reason: str) -> None:
    """Stop widening for this process, saying why once: every patched call then acts stock."""
    global _bundle, _failed
    if not _failed:
        _bundle, _failed = None, True
        warn(f"corptls: {reason}; Python's default trust is used. {FIX}")


def certifi_file() -> Optional[str]:
    """certifi's own bundle, found without calling (possibly patched) certifi.where()."""
    import importlib.util

    spec = importlib.util.find_spec("certifi")
    if spec is None or not spec.origin:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "cacert.pem")
    return path if os.path.isfile(path) else None


def _real(path: "str | os.PathLike[str]") -> str:
    return os.path.realpath(os.fspath(path))


def _collect(extra: Tuple[str, ...]) -> Bundle:
    import ssl

    from . import _native

    defaults = ssl.get_default_verify_paths()
    certifi = certifi_file()
    collection = _native.collect(certifi, defaults.openssl_cafile, defaults.openssl_capath, list(extra),
                                 defaults.capath)
    for source, message in collection.problems:
        # A file's problem: say what to do with it. A variable's message names its own fix.
        fix = ". Fix: repair or remove it; the other roots are in use" if ":" in source else ""
        warn(f"corptls: {source}: {message}{fix}")
    files = [certifi, defaults.openssl_cafile, os.environ.get("SSL_CERT_FILE")]
    dirs = [defaults.openssl_capath, *os.environ.get("SSL_CERT_DIR", "").split(os.pathsep)]
    path = _store(collection.pem)
    return Bundle(
        collection,
        path,
        frozenset(_real(f) for f in [*files, path] if f),
        frozenset(_real(d) for d in dirs if d),
        defaults.capath,
    )


def _store(pem: str) -> Optional[str]:
    from . import _native

    directory = _native.cache_dir()
    if directory is None:
        reason = "no per-user cache directory (set CORPTLS_CACHE_DIR)"
    else:
        try:
            return os.fspath(_native.store_bundle(directory, pem.encode("ascii")))
        except OSError as exc:
            reason = f"{exc} (set CORPTLS_CACHE_DIR to a private writable directory)"
    warn(f"corptls: cannot write the bundle file: {reason}; using the roots in memory, "
         "so certifi.where() keeps certifi's own file")
    return None


_active = False


def set_active(on: bool) -> None:
    global _active
    _active = on


def active() -> Optional[Bundle]:
    """The bundle while injected; None otherwise, so patched code behaves stock."""
    return usable() if _active else None


def where() -> Optional[str]:
    """The bundle file while injected; else (or when only in memory) certifi's own file."""
    bundle = active()
    return bundle.path if bundle is not None and bundle.path else certifi_file()
