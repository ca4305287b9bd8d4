"""ssl: the default trust of every ``SSLContext``.

Loading "the bundle" means: corptls's own hashed directory, which OpenSSL searches lazily (every
root up front only when the roots live in memory; see ``_bundle.Bundle``), and up front the roots
that a certificate the context holds up front would hide. Before a widened context's handshake
the directory is checked (written again if it is not whole; failing that, the context takes
every root up front from memory).

- ``set_default_verify_paths`` (behind ``load_default_certs``, ``create_default_context()``,
  urllib, http.client, aiohttp) loads the bundle *instead of* OpenSSL's default paths: the
  bundle holds them, and loading roots twice costs a second parse.
- ``load_verify_locations`` given a default-trust file (certifi's, OpenSSL's compiled-in default)
  loads the bundle instead; OpenSSL's default directory gets the bundle added. A file is known by
  its exact name or its device and inode, never by ``realpath``. Any other file or directory is
  the owner's pinned choice and is left alone, ``$SSL_CERT_FILE`` and ``$SSL_CERT_DIR`` included
  (the user's choice; the clients that read them only to build their default context are
  handled in ``clients/httpx.py``, ``clients/httpcore2.py`` and ``clients/litellm.py``).
- A bundle file corptls wrote is never read back (someone may have swapped it): loading it loads
  the bundle from memory, or, when corptls has failed, certifi's file, what the path stood for.
- ``wrap_socket`` / ``wrap_bio``: at its first handshake a client context gets the bundle when it
  holds default trust. After the fact a CA list cannot tell OpenSSL's default file from a pinned
  copy of it, so this is decided by what corptls saw: a context whose default paths were loaded
  while this patch was in place (stock then: it did not verify yet, or corptls had failed), or,
  for a context made before the patch (``__new__`` marks those made after), certifi's exact set.
- Windows only, ``load_default_certs``: stock loads the system stores ``CA`` and ``ROOT`` itself
  (``ssl.enum_certificates``) before ``set_default_verify_paths``; the bundle already holds the
  ROOT store's roots (less ``Disallowed``), so ROOT is not read again, and from ``CA`` only what
  neither the bundle nor ``Disallowed`` holds is loaded (see ``windows_stores``).

Verification settings (``verify_mode``, ``check_hostname``, ``verify_flags``) are never touched,
but for the explicit opt-in ``inject(x509_strict=False)`` / ``CORPTLS_X509_STRICT=0``: a context
that gets the bundle then loses ``VERIFY_X509_STRICT`` (Python 3.13+), and no other flag.
A context with ``CERT_NONE`` is left stock (but for a bundle file it loads: never read from disk).
"""

from __future__ import annotations

import ssl
import sys
import warnings
import weakref
from types import ModuleType

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Any, FrozenSet, Tuple

from .. import _bundle
from .._log import debug
from .._undo import Undo

_widened: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()
# Contexts that loaded the default paths stock while patched: they asked for default trust.
_defaulted: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()
# Widened contexts that took every root up front, the hashed directory being unusable.
_eager: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()


def is_widened(context: Any) -> bool:
    """True for a context that holds the bundle."""
    return context in _widened


def windows_stores(cls: type) -> Tuple[str, ...]:
    """The system stores stock ``load_default_certs`` enumerates itself: ``("CA", "ROOT")`` on
    Windows, none elsewhere. The one platform decision here (tests stand in for Windows with it)."""
    return tuple(getattr(cls, "_windows_cert_stores", ())) if sys.platform == "win32" else ()


