"""The trust bundle: OS roots ∪ certifi ∪ OpenSSL defaults ∪ CA variables ∪ extra CAs.

Collected once per process on first use (the Rust core does the certificate work),
written to the per-user cache so path-based clients can use it, kept in memory
when no safe place exists.

One state, under one lock: *unset* (not collected yet), *ready* (collected), *failed* (the
collection raised, or OpenSSL refused the roots). Failed is final: patched code acts stock,
``roots()`` is empty, ``bundle_path()`` None, and nothing collects again, whoever asks. Only
``configure()`` with other extra CAs, a new explicit request, makes it unset again.
"""

from __future__ import annotations

import _thread
import os
import sys
import time

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

    from ._native import Collection

from ._log import debug
from ._log import enabled as log_enabled
from ._warnings import fix, warn

UNSET, READY, FAILED = "unset", "ready", "failed"


class Files:
    """Files (or directories) known by identity: the exact name given, or the device and inode
    the name had when recorded. Never ``realpath``: a name swapped for a symlink is not the file."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: FrozenSet[str] = frozenset()
        self.ids: FrozenSet[Tuple[int, int]] = frozenset()
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        """Record ``name``, and the file it names now."""
        found = _file_id(name)
        self.names |= {name}
        if found is not None:
            self.ids |= {found}

    def holds(self, path: object) -> bool:
        if not isinstance(path, (str, bytes, os.PathLike)):  # not a path at all: stock's to refuse
            return False
        try:
            name = os.fsdecode(path)
        except TypeError:  # a PathLike whose __fspath__ returns no path: stock's to refuse too
            return False
        return name in self.names or _file_id(name) in self.ids


class Bundle:
    """One collection of roots, and how to recognise default trust."""

    def __init__(
        self,
        collection: Collection,
        path: Optional[str],
        default_files: Files,
        default_dirs: Files,
        capath: Optional[str],
    ) -> None:
        self.collection = collection
        # What a context loads: corptls's own hashed directory, which OpenSSL searches lazily, one
        # root file at a handshake that needs it; nothing is parsed up front. Without that
        # directory (the roots in memory only), every root up front: a parse per root per context.
        self.capath = capath
        self.pem = collection.pem
        self.path = path
        self.default_files = default_files
        self.default_dirs = default_dirs
        roots = collection.roots
        self.ders: FrozenSet[bytes] = frozenset(r.der for r in roots)  # every root, as DER
        # The CA set a stock context holds after loading certifi's file. Not OpenSSL's default
        # file's: after the fact it cannot be told from a pinned copy of that file (in a container
        # often one private root), nor can SSL_CERT_FILE's.
        self.certifi_set = frozenset(r.der for r in roots if "certifi" in r.sources)
        self._trusted = frozenset(r.twin or r.der for r in roots)  # what OpenSSL gets of each root
        self._pem_by_hash: Optional[Dict[str, str]] = None
        self._hash_of: Dict[bytes, Optional[str]] = {}  # subject hash by DER (None: unreadable)
        self._files = len(roots)  # the hashed directory's, when whole
        self._checked_at = self._touched_at = time.monotonic()  # _store found or wrote it whole

    def named_like(self, ca_ders: List[bytes]) -> str:
        """PEM of the roots of the hashed directory named like a certificate in ``ca_ders`` that is
        not one of them. OpenSSL searches the directory only for a subject it holds nothing for: a
        context holding such a certificate up front (a cross-signed copy of a root, say) must hold
        those roots up front too, or they are hidden behind it."""
        others = [der for der in ca_ders if der not in self._trusted] if self.capath else []
        if not others:
            return ""
        import ssl

        from . import _native

        if self._pem_by_hash is None:
            by_hash: Dict[str, str] = {}
            for root in self.collection.roots:
                pem = ssl.DER_cert_to_PEM_cert(root.twin or root.der)
                by_hash[root.subject_hash] = by_hash.get(root.subject_hash, "") + pem
            self._pem_by_hash = by_hash
        # Kept: on Windows every context loads the intermediate store's certificates again.
        if len(self._hash_of) > 4096:  # bounded, whatever a long-lived process loads
            self._hash_of.clear()
        hashes = set()
        for der in others:
            try:
                subject_hash = self._hash_of[der]
            except KeyError:  # not seen yet (or another thread just cleared the map)
                try:
                    subject_hash = _native.inspect(der).subject_hash
                except ValueError:  # OpenSSL loaded it; we cannot read it: it names nothing of ours
                    subject_hash = None
                self._hash_of[der] = subject_hash
            if subject_hash is not None:
                hashes.add(subject_hash)
        return "".join(self._pem_by_hash.get(h, "") for h in sorted(hashes))

    def hashed_dir_usable(self) -> bool:
        """True when the hashed directory can be read (its files counted at most once a second), or
        is not in use; else written again if it can be. False: a context must take every root up
        front (the cache was cleaned, the process dropped the privileges to read it, ...)."""
        capath = self.capath
        if not capath:
            return True
        now = time.monotonic()
        if os.access(capath, os.R_OK | os.X_OK) and now - self._checked_at < 1:
            return True
        if not self._whole(capath):
            from . import _native

            try:
                _native.store_bundle(os.path.dirname(capath), self.collection)
                debug("hashed directory %s was not whole: written again", capath)
            except BaseException as exc:  # a Rust panic is a BaseException too; never raise into a handshake
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                debug("hashed directory %s is not whole and cannot be written again: %r", capath, exc)
            if not self._whole(capath):
                return False
        if now - self._touched_at > 24 * 3600:  # in use: a prune spares it
            try:
                os.utime(capath)
            except OSError:
                pass
            self._touched_at = now
        self._checked_at = now
        return True

    def _whole(self, capath: str) -> bool:
        try:
            return os.access(capath, os.R_OK | os.X_OK) and len(os.listdir(capath)) == self._files
        except OSError:
            return False

    def is_default_file(self, path: object) -> bool:
        return self.default_files.holds(path)

    def is_default_dir(self, path: object) -> bool:
        return self.default_dirs.holds(path)

    def holds_certifi_set(self, ca_ders: List[bytes]) -> bool:
        """True when a context's CA list is exactly certifi's."""
        return bool(ca_ders) and frozenset(ca_ders) == self.certifi_set


_lock = _thread.allocate_lock()
# (state, the bundle while ready, the reason while failed): one tuple, so that a reader without
# the lock never sees half a change.
_now: Tuple[str, Optional[Bundle], str] = (UNSET, None, "")
_extra: Tuple[str, ...] = ()
_handed_out = Files()  # every bundle file this process wrote: never read back, whatever the state
_injected = False  # the one record of inject(): patched code widens only while it is set
_x509_strict: Optional[bool] = None  # inject(x509_strict=...); None: CORPTLS_X509_STRICT decides


def configure(extra: Iterable["str | os.PathLike[str]"]) -> bool:
    """Set the caller's extra CA paths; True when they changed: the bundle is collected again,
    also after a failure (a new explicit request)."""
    global _now, _extra
    extra_paths = tuple(os.fspath(p) for p in extra)
    with _lock:
        if extra_paths == _extra:
            return False
        _extra, _now = extra_paths, (UNSET, None, "")
        return True


def current() -> Optional[Bundle]:
    """The bundle, collected on first call; None once failed. Raises when the native core cannot
    run (the caller asked: it is told, and the next caller asks again)."""
    global _now
    state, bundle, _ = _now
    if state != UNSET:
        return bundle
    # Imported before the lock: importing ssl runs corptls's own import hooks, which may
    # come back here (autoload handing over to inject()).
    import ssl  # noqa: F401

    from . import _native  # noqa: F401

    refused = ""
    with _lock:
        if _now[0] == UNSET:
            try:
                bundle = _collect(_extra)
            except Refused as exc:
                refused = str(exc)
                _now = (FAILED, None, refused)
            else:
                if bundle.path is not None:  # recorded before any client is handed the path
                    _handed_out.add(bundle.path)
                _now = (READY, bundle, "")
        found = _now[1]
    if refused:
        _say_failed(refused)
    return found


def usable() -> Optional[Bundle]:
    """The bundle, or None: callers then act stock. A collection that raises fails the state
    (with one warning), as patched code must never raise into the program."""
    try:
        return current()
    except BaseException as exc:  # a Rust panic is a BaseException too
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        fail(f"cannot read the trust store ({exc!r})")
        return None


def fail(reason: str) -> None:
    """Stop widening for this process, saying why once: every patched call then acts stock."""
    global _now
    with _lock:
        if _now[0] == FAILED:
            return
        _now = (FAILED, None, reason)
    _say_failed(reason)


def _say_failed(reason: str) -> None:
    debug("failed: %s; every patched call acts stock from now on", reason)
    warn(f"corptls: {reason}; Python's default trust is used. {fix()}")


class Refused(Exception):
    """OpenSSL refused the bundle: the collection fails, for good."""


def collected() -> Optional[Bundle]:
    """The bundle if collected already (never collects)."""
    return _now[1]


def state() -> Tuple[str, str]:
    """(``"unset"``, ``"ready"`` or ``"failed"``, the reason when failed)."""
    return _now[0], _now[2]


def is_handed_out(path: object) -> bool:
    """A bundle file of this process: by its exact name, or by the device and inode it was written as."""
    return _handed_out.holds(path)


def set_injected(on: bool) -> None:
    global _injected
    _injected = on


def injected() -> bool:
    return _injected


def set_x509_strict(on: bool) -> None:
    global _x509_strict
    _x509_strict = on


def x509_strict() -> bool:
    """False only on an explicit opt-in: then the contexts corptls widens verify without
    VERIFY_X509_STRICT (for intermediates and leaves no twin can repair)."""
    if _x509_strict is not None:
        return _x509_strict
    return os.environ.get("CORPTLS_X509_STRICT") != "0"


def active() -> Optional[Bundle]:
    """The bundle while injected; None otherwise, so patched code behaves stock."""
    return usable() if _injected else None


def where() -> Optional[str]:
    """The bundle file while injected; else (or when only in memory) certifi's own file."""
    bundle = active()
    return bundle.path if bundle is not None and bundle.path else certifi_file()


