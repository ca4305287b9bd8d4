"""httpx (0.28): ``create_ssl_context``, the builder of every client's context.

Asked for default trust (``verify=True``) with ``trust_env`` and ``$SSL_CERT_FILE`` (else
``$SSL_CERT_DIR``) set, stock builds ``create_default_context(cafile=$SSL_CERT_FILE)``. corptls
never widens a path a program loads itself, that variable's included: it is the user's choice,
often one private root that a program may pin as well. Here, though, the variable only stands
for the default: the builder gets the widened default context instead
(``create_default_context()``, the same settings, holding the bundle and so the variable's roots).
Every other call goes to stock unchanged; without the variable stock uses ``certifi.where()``,
which ``clients/certifi.py`` covers. ``clients/httpcore2.py`` does the same for httpx2.
"""

from __future__ import annotations

import os
import ssl
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

from .. import _bundle
from .._undo import Undo
from . import ssl as ssl_patch


def reads_variable(trust_env: object) -> bool:
    """Would the stock builder take its default from ``$SSL_CERT_FILE`` or ``$SSL_CERT_DIR``?"""
    return bool(trust_env) and bool(os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"))


def widened_default() -> Optional[ssl.SSLContext]:
    """``create_default_context()`` holding the bundle, or None when corptls has none to give."""
    if _bundle.active() is None:
        return None
    context = ssl.create_default_context()
    return context if ssl_patch.is_widened(context) else None


def apply(module: ModuleType, undo: Undo) -> None:
    config = getattr(module, "_config", None)
    stock = getattr(config, "create_ssl_context", None)
    if stock is None or stock.__code__.co_varnames[:3] != ("verify", "cert", "trust_env"):
        return  # another httpx: its own builder, stock

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext:
        if verify is True and reads_variable(trust_env):
            verify = widened_default() or True
        return stock(verify=verify, cert=cert, trust_env=trust_env)

    undo.rebind("httpx", "create_ssl_context", stock, create_ssl_context)
