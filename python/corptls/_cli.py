"""The ``corptls`` command (also ``python -m corptls``). Standard library only."""

from __future__ import annotations

import argparse
from typing import List, NoReturn, Optional

import corptls

from . import _commands, _doctor, _run, _switch

#: The longest --timeout: beyond it a number is a typo, and socket and time APIs overflow.
MAX_TIMEOUT = 3600.0


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr (and exit code 2), never the usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _seconds(text: str) -> float:
    """``--timeout``: seconds, more than 0 and at most MAX_TIMEOUT (NaN, inf and garbage refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= MAX_TIMEOUT:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text!r} seconds: give more than 0 and at most {MAX_TIMEOUT:g}")
    return value


def _autoload(args: argparse.Namespace) -> int:
    if args.action == "status":
        for line in _switch.status(args.user):
            print(line)
        print(f"this process: corptls {'injected' if corptls.is_injected() else 'not injected'}")
        return 0
    switch = _switch.enable if args.action == "enable" else _switch.disable
    print(switch(args.user, args.sitecustomize))
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = _Parser(prog="corptls", description="Trust the OS certificate store in Python.")
    parser.set_defaults(run=lambda a: _doctor.run(None, False, 10.0))  # no command: the diagnosis
    commands = parser.add_subparsers(title="commands")
    autoload = commands.add_parser("autoload", help="switch corptls on at every interpreter start")
    autoload.add_argument("action", choices=["enable", "disable", "status"])
    autoload.add_argument("--user", action="store_true", help="the user site instead of this environment")
    autoload.add_argument(
        "--sitecustomize", action="store_true", help="use a marked block in sitecustomize.py instead of the .pth hook"
    )
    autoload.set_defaults(run=_autoload)
    _commands.add_parsers(commands)
    doctor = commands.add_parser("doctor", help="diagnose TLS here, or the connection to one URL")
    doctor.add_argument("url", nargs="?", help="https://host[:port]: capture and judge the chain presented")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        help=f"seconds for the whole check, at most {MAX_TIMEOUT:g} (default 10)",
    )
    doctor.set_defaults(run=lambda a: _doctor.run(a.url, a.json, a.timeout))
    run = commands.add_parser(
        "run",
        help="run a command that trusts the OS store: curl, Node.js, git, Python without corptls, ...",
        description="Run CMD with the variables of `corptls env` (the bundle file: OS roots and certifi's) and "
        "CORPTLS_AUTOLOAD=1. Its exit status, signals, stdin and stdout are CMD's own; corptls "
        "prints nothing unless something is wrong. A CA file that the environment names already "
        "(REQUESTS_CA_BUNDLE, ...) is merged into the bundle.",
    )
    run.add_argument("command", nargs=argparse.REMAINDER, metavar="[--] CMD [ARGS...]")
    run.set_defaults(run=lambda a: _run.run(a.command))
    args = parser.parse_args(argv)
    return int(args.run(args))
