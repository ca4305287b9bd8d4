"""litellm: caches of SSL contexts (``http_handler._ssl_context_cache``) and of clients
(``litellm.in_memory_llm_clients_cache``), emptied on inject() and on extract(), so no client
keeps the trust it was built with; and ``http_handler.get_ssl_verify``.

Contexts come from ``certifi.where()``, unless ``get_ssl_verify`` resolves verification to
``$SSL_CERT_FILE``: it does when verification is simply on (litellm's default trust), and then
its answer becomes ``certifi.where()`` (the bundle, so the variable's roots too), as for httpx
(``clients/httpx.py``). A path the caller set itself (``ssl_verify=``, ``SSL_VERIFY``,
``litellm.ssl_verify``) is theirs, even when it names the same file.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

from .. import _bundle
from .._undo import Undo

HANDLER = "litellm.llms.custom_httpx.http_handler"


def _flush() -> None:
    litellm = sys.modules.get("litellm")
    # vars(): litellm creates the client cache lazily; reading it must not create it.
    clients = vars(litellm).get("in_memory_llm_clients_cache") if litellm else None
    if clients is not None and hasattr(clients, "flush_cache"):
        clients.flush_cache()
    handler = sys.modules.get(HANDLER)
    contexts = getattr(handler, "_ssl_context_cache", None)
    if isinstance(contexts, dict):
        contexts.clear()


def _defaulting(stock: Callable[..., Any], litellm: ModuleType) -> Callable[..., Any]:
    def get_ssl_verify(ssl_verify: Any = None) -> Any:
        resolved = stock(ssl_verify)
        own = ssl_verify if ssl_verify is not None else os.getenv("SSL_VERIFY", getattr(litellm, "ssl_verify", None))
        if resolved == os.environ.get("SSL_CERT_FILE") and resolved != own and _bundle.active() is not None:
            return _bundle.where() or resolved  # only the variable named it: the default
        return resolved

    return get_ssl_verify


def apply(module: ModuleType, undo: Undo) -> None:
    _flush()
    undo.call(_flush)
    stock = getattr(sys.modules.get(HANDLER), "get_ssl_verify", None)
    if stock is not None:
        undo.rebind("litellm", "get_ssl_verify", stock, _defaulting(stock, module))
