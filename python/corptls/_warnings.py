"""How corptls reports a problem without failing: a warning, or one line on stderr; and the
advice each report ends with, fitted to who asked (a program calling inject(), or autoload).

Imported by the start-up hook (``_autoload``) once a client library is imported: it imports no
other module of corptls, and ``warnings`` only when a warning is due.
"""

from __future__ import annotations

import os
import sys

# What repairs an installation, for someone who switched autoload on (the start-up line carries it).
AUTOLOAD_FIX = "Fix: pip install --force-reinstall corptls, then corptls autoload enable; or set CORPTLS_DISABLE=1"
# The same for a program that calls inject() itself: autoload is not theirs to switch.
INJECT_FIX = "Fix: pip install --force-reinstall corptls; or set CORPTLS_DISABLE=1"

# Set by autoload: at interpreter start-up a problem is one line on stderr, not a warning block.
one_line = False


class CorptlsWarning(UserWarning):
    """A trust source corptls could not use fully; the rest still works."""


def fix() -> str:
    """The advice that fits the caller: autoload's, or a program's that called inject()."""
    return AUTOLOAD_FIX if one_line else INJECT_FIX


def warn(message: str) -> None:
    """Report ``message``; ``CORPTLS_QUIET=1`` silences every report. Never raises: a program
    that turns warnings into errors (``-W error``) gets the line on stderr instead, and without a
    stderr (``pythonw.exe``, fd 2 closed) the report is dropped (as ``warnings`` itself does)."""
    if os.environ.get("CORPTLS_QUIET") == "1":
        return
    if not one_line:
        try:
            import warnings

            warnings.warn(message, CorptlsWarning, stacklevel=3)
            return
        except Exception:
            pass
    say(message)


def say(line: str) -> None:
    """``line`` on stderr; nothing at all when there is no stderr (``pythonw.exe``, fd 2 closed at
    start-up: ``sys.stderr`` is None) or writing to it fails. A report must never raise."""
    try:
        sys.stderr.write(line + "\n")
    except Exception:
        pass
