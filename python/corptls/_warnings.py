"""The warning category for every problem corptls reports without failing."""

from __future__ import annotations

import warnings


class CorptlsWarning(UserWarning):
    """A trust source corptls could not use fully; the rest still works."""


def warn(message: str) -> None:
    warnings.warn(message, CorptlsWarning, stacklevel=3)
