"""Python >= 3.13, the legacy root installed in the OS store: what roots() and the bundle say of it,
a default context under inject() (it must hold the twin, never the original), and OpenSSL with
both anchors loaded in either order (the first loaded wins).

    twin_contexts.py LEGACY_ROOT_PEM LEGACY_ROOT_CN HOST     HOST: a legacy chain, through the proxy
"""

import json
import ssl
import sys
import urllib.request

from probe import outcome

import corptls
from corptls import _native

legacy_pem, legacy_cn, host = sys.argv[1:]


def fetch(context: ssl.SSLContext) -> str:
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    return outcome(lambda: opener.open(f"https://{host}/", timeout=15).read())


with open(legacy_pem) as f:
    original = ssl.PEM_cert_to_DER_cert(f.read())
corptls.inject()
[root] = [r for r in corptls.roots() if r.subject.endswith(legacy_cn)]
bundle_path = corptls.bundle_path()
assert bundle_path is not None
with open(bundle_path) as f:
    blocks = [
        ssl.PEM_cert_to_DER_cert("-----BEGIN CERTIFICATE-----" + b)
        for b in f.read().split("-----BEGIN CERTIFICATE-----")[1:]
    ]
[twin] = [d for d in blocks if _native.inspect(d).subject == root.subject]
assert twin == root.twin
context = ssl.create_default_context()
widened = fetch(context)
corptls.extract()
orders = {}
for name, first, second in (("original, twin", original, twin), ("twin, original", twin, original)):
    pair = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(first))
    pair.load_verify_locations(cadata=ssl.DER_cert_to_PEM_cert(second))
    orders[name] = fetch(pair)
out = {
    "root": [root.der == original, root.twin is not None, root.strict_rules],
    "bundle": [original in blocks, _native.inspect(twin).strict_rules],
    "widened": widened,
    "loaded": [d for d in context.get_ca_certs(True) if d in (original, twin)] == [twin],
    "orders": orders,
}
print(json.dumps(out))
