"""inject(export_env=True): child processes (Node, a Python without corptls) trust the bundle
through the variables; inject() alone and extract() leave the environment as it was.

    export_env.py GOOD_URL ROGUE_URL NAME...     NAME: every variable `corptls env` sets
"""

import json
import os
import subprocess
import sys

import corptls

NODE_GET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node_get.js")
good, rogue, names = sys.argv[1], sys.argv[2], sys.argv[3:]


def node(url: str) -> str:
    p = subprocess.run(["node", NODE_GET, url], capture_output=True, text=True, timeout=30)
    return (p.stdout or p.stderr).strip()


def python_stdlib(url: str) -> str:  # -S: no site, so no corptls: only the inherited SSL_CERT_FILE can help
    code = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=15).status)"
    p = subprocess.run([sys.executable, "-S", "-c", code, url], capture_output=True, text=True, timeout=30)
    return p.stdout.strip() or p.stderr.strip().splitlines()[-1]


before = dict(os.environ)
out: dict[str, object] = {"control": node(good), "python_control": python_stdlib(good)}
corptls.inject()
out["inject_alone_keeps_env"] = dict(os.environ) == before
out["inject_alone_node"] = node(good)
corptls.inject(export_env=True)
corptls.inject(export_env=True)  # idempotent
out["path"] = corptls.bundle_path()
out["exported"] = {name: os.environ.get(name) for name in names}
out["good"] = node(good)
out["rogue"] = node(rogue)
out["python_good"] = python_stdlib(good)
corptls.extract()
out["restored"] = dict(os.environ) == before
out["changed"] = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
out["kept"] = {name: os.environ.get(name, "<absent>") for name in ("REQUESTS_CA_BUNDLE", "UV_SYSTEM_CERTS", "PIP_CERT")}
out["after"] = node(good)
print(json.dumps(out))
