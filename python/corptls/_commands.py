"""The ``corptls bundle`` and ``corptls env`` commands: the bundle for other tools. Standard library only."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import warnings
from typing import Any, Dict, FrozenSet, List, Tuple

import corptls

from . import _containers, _exports, _native
from ._files import write_atomically
from ._warnings import say

#: Source names of ``bundle --sources``, and the root labels (``Root.sources``) each selects.
SOURCES: Dict[str, FrozenSet[str]] = {
    "os": frozenset({"os"}),
    "certifi": frozenset({"certifi"}),
    "openssl": frozenset({"openssl-file", "openssl-dir"}),
    "extra": frozenset({"SSL_CERT_FILE", "SSL_CERT_DIR", "CORPTLS_EXTRA_CA_CERTS", "extra"}),
}


def add_parsers(commands: "argparse._SubParsersAction[Any]") -> None:
    """Add ``bundle`` and ``env`` to the ``corptls`` command."""
    bundle = commands.add_parser(
        "bundle",
        help="write the trusted roots as one PEM file, for tools that want a CA file",
        description="Write the roots of the chosen sources as PEM (LF line endings) to FILE, "
        "atomically and with mode 0644, or to stdout.",
    )
    bundle.add_argument("-o", "--output", metavar="FILE", help="the file to write (default: stdout)")
    bundle.add_argument(
        "--sources",
        default=",".join(SOURCES),
        metavar="LIST",
        help=f"comma-separated, from {', '.join(SOURCES)} (default: all); openssl = "
        "OpenSSL's default file and directory, extra = SSL_CERT_FILE, SSL_CERT_DIR, "
        "CORPTLS_EXTRA_CA_CERTS",
    )
    bundle.set_defaults(run=run_bundle)
    env = commands.add_parser(
        "env",
        help="shell lines pointing curl, git, Node.js, uv, ... at the bundle file; or for containers",
        description="Print the assignments that point other tools at the bundle file, e.g. "
        'eval "$(corptls env)" in bash or zsh, corptls env | source in fish, '
        "corptls env --shell powershell | Out-String | Invoke-Expression in PowerShell, "
        "corptls env --shell cmd > corptls-env.cmd && call corptls-env.cmd in cmd. "
        "For containers, --shell compose writes a compose override that mounts a copy of the "
        f"bundle read-only at {_containers.TARGET} and points the variables there (harbor: "
        "--extra-docker-compose FILE); --shell dotenv the variables for docker run --env-file or a "
        "compose service's env_file: (not harbor's --env-file, which harbor loads into itself).",
    )
    env.add_argument(
        "--shell",
        choices=_exports.SHELLS + _containers.FORMATS,
        help="the syntax to print (default: detected from the environment)",
    )
    env.add_argument("-o", "--output", metavar="FILE", help="write FILE (atomically) instead of stdout")
    env.add_argument(
        "--service",
        action="append",
        metavar="NAME",
        help="compose: a service to give the bundle, may repeat (default: main, harbor's agent)",
    )
    env.add_argument(
        "--bundle",
        metavar="FILE",
        help=f"compose, dotenv: the host copy of the bundle to mount, a stable name (default: "
        f"{_containers.COPY_NAME} beside -o FILE, else in the current directory)",
    )
    env.set_defaults(run=run_env)


def run_bundle(args: argparse.Namespace, command: str = "bundle") -> int:
    try:
        labels = parse_sources(args.sources)
    except ValueError as exc:
        say(f"corptls {command}: {exc}")
        return 2
    roots, problems = _collect()
    chosen = [r for r in roots if labels.intersection(r.sources)]
    for problem in problems:
        say(f"problem: {problem}")
    if not chosen:
        say(f"corptls {command}: no roots from the sources {args.sources!r}; nothing written")
        return 1
    # Marked as corptls's: read back through SSL_CERT_FILE & co. it is never a source of roots.
    pem = _native.BUNDLE_MARK + "\n" + "".join(ssl.DER_cert_to_PEM_cert(r.der) for r in chosen)
    if args.output in (None, "-"):
        write_lf(pem)
    else:
        try:
            write_atomically(args.output, pem.encode("ascii"))
        except OSError as exc:
            say(f"corptls {command}: cannot write {args.output}: {exc}")
            return 1
        say(f"corptls {command}: {len(chosen)} roots written to {args.output}")
    return 0


def run_env(args: argparse.Namespace) -> int:
    shell = args.shell or _exports.detect_shell()
    if shell not in _containers.FORMATS and (args.service or args.bundle):
        say("corptls env: --service and --bundle are for --shell compose or dotenv")
        return 2
    if shell in _containers.FORMATS:
        # The copy, not the cache's file: its name must not change when the roots do.
        copy = os.path.abspath(args.bundle or os.path.join(os.path.dirname(args.output or ""), _containers.COPY_NAME))
        status = run_bundle(argparse.Namespace(output=copy, sources=",".join(SOURCES)), "env")
        if status:
            return status
        text = _containers.compose(copy, args.service or ["main"]) if shell == "compose" else _containers.dotenv()
        return _emit(text, args.output, lf=True)
    _, problems = _collect()
    for problem in problems:
        say(f"problem: {problem}")
    path = corptls.bundle_path()
    if path is None:
        say(
            "corptls env: the bundle exists in memory only (no safe cache directory), so there is no "
            "file to point tools at. Fix: set CORPTLS_CACHE_DIR to a directory only you can write, "
            "or write a file with `corptls bundle -o FILE` and point the tools at it."
        )
        return 1
    try:
        text = _exports.render(shell, path)
    except ValueError as exc:
        say(f"corptls env: {exc}")
        return 1
    # LF but for PowerShell and cmd, on Windows too (Git Bash): a CR would end up in every value.
    return _emit(text, args.output, lf=shell not in ("powershell", "cmd"))


def _emit(text: str, output: "str | None", lf: bool) -> int:
    """``text`` to the file ``output`` (atomically, UTF-8, as given), or to stdout."""
    if output not in (None, "-"):
        try:
            write_atomically(output, text.encode("utf-8"))
        except OSError as exc:
            say(f"corptls env: cannot write {output}: {exc}")
            return 1
    elif lf:
        write_lf(text)
    else:
        sys.stdout.write(text)
    return 0


def write_lf(text: str) -> None:
    """``text`` on stdout with LF line endings as given: on Windows text mode would write CRLF."""
    stdout = sys.stdout
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        stdout.write(text)
    else:
        stdout.flush()
        buffer.write(text.encode(stdout.encoding or "utf-8", stdout.errors or "strict"))
        buffer.flush()


def parse_sources(text: str) -> FrozenSet[str]:
    """The root labels for a comma-separated list of source names; ValueError names any unknown one."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise ValueError(
            f"unknown source {', '.join(map(repr, unknown)) or '(none given)'}; choose from {', '.join(SOURCES)}"
        )
    return frozenset().union(*(SOURCES[n] for n in names))


def _collect() -> Tuple[List[_native.Root], List[str]]:
    """The roots and the problems met while collecting them (as text)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", corptls.CorptlsWarning)
        roots = corptls.roots()
        corptls.bundle_path()
    return roots, [str(w.message) for w in caught]
