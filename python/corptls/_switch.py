"""Switching the start-up hook on and off for one environment (a venv, or the user site)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ._autoload import PTH_NAME, START_NAME, START_TEXT, hook_line, pth_text
from ._files import write_atomically
from ._hookfiles import BEGIN, END, read, site_dir, status, without_block


def enable(user: bool, sitecustomize: bool) -> str:
    directory = site_dir(user)
    os.makedirs(directory, exist_ok=True)
    if sitecustomize:
        path = os.path.join(directory, "sitecustomize.py")
        _write(path, without_block(read(path)) + BEGIN + hook_line(True) + END)
        return f"autoload enabled: block added to {path}"
    _write(os.path.join(directory, PTH_NAME), pth_text(True))
    _write(os.path.join(directory, START_NAME), START_TEXT)
    return f"autoload enabled: {os.path.join(directory, PTH_NAME)}"


def disable(user: bool, sitecustomize: bool) -> str:
    directory = site_dir(user)
    if sitecustomize:
        path = os.path.join(directory, "sitecustomize.py")
        rest = without_block(read(path))
        if rest.strip():
            _write(path, rest)
        elif os.path.exists(path):
            os.remove(path)  # nothing but our block was in it
        return f"autoload disabled: block removed from {path}"
    path = os.path.join(directory, PTH_NAME)
    if os.path.exists(path):
        _write(path, pth_text(False))
    return f"autoload disabled: {path}"


def _write(path: str, text: str) -> None:
    """Atomically, so that a Python starting meanwhile never reads half a hook; LF line endings
    on every platform (as the wheel ships the hook), the permission bits of the file replaced."""
    write_atomically(path, text.encode("utf-8", "surrogateescape"), mode=None)


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    """``corptls autoload enable|disable|status``."""
    autoload = commands.add_parser("autoload", help="switch corptls on at every interpreter start")
    autoload.add_argument("action", choices=["enable", "disable", "status"])
    autoload.add_argument("--user", action="store_true", help="the user site instead of this environment")
    autoload.add_argument(
        "--sitecustomize", action="store_true", help="use a marked block in sitecustomize.py instead of the .pth hook"
    )
    autoload.set_defaults(run=_command)


def _command(args: argparse.Namespace) -> int:
    if args.action == "status":
        from . import _api

        for line in status(args.user):
            print(line)
        print(f"this process: corptls {'injected' if _api.is_injected() else 'not injected'}")
        return 0
    switch = enable if args.action == "enable" else disable
    print(switch(args.user, args.sitecustomize))
    return 0
