"""How corptls reports a problem without failing: a warning, or one line on stderr; and the
advice each report ends with, fitted to who asked (a program calling inject(), autoload, or a
corptls command).

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
# The same for a corptls command (run, env, doctor, ...), which CORPTLS_DISABLE does not stop.
COMMAND_FIX = "Fix: pip install --force-reinstall corptls"
_FIXES = {"inject": INJECT_FIX, "autoload": AUTOLOAD_FIX, "command": COMMAND_FIX}

# Who started corptls in this process, for the advice: "inject" (a program), "autoload" (the
# start-up hook) or "command" (the corptls command line, set before its command runs).
caller = "inject"
# Set by autoload and `corptls run`: a problem is one line on stderr, not a warning block.
one_line = False


class CorptlsWarning(UserWarning):
    """A trust source corptls could not use fully; the rest still works."""


def fix() -> str:
    """The advice that fits the caller."""
    return _FIXES[caller]


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
