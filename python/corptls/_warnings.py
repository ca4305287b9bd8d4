"""How corptls reports a problem without failing: a warning, or one line at start-up."""

from __future__ import annotations

import os
import warnings

from ._autoload import say

# Set by autoload: at interpreter start-up a problem is one line on stderr, not a warning block.
one_line = False


class CorptlsWarning(UserWarning):
    """A trust source corptls could not use fully; the rest still works."""


def warn(message: str) -> None:
    """Report ``message``; ``CORPTLS_QUIET=1`` silences every report. Never raises: a program
    that turns warnings into errors (``-W error``) gets the line on stderr instead, and without a
    stderr (``pythonw.exe``, fd 2 closed) the report is dropped (as ``warnings`` itself does)."""
    if os.environ.get("CORPTLS_QUIET") == "1":
        return
    if not one_line:
        try:
            warnings.warn(message, CorptlsWarning, stacklevel=3)
            return
        except Exception:
            pass
    say(message)
