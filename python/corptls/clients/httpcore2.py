"""httpcore2: ``default_ssl_context``, behind httpx2's ``verify=True`` (so the openai SDK's clients).

With ``$SSL_CERT_FILE`` (else ``$SSL_CERT_DIR``) set and ``_trust_env``, stock returns
``create_default_context(cafile=$SSL_CERT_FILE)``: the variable stands for the default, so the
widened default context replaces it, as for httpx (see ``clients/httpx.py``). Otherwise stock runs
unchanged: on Linux it loads OpenSSL's default file and directory by name, which
``clients/ssl.py`` widens; on Windows and macOS it returns truststore's context, the OS store.
"""

from __future__ import annotations

import ssl
from types import ModuleType

from .._undo import Undo
from .httpx import reads_variable, widened_default


def apply(module: ModuleType, undo: Undo) -> None:
    stock = getattr(getattr(module, "_ssl", None), "default_ssl_context", None)
    if stock is None or stock.__code__.co_kwonlyargcount != 1 or "_trust_env" not in stock.__code__.co_varnames:
        return  # another httpcore2: its own builder, stock

    def default_ssl_context(*, _trust_env: bool = True) -> ssl.SSLContext:
        context = widened_default() if reads_variable(_trust_env) else None
        return context if context is not None else stock(_trust_env=_trust_env)

    undo.rebind("httpcore2", "default_ssl_context", stock, default_ssl_context)