def apply(module: ModuleType, undo: Undo) -> None:
    cls = module.SSLContext
    # gevent.monkey.patch_all() / eventlet.monkey_patch() put a subclass here, without a __new__ of its own.
    stock_new = next(vars(c)["__new__"] for c in cls.__mro__ if "__new__" in vars(c))
    stock_default_paths = cls.set_default_verify_paths
    stock_load_locations = cls.load_verify_locations
    stock_wrap_socket = cls.wrap_socket
    stock_wrap_bio = cls.wrap_bio
    born: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()  # made while patched: no set comparison
    checked: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()

    def load_bundle(context: ssl.SSLContext, bundle: _bundle.Bundle) -> bool:
        """False (after one warning) when OpenSSL refuses the roots: the caller then acts stock."""
        try:
            if bundle.capath:
                stock_load_locations(context, capath=bundle.capath)
                unhide(context, bundle)
            elif bundle.pem:  # the roots in memory only: every one up front (stock refuses an empty cadata)
                stock_load_locations(context, cadata=bundle.pem)
        except (ssl.SSLError, OSError, ValueError) as exc:
            _bundle.fail(f"OpenSSL refused the bundle ({exc!r})")
            return False
        if not _bundle.x509_strict():
            context.verify_flags &= ~ssl.VERIFY_X509_STRICT
        _widened.add(context)
        return True

    def unhide(context: ssl.SSLContext, bundle: _bundle.Bundle) -> None:
        """Up front too, the roots that a certificate held up front would hide (Bundle.named_like)."""
        pem = bundle.named_like(context.get_ca_certs(binary_form=True))
        if pem:
            debug("loaded up front the roots named like certificates the context holds up front")
            stock_load_locations(context, cadata=pem)

    def new(klass: type, *args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = stock_new.__func__(klass, *args, **kwargs)
        born.add(context)
        return context

    def set_default_verify_paths(self: ssl.SSLContext) -> None:
        bundle = _bundle.active()
        if bundle is not None and self.verify_mode == ssl.CERT_NONE:
            debug("left a context stock: verify_mode is CERT_NONE")
        if bundle is None or self.verify_mode == ssl.CERT_NONE or not load_bundle(self, bundle):
            stock_default_paths(self)
            _defaulted.add(self)

    def load_verify_locations(self: ssl.SSLContext, cafile: Any = None, capath: Any = None, cadata: Any = None) -> None:
        asked = cafile is not None or capath is not None or cadata is not None
        bundle = _bundle.active()
        if cafile is not None and _bundle.is_handed_out(cafile):
            # Whatever the context's verify mode: the file itself is never read.
            cafile = None if bundle is not None and load_bundle(self, bundle) else _bundle.certifi_file()
        elif bundle is not None and self.verify_mode != ssl.CERT_NONE:
            if cafile is not None and bundle.is_default_file(cafile):
                if load_bundle(self, bundle):
                    cafile = None
            elif capath is not None and bundle.is_default_dir(capath):
                load_bundle(self, bundle)
            elif asked:
                debug(
                    "left a context's own CAs alone (cafile=%r, capath=%r%s): the program pinned them",
                    cafile,
                    capath,
                    ", cadata" if cadata is not None else "",
                )
        if asked and cafile is None and capath is None and cadata is None:
            return None  # all of it came from memory (stock would refuse a call without arguments)
        stock_load_locations(self, cafile, capath, cadata)
        if self in _widened and (cafile is not None or cadata is not None) and bundle is not None:
            unhide(self, bundle)  # e.g. Windows' CA store, loaded after the bundle
        return None

    def upgrade(context: ssl.SSLContext) -> None:
        """A context holding default trust by what corptls saw (see the module doc) gets the bundle."""
        if context in checked:
            return
        checked.add(context)
        if context.verify_mode == ssl.CERT_NONE or context in _widened:
            return
        bundle = _bundle.active()
        if bundle is None:
            return
        if (
            context in _defaulted
            or context not in born
            and bundle.holds_certifi_set(context.get_ca_certs(binary_form=True))
        ):
            load_bundle(context, bundle)
        else:
            debug("left a context stock at its first handshake: it holds CAs of its own choice, not default trust")

    def before_handshake(context: ssl.SSLContext) -> None:
        upgrade(context)
        bundle = _bundle.collected()
        if context in _widened and context not in _eager and bundle is not None and not bundle.hashed_dir_usable():
            # The directory cannot be read whole (a cleaned cache, privileges dropped): the roots
            # come from memory, all of them, into this context.
            debug("hashed directory %s unusable: every root loaded up front into a context", bundle.capath)
            stock_load_locations(context, cadata=bundle.pem)
            _eager.add(context)

    def wrap_socket(self: ssl.SSLContext, sock: Any, server_side: bool = False, *args: Any, **kwargs: Any) -> Any:
        if not server_side:
            before_handshake(self)
        return stock_wrap_socket(self, sock, server_side, *args, **kwargs)

    def wrap_bio(
        self: ssl.SSLContext, incoming: Any, outgoing: Any, server_side: bool = False, *args: Any, **kwargs: Any
    ) -> Any:
        if not server_side:
            before_handshake(self)
        return stock_wrap_bio(self, incoming, outgoing, server_side, *args, **kwargs)

    def load_store(context: ssl.SSLContext, storename: str, purpose: Any, held: FrozenSet[bytes]) -> None:
        """Stock ``SSLContext._load_windows_store_certs``, less the certificates in ``held``."""
        certs = bytearray()
        try:
            for cert, encoding, trust in module.enum_certificates(storename):
                # CA certs are never PKCS#7 encoded; stock's test of the purpose, unchanged.
                if encoding == "x509_asn" and (trust is True or purpose.oid in trust) and cert not in held:
                    certs.extend(cert)
        except PermissionError:
            warnings.warn("unable to enumerate Windows certificate store", stacklevel=2)  # stock's own warning
        if certs:
            context.load_verify_locations(cadata=certs)  # as stock does: through the context itself

    stores = windows_stores(cls)
    if stores:
        stock_load_default_certs = cls.load_default_certs

        def load_default_certs(self: ssl.SSLContext, purpose: Any = module.Purpose.SERVER_AUTH) -> None:
            # The bundle first (our set_default_verify_paths). It holds the ROOT store's roots (the
            # Rust core reads ROOT, AuthRoot, ... less Disallowed and less what may not
            # authenticate servers), so ROOT is not read again: no root is parsed twice, and a
            # root that Windows distrusts stays distrusted, which stock, blind to Disallowed, misses.
            # The CA store, the intermediates that complete chains servers send incomplete, is
            # loaded as stock does, less what the bundle holds and what Disallowed holds.
            # When OpenSSL refused the bundle (the context is not widened), exactly stock.
            # The bundle holds roots for server authentication: any other purpose is stock's.
            bundle = _bundle.active()
            if bundle is None or self.verify_mode == ssl.CERT_NONE or purpose != module.Purpose.SERVER_AUTH:
                return stock_load_default_certs(self, purpose)
            self.set_default_verify_paths()
            if self not in _widened:
                for storename in stores:
                    load_store(self, storename, purpose, frozenset())
                return None
            try:
                disallowed = frozenset(cert for cert, _, _ in module.enum_certificates("Disallowed"))
            except PermissionError:
                disallowed = frozenset()  # stock, too, only warns about a store it cannot read
            for storename in stores:
                if storename != "ROOT":
                    load_store(self, storename, purpose, bundle.ders | disallowed)
            return None

        undo.setattr(cls, "load_default_certs", load_default_certs)

    undo.setattr(cls, "__new__", staticmethod(new))
    undo.setattr(cls, "set_default_verify_paths", set_default_verify_paths)
    undo.setattr(cls, "load_verify_locations", load_verify_locations)
    undo.setattr(cls, "wrap_socket", wrap_socket)
    undo.setattr(cls, "wrap_bio", wrap_bio)
