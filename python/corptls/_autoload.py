"""Start-up hook: inject() lazily in every interpreter of an environment, when enabled.

The wheel ships ``corptls-autoload.pth`` (and ``corptls-autoload.start`` for Python 3.15+,
PEP 829). Its one line checks two environment variables and a literal flag, so a disabled
hook costs microseconds and imports nothing. Enabled, it imports this module, which arranges
the patches without importing ``ssl``, certifi or the native module: those apply when the
program imports them. Nothing here may stop Python from starting: every failure becomes one
line on stderr (``CORPTLS_QUIET=1`` silences it) and the program runs as if corptls were absent.
"""

from __future__ import annotations

import os
import sys

PTH_NAME = "corptls-autoload.pth"
START_NAME = "corptls-autoload.start"
_GUARD = (
    "try:\n import corptls._autoload as m\n"
    "except BaseException as e:\n"
    " if isinstance(e, KeyboardInterrupt): raise\n"
    # corptls uninstalled while a sitecustomize block remains: nothing to do, nothing to say.
    " if not (isinstance(e, ImportError) and e.name == 'corptls') and os.environ.get('CORPTLS_QUIET') != '1':\n"
    "  sys.stderr.write('corptls: autoload skipped: %r. Fix: pip install --force-reinstall corptls, "
    "or set CORPTLS_DISABLE=1\\n' % (e,))\n"
    "else:\n m.run()"
)
_ran = False


def hook_line(enabled: bool) -> str:
    """The start-up line, valid both as a ``.pth`` import line and as Python in sitecustomize."""
    condition = f"({enabled!r} or os.environ.get('CORPTLS_AUTOLOAD') == '1') and os.environ.get('CORPTLS_DISABLE') != '1'"
    return f"import os, sys; exec({_GUARD!r}) if {condition} else None\n"


def pth_text(enabled: bool) -> str:
    """The whole ``.pth`` file; the wheel ships ``pth_text(False)``."""
    return ("# corptls autoload: `corptls autoload enable|disable|status` switches it; "
            "CORPTLS_AUTOLOAD=1 turns it on, CORPTLS_DISABLE=1 off.\n" + hook_line(enabled))


START_TEXT = "# corptls autoload (PEP 829); the .pth beside it says whether it is enabled.\ncorptls._autoload:start\n"


def run() -> None:
    """inject(lazy=True) once per process (``.pth`` files may run twice); never raises."""
    global _ran
    if _ran or os.environ.get("CORPTLS_DISABLE") == "1":
        return
    _ran = True
    try:
        from . import _api, _warnings

        _warnings.one_line = True
        _api.inject(lazy=True)
    except BaseException as exc:  # a Rust panic is a BaseException too
        if isinstance(exc, KeyboardInterrupt):
            raise
        if os.environ.get("CORPTLS_QUIET") != "1":
            sys.stderr.write(f"corptls: autoload skipped: {exc!r}. Fix: pip install --force-reinstall corptls, "
                             "or set CORPTLS_DISABLE=1\n")


def start() -> None:
    """PEP 829 entry point (Python 3.15+): the ``.pth`` beside it holds the enabled flag."""
    if os.environ.get("CORPTLS_DISABLE") == "1":
        return
    if os.environ.get("CORPTLS_AUTOLOAD") == "1" or any(_enabled_in(d) for d in sys.path):
        run()


def _enabled_in(directory: str) -> bool:
    try:
        with open(os.path.join(directory, PTH_NAME), encoding="utf-8") as f:
            return f.read() == pth_text(True)
    except OSError:
        return False