def certifi_file() -> Optional[str]:
    """certifi's own bundle, found without calling (possibly patched) certifi.where()."""
    import importlib.util

    spec = importlib.util.find_spec("certifi")
    if spec is None or not spec.origin:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "cacert.pem")
    return path if os.path.isfile(path) else None


def _file_id(path: str) -> Optional[Tuple[int, int]]:
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return stat.st_dev, stat.st_ino


def source_text(label: str, path: Optional[str]) -> str:
    """A problem's source as reports name it: ``label: path``, or the label alone."""
    return f"{label}: {path}" if path else label


def _collect(extra: Tuple[str, ...]) -> Bundle:
    import ssl

    from . import _native

    defaults = ssl.get_default_verify_paths()
    certifi = certifi_file()
    env = os.environ  # the core reads no environment: what it uses is passed here
    collection = _native.collect(
        certifi,
        defaults.openssl_cafile,
        defaults.openssl_capath,
        list(extra),
        env.get("SSL_CERT_FILE"),
        env.get("SSL_CERT_DIR"),
        env.get("CORPTLS_EXTRA_CA_CERTS"),
    )
    debug(
        "collecting: the OS store, certifi's file %s, OpenSSL's default file %s and directory %s, "
        "SSL_CERT_FILE %s, SSL_CERT_DIR %s, CORPTLS_EXTRA_CA_CERTS %s, extra CAs %s",
        certifi,
        defaults.openssl_cafile,
        defaults.openssl_capath,
        env.get("SSL_CERT_FILE"),
        env.get("SSL_CERT_DIR"),
        env.get("CORPTLS_EXTRA_CA_CERTS"),
        list(extra),
    )
    if log_enabled():  # counting costs a pass over every root: only for a listener
        counts: Dict[str, int] = {}
        for root in collection.roots:
            for label in root.sources:
                counts[label] = counts.get(label, 0) + 1
        debug(
            "roots per source: %s; %d distinct", ", ".join(f"{k} {v}" for k, v in counts.items()), len(collection.roots)
        )
    for label, path, message in collection.problems:
        # A file's problem: say what to do with it. A variable's message names its own fix.
        advice = ". Fix: repair or remove it; the other roots are in use" if path else ""
        warn(f"corptls: {source_text(label, path)}: {message}{advice}")
    path, capath = _store(collection)
    # Default trust by path: certifi's file and OpenSSL's compiled-in default file and directory.
    # Not SSL_CERT_FILE / SSL_CERT_DIR: a program loading them chose them, like any other path.
    return Bundle(
        collection,
        path,
        Files([f for f in (certifi, defaults.openssl_cafile) if f]),
        Files([defaults.openssl_capath] if defaults.openssl_capath else []),
        capath,
    )


