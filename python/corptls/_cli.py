"""The ``corptls`` command (also ``python -m corptls``): the sub-commands, each registered by the
module that runs it. Standard library only."""

from __future__ import annotations

import argparse
from typing import List, NoReturn, Optional

from . import _commands, _doctor, _run, _switch, _warnings


class _Parser(argparse.ArgumentParser):
    """A usage error is one line on stderr (and exit code 2), never the usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Optional[List[str]] = None) -> int:
    # Reports speak to the command's user from here on (an enabled autoload took over before: at the
    # imports above, which import ssl).
    _warnings.caller = "command"
    parser = _Parser(prog="corptls", description="Trust the OS certificate store in Python.")
    parser.set_defaults(run=lambda a: _doctor.run(None, False, 10.0))  # no command: the diagnosis
    commands = parser.add_subparsers(title="commands")
    _switch.add_parser(commands)
    _commands.add_parsers(commands)
    _doctor.add_parser(commands)
    _run.add_parser(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))
