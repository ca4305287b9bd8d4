"""botocore: ``httpsession.where``, bound to ``certifi.where`` when botocore is imported."""

from __future__ import annotations

from types import ModuleType

from .._undo import Undo
from .certifi import where


def apply(module: ModuleType, undo: Undo) -> None:
    if hasattr(module, "where"):
        undo.setattr(module, "where", where)
