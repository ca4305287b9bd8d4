"""The victim of tests/test_multiuser.py (copied next to its venv with kit.py and probe.py; the
standard library only): injects with export_env, waits while the attacker acts, then GETs the rogue
server in-process and from a child without corptls (-S), which trusts what corptls exported.

Environment: READY (a file it writes the bundle's name to), GO (a file to wait for), ROGUE (host:port).
"""

import json
import os
import subprocess
import sys
import time

from kit import get

import corptls

corptls.inject(export_env=True)
out = {"path": corptls.bundle_path(), "exported": os.environ.get("SSL_CERT_FILE")}
with open(os.environ["READY"], "w") as ready:  # the file name is no secret: the same roots give the same name
    ready.write(os.path.basename(out["path"] or ""))
deadline = time.monotonic() + 30
while not os.path.exists(os.environ["GO"]) and time.monotonic() < deadline:
    time.sleep(0.05)
rogue = os.environ["ROGUE"]
out["in_process"] = get(f"https://{rogue}/")
probe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe.py")
child = subprocess.run([sys.executable, "-S", probe, "urllib", "stock", rogue], capture_output=True, text=True)
out["child"] = json.loads(child.stdout)["results"]["urllib"][rogue]
print(json.dumps(out))
