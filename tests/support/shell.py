"""Scripts run with `bash -c` in the store namespace, their output in `== NAME` sections."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .store import StoreLayout, run_command


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


# argv: HOST PROXY_URL. CONNECT through the proxy, then TLS with Node's default roots (plus
# NODE_EXTRA_CA_CERTS); prints "ok <status>" or "error <code>".
NODE_CONNECT = r"""
const http = require('http'), tls = require('tls');
const host = process.argv[2], proxy = new URL(process.argv[3]);
const fail = (e) => { console.log(`error ${e.code || e.message}`); process.exitCode = 1; };
const req = http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: `${host}:443`, agent: false});
req.setTimeout(15000, () => req.destroy(new Error('timeout')));
req.on('error', fail);
req.on('connect', (res, socket) => {
  const s = tls.connect({socket, servername: host}, () => s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
  let data = '';
  s.on('data', (d) => { data += d; });
  s.on('end', () => console.log(`ok ${data.split(' ')[1]}`));
  s.on('error', fail);
});
req.end();
"""


def node_connect(directory: Path) -> Path:
    """NODE_CONNECT as a script file in ``directory``."""
    script = directory / "connect.js"
    script.write_text(NODE_CONNECT)
    return script
