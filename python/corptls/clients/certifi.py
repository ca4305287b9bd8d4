"""certifi: ``where()`` names the bundle file and ``contents()`` returns the bundle.

Patched in ``certifi`` and ``certifi.core``, where ``where`` is defined; httpx and
litellm call ``certifi.where()`` each time they build a context.
"""

from __future__ import annotations

import sys
from types import ModuleType

from .. import _bundle
from .._undo import Undo


def where() -> str:
    """The corptls bundle while injected (certifi's own file when it lives in memory only)."""
    path = _bundle.where()
    if path is None:  # certifi without its data file: as broken as before
        raise FileNotFoundError("certifi's cacert.pem is missing")
    return path


def contents() -> str:
    bundle = _bundle.active()
    if bundle is not None:
        return bundle.pem
    with open(where(), encoding="ascii") as f:
        return f.read()


def apply(module: ModuleType, undo: Undo) -> None:
    for target in (module, sys.modules.get("certifi.core")):
        if target is not None:
            undo.setattr(target, "where", where)
            undo.setattr(target, "contents", contents)
