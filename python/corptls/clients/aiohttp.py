"""aiohttp: ``connector._SSL_CONTEXT_VERIFIED``, made by ``create_default_context()`` when
aiohttp is imported and shared by every connector that verifies.

Replaced by a context that holds the bundle; extract() puts the original back, or, when
aiohttp was imported while injected (its context already held the bundle), a stock one.
"""

from __future__ import annotations

from types import ModuleType

from .._undo import Undo
from . import ssl as ssl_patch


def apply(connector: ModuleType, undo: Undo) -> None:
    make = getattr(connector, "_make_ssl_context", None)
    current = getattr(connector, "_SSL_CONTEXT_VERIFIED", None)
    if make is None or current is None:
        return
    if ssl_patch.is_widened(current):
        undo.setattr(connector, "_SSL_CONTEXT_VERIFIED", current, rebuild=lambda: make(True))
    else:
        undo.setattr(connector, "_SSL_CONTEXT_VERIFIED", make(True))
