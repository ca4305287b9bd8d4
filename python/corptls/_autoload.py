"""Start-up hook: inject() lazily in every interpreter of an environment, when enabled.

The wheel ships ``corptls_autoload.pth`` (and ``corptls_autoload.start`` for Python 3.15+,
PEP 829). Its one line checks two environment variables and a literal flag, so a disabled
hook costs microseconds and imports nothing. Enabled, it adds a finder that waits for the
first import of a library corptls patches (``ssl``, certifi, requests, ...): only then is
corptls imported, and inject() follows once that import is done. So start-up imports
nothing of corptls, and ``ssl``, certifi and the native module are never imported here.
Nothing here may stop Python from starting: every failure becomes one line on stderr
(``CORPTLS_QUIET=1`` silences it) and the program runs as if corptls were absent.

Under ``python -E`` and ``-I`` (which implies ``-E``) the environment must not switch anything on:
``CORPTLS_AUTOLOAD=1`` is ignored there, and only an enabled hook (a file) starts corptls.
``CORPTLS_DISABLE=1`` is obeyed even then: it only takes corptls's effect away, and it is the
escape hatch when an enabled hook gets in the way.
"""

import os
import sys

from ._warnings import AUTOLOAD_FIX, say

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

PTH_NAME = "corptls_autoload.pth"
START_NAME = "corptls_autoload.start"
# The start-up code the hook runs: a finder that waits for the first import of a module corptls
# patches (NAMES: ssl, certifi, requests, ...) and only then imports corptls, so that
# `python -c pass` imports nothing of corptls.
# Site-packages may be processed twice per start: the sys attribute makes the second run a
# no-op. corptls missing altogether says nothing: it is how a leftover sitecustomize block
# looks after uninstall. Every failure stays inside: an import of ssl must never fail here,
# not even for want of a stderr (None under pythonw.exe or with fd 2 closed).
_BOOT = (
    "class CorptlsStart:\n"
    " def find_spec(self, name, path=None, target=None):\n"
    "  if name not in NAMES or sys._corptls_autoload is not self: return None\n"
    "  return self.start(name, path, target)\n"
    " def start(self, name=None, path=None, target=None):\n"
    "  sys._corptls_autoload = True\n"
    "  try:\n"
    "   import corptls._autoload as m\n"
    "   return m.take_over(name, path, target)\n"
    "  except BaseException as e:\n"
    "   if isinstance(e, KeyboardInterrupt): raise\n"
    "   if not (isinstance(e, ImportError) and e.name == 'corptls') and os.environ.get('CORPTLS_QUIET') != '1':\n"
    f"    try: sys.stderr.write('corptls: autoload skipped: %r. {AUTOLOAD_FIX}\\n' % (e,))\n"
    "    except Exception: pass\n"
    "sys._corptls_autoload = CorptlsStart()\n"
    "if any(n in sys.modules for n in NAMES): sys._corptls_autoload.start()\n"
    "else: sys.meta_path.insert(0, sys._corptls_autoload)"
)


def hook_line(enabled: bool) -> str:
    """The start-up line, valid both as a ``.pth`` import line and as Python in sitecustomize."""
    from .clients import PATCHES

    names = tuple(target for _, target in PATCHES)
    boot = _BOOT.replace("NAMES", repr(names))
    # The same rule as start()'s, spelled out: the line must import nothing.
    condition = (
        f"({enabled!r} or not sys.flags.ignore_environment and os.environ.get('CORPTLS_AUTOLOAD') == '1') "
        "and os.environ.get('CORPTLS_DISABLE') != '1' and not hasattr(sys, '_corptls_autoload')"
    )
    return f"import os, sys; exec({boot!r}) if {condition} else None\n"


def pth_text(enabled: bool) -> str:
    """The whole ``.pth`` file; the wheel ships ``pth_text(False)``."""
    return (
        "# corptls autoload: `corptls autoload enable|disable|status` switches it; "
        "CORPTLS_AUTOLOAD=1 turns it on (not under python -E or -I), CORPTLS_DISABLE=1 off.\n" + hook_line(enabled)
    )


START_TEXT = "# corptls autoload (PEP 829); the .pth beside it says whether it is enabled.\ncorptls._autoload:start\n"


def take_over(name: "Optional[str]", path: "Any", target: "Any") -> "Any":
    """Called by the start-up finder at the first import of a patched library: watch them all,
    then find that module through the watcher (so that its import is watched too). A failure
    raises: the start-up finder reports it in one line."""
    if os.environ.get("CORPTLS_DISABLE") == "1":
        return None
    from . import _hooks

    _watch()
    return None if name is None else _hooks.find_spec(name, path, target)


def run() -> None:
    """Watch the client libraries; the first one imported triggers inject(lazy=True). Never raises."""
    if os.environ.get("CORPTLS_DISABLE") == "1":
        return
    _guarded(_watch)


def _watch() -> None:
    from . import _hooks
    from .clients import PATCHES

    for _, target in PATCHES:
        _hooks.when_imported(target, _inject)


def _inject(module: object) -> None:
    def inject() -> None:
        from . import _api

        _api.hand_over()  # takes the watchers over, and patches what is imported already

    _guarded(inject)


def _guarded(action: "Callable[[], None]") -> None:
    try:
        action()
    except BaseException as exc:  # a Rust panic is a BaseException too
        if isinstance(exc, KeyboardInterrupt):
            raise
        if os.environ.get("CORPTLS_QUIET") != "1":
            say(f"corptls: autoload skipped: {exc!r}. {AUTOLOAD_FIX}")


def start() -> None:
    """PEP 829 entry point (Python 3.15+): the ``.pth`` beside it holds the enabled flag."""
    if os.environ.get("CORPTLS_DISABLE") == "1":
        return
    switched_on = not sys.flags.ignore_environment and os.environ.get("CORPTLS_AUTOLOAD") == "1"
    if switched_on or any(_enabled_in(d) for d in sys.path):
        run()


def _enabled_in(directory: str) -> bool:
    try:
        with open(os.path.join(directory, PTH_NAME), encoding="utf-8") as f:
            return f.read() == pth_text(True)
    except OSError:
        return False