def _store(collection: Collection) -> Tuple[Optional[str], Optional[str]]:
    """The bundle file and the hashed directory, in the cache; (None, None) when they cannot be
    written. What a process writes, OpenSSL has accepted first: a context that reads the directory
    lazily would never say that it refuses a root, nor would a tool given the file."""
    from . import _native

    env = os.environ
    directory = _native.cache_dir(env.get("CORPTLS_CACHE_DIR"), env.get("XDG_CACHE_HOME"), os.path.expanduser("~"))
    if directory is None:
        reason = "no per-user cache directory (set CORPTLS_CACHE_DIR)"
    else:
        try:
            stored = _native.find_stored(directory, collection)
            if stored is None:
                _check_openssl_accepts(collection.pem)
                stored = _native.store_bundle(directory, collection)
            path, capath = (os.fspath(p) for p in stored)
        except OSError as exc:
            reason = f"{exc} (set CORPTLS_CACHE_DIR to a private writable directory)"
        else:
            debug("bundle file: %s; hashed directory: %s", path, capath)
            unusable = _unusable_capath(capath, bool(env.get("CORPTLS_CACHE_DIR")))
            if not unusable:
                return path, capath
            debug("%s: every root is loaded up front instead", unusable)
            return path, None
    warn(
        f"corptls: cannot write the bundle file: {reason}; using the roots in memory, "
        "so certifi.where() keeps certifi's own file"
    )
    return None, None


