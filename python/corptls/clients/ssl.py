"""ssl: the default trust of every ``SSLContext``.

Loading "the bundle" means: OpenSSL's default directory, which it searches lazily, plus
up front only the roots that directory lacks (see ``_bundle.Bundle``).

- ``set_default_verify_paths`` (behind ``load_default_certs``, ``create_default_context()``,
  urllib, http.client, aiohttp) loads the bundle *instead of* OpenSSL's default paths: the
  bundle holds them, and loading roots twice costs a second parse.
- ``load_verify_locations`` given a default-trust file (certifi's, OpenSSL's default,
  ``SSL_CERT_FILE``, the bundle file) loads the bundle instead; a default directory gets
  the bundle added.
  Any other file or directory is the owner's pinned choice and is left alone.
- ``wrap_socket`` / ``wrap_bio``: a client context built before ``inject()`` (``__new__`` marks
  those made after) whose CAs are exactly certifi's or OpenSSL's default file's gets the bundle
  at its first handshake.

Verification settings (``verify_mode``, ``check_hostname``, ``verify_flags``) are never touched;
a context with ``CERT_NONE`` is left stock.
"""

from __future__ import annotations

import ssl
import weakref
from types import ModuleType

TYPE_CHECKING = False  # not `typing`: its import costs ~15 ms, start-up must not pay it
if TYPE_CHECKING:
    from typing import Any

from .. import _bundle
from .._undo import Undo


_widened: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()


def is_widened(context: Any) -> bool:
    """True for a context that holds the bundle."""
    return context in _widened


def apply(module: ModuleType, undo: Undo) -> None:
    cls = module.SSLContext
    stock_new = vars(cls)["__new__"]
    stock_default_paths = cls.set_default_verify_paths
    stock_load_locations = cls.load_verify_locations
    stock_wrap_socket = cls.wrap_socket
    stock_wrap_bio = cls.wrap_bio
    born: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()  # made while patched: never upgraded
    checked: "weakref.WeakSet[ssl.SSLContext]" = weakref.WeakSet()

    def load_bundle(context: ssl.SSLContext, bundle: _bundle.Bundle) -> bool:
        """False (after one warning) when OpenSSL refuses the roots: the caller then acts stock."""
        try:
            if bundle.eager_pem:
                stock_load_locations(context, cadata=bundle.eager_pem)
            if bundle.capath:
                stock_load_locations(context, capath=bundle.capath)
        except (ssl.SSLError, OSError, ValueError) as exc:
            _bundle.fail(f"OpenSSL refused the bundle ({exc!r})")
            return False
        _widened.add(context)
        return True

    def new(klass: type, *args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = stock_new.__func__(klass, *args, **kwargs)
        born.add(context)
        return context

    def set_default_verify_paths(self: ssl.SSLContext) -> None:
        bundle = _bundle.active()
        if bundle is None or self.verify_mode == ssl.CERT_NONE or not load_bundle(self, bundle):
            stock_default_paths(self)

    def load_verify_locations(self: ssl.SSLContext, cafile: Any = None, capath: Any = None,
                              cadata: Any = None) -> None:
        bundle = _bundle.active()
        if bundle is not None and self.verify_mode != ssl.CERT_NONE:
            if cafile is not None and bundle.is_default_file(cafile):
                if load_bundle(self, bundle):
                    cafile = None
            elif capath is not None and bundle.is_default_dir(capath):
                load_bundle(self, bundle)
            if cafile is None and capath is None and cadata is None:
                return None
        return stock_load_locations(self, cafile, capath, cadata)

    def upgrade(context: ssl.SSLContext) -> None:
        """A context made before inject(), holding exactly one default-trust file, gets the bundle."""
        if context in born or context in checked:
            return
        checked.add(context)
        if context.verify_mode == ssl.CERT_NONE or context in _widened:
            return
        bundle = _bundle.active()
        if bundle is not None and bundle.holds_default_trust(context.get_ca_certs(binary_form=True)):
            load_bundle(context, bundle)

    def wrap_socket(self: ssl.SSLContext, sock: Any, server_side: bool = False, *args: Any, **kwargs: Any) -> Any:
        if not server_side:
            upgrade(self)
        return stock_wrap_socket(self, sock, server_side, *args, **kwargs)

    def wrap_bio(self: ssl.SSLContext, incoming: Any, outgoing: Any, server_side: bool = False,
                 *args: Any, **kwargs: Any) -> Any:
        if not server_side:
            upgrade(self)
        return stock_wrap_bio(self, incoming, outgoing, server_side, *args, **kwargs)

    undo.setattr(cls, "__new__", staticmethod(new))
    undo.setattr(cls, "set_default_verify_paths", set_default_verify_paths)
    undo.setattr(cls, "load_verify_locations", load_verify_locations)
    undo.setattr(cls, "wrap_socket", wrap_socket)
    undo.setattr(cls, "wrap_bio", wrap_bio)
