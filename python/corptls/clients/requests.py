"""requests: ``DEFAULT_CA_BUNDLE_PATH``, bound to ``certifi.where()`` when requests is imported,
in ``requests.utils`` and ``requests.adapters`` (which imported it by name).

When requests was imported while injected it already holds the bundle path:
extract() then gives it certifi's own file, as a stock import would have."""

from __future__ import annotations

from types import ModuleType

from .. import _bundle
from .._undo import Undo


def apply(module: ModuleType, undo: Undo) -> None:
    path = _bundle.where()
    if path is None:
        return
    for name in ("utils", "adapters"):
        target = getattr(module, name, None)
        current = getattr(target, "DEFAULT_CA_BUNDLE_PATH", None)
        if current is not None:
            rebuild = _bundle.certifi_file if current == path else None
            undo.setattr(target, "DEFAULT_CA_BUNDLE_PATH", path, rebuild=rebuild)
