"""Python >= 3.13, the legacy root installed in the OS store: the bundle file inject() writes,
handed to other tools: `openssl verify` (with and without -x509_strict) of the legacy leaf, curl
and Node through the proxy, and a Python without corptls (-S) given it as SSL_CERT_FILE.

    bundle_for_tools.py INTERMEDIATE_PEM LEAF_PEM PROXY_URL HOST
"""

import json
import os
import subprocess
import sys

import corptls

HERE = os.path.dirname(os.path.abspath(__file__))
intermediate, leaf, proxy, host = sys.argv[1:]
corptls.inject()
bundle = corptls.bundle_path()
assert bundle is not None


def run(argv: list[str], **env: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **env}).stdout.strip()


verify = ["openssl", "verify", "-CAfile", bundle, "-untrusted", intermediate, leaf]
curl = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", bundle, "-x", proxy, f"https://{host}/"]
out = {
    "openssl": run(verify),
    "openssl-strict": run(verify[:2] + ["-x509_strict"] + verify[2:]),
    "curl": run(curl),
    "node": run(["node", os.path.join(HERE, "node_connect.js"), host, proxy], NODE_EXTRA_CA_CERTS=bundle),
    "python": json.loads(
        run([sys.executable, "-S", os.path.join(HERE, "probe.py"), "urllib", "stock", host], SSL_CERT_FILE=bundle)
    ),
}
print(json.dumps(out))
