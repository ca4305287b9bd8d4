"""Scripts run with `bash -c` in the store namespace, their output in `== NAME` sections."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .store import SCENARIOS, StoreLayout, run_command


def in_store(
    script: str, store: StoreLayout, tmp_path: Path, env: Mapping[str, str | None] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """`bash -c script` in the store namespace with the scrubbed env; $PY is this interpreter."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    return run_command(
        ["bash", "-c", script], store=store, env={"PY": sys.executable, **(env or {})}, cache_dir=cache, timeout=timeout
    )


def sections(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The script's output split at lines `== NAME`."""
    found: dict[str, str] = {}
    name = None
    for text in proc.stdout.splitlines(keepends=True):
        if text.startswith("== "):
            name = text[3:].strip()
            found[name] = ""
        elif name is not None:
            found[name] += text
    return found


#: argv: HOST PROXY_URL. Node's CONNECT through the proxy, then TLS with its default roots (plus
#: NODE_EXTRA_CA_CERTS); prints "ok <status>" or "error <code>".
NODE_CONNECT = SCENARIOS / "node_connect.js"
