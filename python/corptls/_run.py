"""``corptls run [--] CMD [ARGS...]``: run a command with the corporate roots. Standard library only.

CMD gets the variables of ``corptls env`` (the bundle file: OS roots, certifi's, OpenSSL's
defaults) and ``CORPTLS_AUTOLOAD=1`` for Python children that have corptls. It behaves like CMD:
on POSIX corptls *is* CMD (``exec``: same process, so its exit status and signals are CMD's);
on Windows CMD runs as a child that shares the console (so the console's Ctrl+C reaches it) and
its exit code is passed on. corptls says nothing unless something is wrong, then one line on
stderr and exit code 125 (127: CMD not found, 126: not executable), as GNU ``env`` does.

A CA file that the user's environment already names (``REQUESTS_CA_BUNDLE=/their/ca.pem``, ...)
is merged into the bundle, so CMD trusts it as before, and the OS roots too. A bundle corptls wrote
earlier is never a source (it carries the mark), so a stale ``corptls env`` is simply replaced.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from typing import Any, Dict, List, Mapping, NoReturn, Optional

from . import _bundle, _exports, _warnings
from ._warnings import say


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    """``corptls run [--] CMD [ARGS...]``."""
    parser = commands.add_parser(
        "run",
        help="run a command that trusts the OS store: curl, Node.js, git, Python without corptls, ...",
        description="Run CMD with the variables of `corptls env` (the bundle file: OS roots and certifi's) and "
        "CORPTLS_AUTOLOAD=1. Its exit status, signals, stdin and stdout are CMD's own; corptls "
        "prints nothing unless something is wrong. A CA file that the environment names already "
        "(REQUESTS_CA_BUNDLE, ...) is merged into the bundle.",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="[--] CMD [ARGS...]")
    parser.set_defaults(run=lambda a: run(a.command))


#: Exit codes of corptls's own failures, as GNU env and POSIX shells use them.
FAILED, NOT_EXECUTABLE, NOT_FOUND = 125, 126, 127


def run(command: List[str]) -> int:
    """Run ``command`` with the roots; returns only on Windows or on a failure (its exit code)."""
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        say("corptls run: no command given (usage: corptls run [--] CMD [ARGS...])")
        return 2
    _warnings.one_line = True  # a problem with a source is one line, not a warning block
    env = environment(os.environ)
    if env is None:
        return FAILED
    if sys.platform == "win32":
        return spawn(command, env)
    return _exec(command, env)


def environment(current: Mapping[str, str]) -> Optional[Dict[str, str]]:
    """``current`` with every variable pointing at the bundle, the user's own CA files merged into
    it; None (after one line on stderr) when there is no bundle file to point at."""
    own = user_ca_files(current)
    missing = [f"{name}={path}" for name, path in own.items() if not os.path.exists(path)]
    if missing:
        say(
            f"corptls run: {', '.join(missing)}: no such file; unset it, or point it at your CA file "
            "(its roots are then trusted as well)"
        )
        return None
    _bundle.configure(sorted(set(own.values())))
    try:
        bundle = _bundle.current()
    except Exception as exc:  # the native core cannot run: say so once, run nothing
        say(f"corptls run: cannot read the trust store ({exc!r}); nothing was run")
        return None
    if bundle is None or bundle.path is None:
        reason = _bundle.state()[1] if bundle is None else "the bundle exists in memory only (no safe cache directory)"
        say(f"corptls run: {reason}; nothing was run. Fix: set CORPTLS_CACHE_DIR to a directory only you can write")
        return None
    env = dict(current)
    env.update(_exports.variables(bundle.path))
    env["CORPTLS_AUTOLOAD"] = "1"
    return env


def user_ca_files(current: Mapping[str, str]) -> Dict[str, str]:
    """The CA files the environment names already (an empty value is unset: it names nothing)."""
    return {name: current[name] for name, _ in _exports.PATH_VARIABLES if current.get(name)}


def spawn(command: List[str], env: Dict[str, str]) -> int:
    """CMD as a child; its exit code. Ctrl+C goes to every process of the console: CMD gets it and
    decides, corptls waits for CMD's exit code. A handler that does nothing, not SIG_IGN: an ignored
    signal would stay ignored in CMD (POSIX keeps SIG_IGN across exec), a handler does not."""
    found = shutil.which(command[0], path=env.get("PATH"))
    if found is None:
        say(f"corptls run: {command[0]}: command not found")
        return NOT_FOUND
    for name in ("SIGINT", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda signum, frame: None)
    try:
        code = subprocess.call([found, *command[1:]], env=env)
    except OSError as exc:
        say(f"corptls run: {command[0]}: {exc.strerror or exc}")
        return NOT_EXECUTABLE
    # An NTSTATUS (0xC000013A: ended by Ctrl+C) does not fit the C long that sys.exit() takes on
    # Windows: as a negative number it does, and the process exits with the same 32 bits.
    return code - (1 << 32) if code > 0x7FFFFFFF else code


def _exec(command: List[str], env: Dict[str, str]) -> int:
    """Become CMD (nothing of corptls's needs cleaning up: the bundle lives in the cache)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    try:
        _become(command, env)
    except FileNotFoundError:
        say(f"corptls run: {command[0]}: command not found")
        return NOT_FOUND
    except OSError as exc:
        say(f"corptls run: {command[0]}: {exc.strerror or exc}")
        return NOT_EXECUTABLE


#: Signals CPython ignores at start-up (so a write to a closed pipe raises instead of killing it).
_IGNORED_BY_PYTHON = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name))


def _become(command: List[str], env: Dict[str, str]) -> NoReturn:
    """exec CMD with those signals at their default again, as subprocess's ``restore_signals`` does:
    an ignored signal stays ignored across exec, and ``yes | head -1`` would end ``yes`` with "Broken
    pipe" and exit 1 instead of SIGPIPE. When exec fails, corptls goes on as Python set it up."""
    ignored = {signum: signal.signal(signum, signal.SIG_DFL) for signum in _IGNORED_BY_PYTHON}
    try:
        os.execvpe(command[0], command, env)
    finally:
        for signum, handler in ignored.items():
            signal.signal(signum, handler)