def _unusable_capath(capath: str, chosen: bool, platform: str = sys.platform) -> str:
    """Why OpenSSL must not read roots lazily from ``capath`` (in CORPTLS_CACHE_DIR when ``chosen``);
    empty when it may."""
    separator = ";" if platform == "win32" else ":"
    if separator in capath:  # OpenSSL splits a capath there: the pieces would be other directories
        return f"the hashed directory's path holds {separator!r}"
    if platform == "win32" and not capath.isascii():
        return "OpenSSL on Windows looks up a capath's files in the ANSI code page"
    if platform == "win32" and chosen:
        # Read at every handshake by path; only LocalAppData's ACL is known to keep others out.
        return "on Windows only the LocalAppData folder is read lazily, not CORPTLS_CACHE_DIR"
    return ""


def _check_openssl_accepts(pem: str) -> None:
    """Raises Refused unless OpenSSL loads every root (a parse of each: once per new bundle)."""
    import _ssl
    import ssl

    if not pem:  # no root at all: nothing to refuse
        return
    # The C methods: corptls's own SSLContext patches must not see this context.
    context = _ssl._SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        _ssl._SSLContext.load_verify_locations(context, cadata=pem)
    except (ssl.SSLError, ValueError) as exc:
        raise Refused(f"OpenSSL refused the bundle ({exc!r})") from exc
