"""inject() / extract(): install and remove every client patch, under one lock."""

from __future__ import annotations

import _thread
import importlib
import os

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Dict, Iterable, List, Optional, Sequence, Tuple

    from ._native import Root

from . import _bundle, _hooks
from ._log import debug
from ._undo import Undo
from ._warnings import fix, warn
from .clients import PATCHES

_lock = _thread.RLock()
_undos: Dict[str, Undo] = {}
_env_undo: Optional[Undo] = None  # the variables export_env set, while injected
_autoloaded = False  # set once by the start-up hook (hand_over)


def inject(
    *,
    extra_cas: "Optional[Iterable[str | os.PathLike[str]]]" = None,
    lazy: bool = False,
    export_env: bool = False,
    x509_strict: Optional[bool] = None,
) -> None:
    """Make Python's HTTPS clients trust the OS store (plus certifi's roots and ``extra_cas``).

    ``extra_cas=None`` keeps those of an earlier call; new ones re-apply every patch.
    Idempotent and thread-safe; does nothing when ``CORPTLS_DISABLE=1``. Applies at once to libraries already imported and to the
    others when they are imported. Verification is never weakened. Unless ``lazy``, the
    store is read now, so a broken installation raises here rather than at first use. After a
    failure (reported once) it widens nothing, until new ``extra_cas`` ask for a new bundle.
    With ``export_env``, ``os.environ`` also points child processes (curl, git, Node.js, uv,
    ...) at the bundle file: SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, ... (the
    list is ``corptls env``'s; the store is read at once, even when ``lazy``); extract()
    restores each previous value, or its absence.
    Python 3.13+'s VERIFY_X509_STRICT stays on: a root that breaks it is loaded as its conforming
    twin. Only ``x509_strict=False`` (or ``CORPTLS_X509_STRICT=0``; ``None`` keeps the earlier
    choice) clears that flag, on the contexts corptls widens only, for an intermediate or leaf
    that breaks it; chain, host name and expiry stay verified, and a warning says so.
    """
    if os.environ.get("CORPTLS_DISABLE") == "1":  # the escape hatch wins over every caller
        debug("inject(): CORPTLS_DISABLE=1, nothing patched")
        return
    with _lock:
        if x509_strict is not None:
            _bundle.set_x509_strict(x509_strict)
        _warn_if_relaxed()
        if extra_cas is not None and _bundle.configure(extra_cas) and _bundle.injected():
            extract()  # the patches hold the old bundle's path: apply them afresh
        if not lazy or export_env:
            _bundle.current()
        if export_env:
            _export_env()
        if _bundle.injected():
            return
        _bundle.set_injected(True)
        debug(
            "inject(): each of %s is patched when imported (now, if it is already)",
            ", ".join(target for _, target in PATCHES),
        )
        for name, target in PATCHES:
            _watch(name, target)


def hand_over() -> None:
    """inject(lazy=True) for the start-up hook: reports become one line with autoload's advice,
    status() says autoloaded."""
    global _autoloaded
    from . import _warnings

    _warnings.caller = "autoload"
    _warnings.one_line = True
    _autoloaded = True
    inject(lazy=True)


def autoloaded() -> bool:
    """Whether the start-up hook started corptls in this interpreter."""
    return _autoloaded


def extract() -> None:
    """Undo inject(): every patched object gets its original back."""
    with _lock:
        if not _bundle.injected():
            return
        _bundle.set_injected(False)
        debug("extract(): %s get their originals back", ", ".join(active_patches()) or "no patched modules")
        if _env_undo is not None:
            _env_undo.revert()
        for name, target in reversed(PATCHES):
            _hooks.forget(target)
            undo = _undos.pop(name, None)
            if undo is not None:
                undo.revert()


def is_injected() -> bool:
    return _bundle.injected()


def active_patches() -> Tuple[str, ...]:
    """The modules whose patch is in place, in patch order."""
    return tuple(target for name, target in PATCHES if name in _undos)


def roots() -> List[Root]:
    """Every root of the bundle, each with ``subject``, ``sha256``, ``not_after`` and ``sources``;
    none after a failure (corptls then trusts nothing beyond Python's defaults)."""
    bundle = _bundle.current()
    return list(bundle.collection.roots) if bundle is not None else []


def bundle_path() -> Optional[str]:
    """The bundle file (PEM), or None when no safe place could be written or after a failure."""
    bundle = _bundle.current()
    return bundle.path if bundle is not None else None


def verify_chain(chain_der: Sequence[bytes], hostname: str) -> None:
    """Check ``chain_der`` (DER, leaf first) for ``hostname`` as the OS itself would (Windows'
    CryptoAPI, macOS' Security framework, webpki over the OS store elsewhere).

    Raises ``corptls.VerificationError`` with the OS's reason when the OS does not trust it.
    """
    from . import _native

    _native.verify_chain(list(chain_der), hostname)


_relaxed_said = False


def _warn_if_relaxed() -> None:
    """One line per process while the strict opt-in is in force."""
    global _relaxed_said
    if not _bundle.x509_strict() and not _relaxed_said:
        _relaxed_said = True
        warn(
            "corptls: CORPTLS_X509_STRICT=0 / x509_strict=False: VERIFY_X509_STRICT is off on the contexts "
            "corptls widens (chain, host name and expiry are still verified)"
        )


def _export_env() -> None:
    """Point child processes at the bundle file (or warn that there is none)."""
    global _env_undo
    from . import _exports

    bundle = _bundle.current()
    if bundle is None:
        warn(f"corptls: export_env: no variable was set: {_bundle.state()[1]}")
        return
    path = bundle.path
    if path is None:
        warn(
            "corptls: export_env: the bundle exists in memory only, so no variable was set "
            "(set CORPTLS_CACHE_DIR to a directory only you can write)"
        )
        return
    if _env_undo is None:
        _env_undo = Undo()
    _exports.export(path, _env_undo)


def _watch(name: str, target: str) -> None:
    def apply(module: object) -> None:
        with _lock:
            if not _bundle.injected() or name in _undos:
                return
            undo = Undo()
            _undos[name] = undo
            try:
                importlib.import_module(f"corptls.clients.{name}").apply(module, undo)
            except Exception as exc:  # never into the importing program: that client stays stock
                undo.revert()
                del _undos[name]  # not active: status() must not list it
                debug("left %s stock: its patch raised %r", target, exc)
                warn(f"corptls: cannot patch {target} ({exc!r}); it keeps its own trust. {fix()}")
                return
            debug("patched %s (corptls.clients.%s)", target, name)

    _hooks.when_imported(target, apply)
