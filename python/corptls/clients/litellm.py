"""litellm: caches of SSL contexts (``http_handler._ssl_context_cache``) and of clients
(``litellm.in_memory_llm_clients_cache``). Emptied on inject() and on extract(), so no
client keeps the trust it was built with. Contexts themselves come from certifi.where().
"""

from __future__ import annotations

import sys
from types import ModuleType

from .._undo import Undo



def _flush() -> None:
    litellm = sys.modules.get("litellm")
    # vars(): litellm creates the client cache lazily; reading it must not create it.
    clients = vars(litellm).get("in_memory_llm_clients_cache") if litellm else None
    if clients is not None and hasattr(clients, "flush_cache"):
        clients.flush_cache()
    handler = sys.modules.get("litellm.llms.custom_httpx.http_handler")
    contexts = getattr(handler, "_ssl_context_cache", None)
    if isinstance(contexts, dict):
        contexts.clear()


def apply(module: ModuleType, undo: Undo) -> None:
    _flush()
    undo.call(_flush)
