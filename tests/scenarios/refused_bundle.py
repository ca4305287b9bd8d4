"""After OpenSSL refused the bundle (CORPTLS_EXTRA_CA_CERTS names a root it cannot load) the state
stays failed: Python's default trust, no roots, no path, nothing exported; else all is well.

    refused_bundle.py GOOD_URL
"""

import json
import os
import ssl
import sys

from kit import get, has_corp, record_warnings
from probe import outcome

warned = record_warnings()
good = sys.argv[1]
import corptls
from corptls import _native

extra = os.environ.get("CORPTLS_EXTRA_CA_CERTS")
# What the Rust core keeps (the collection itself, before OpenSSL is asked).
out: dict[str, object] = {
    "collected": sum("Unloadable" in r.subject for r in _native.collect(extra=[extra] if extra else []).roots)
}
corptls.inject()
import httpx
import requests  # imported while injected: requests binds the bundle's path

out["first"] = has_corp(ssl.create_default_context())
out["roots"] = len(corptls.roots())
out["path"] = corptls.bundle_path()
corptls.inject()
corptls.inject(export_env=True)
out["SSL_CERT_FILE"] = os.environ.get("SSL_CERT_FILE")
out["later"] = has_corp(ssl.create_default_context())
out["urllib"] = get(good)
out["requests"] = outcome(lambda: requests.get(good, timeout=10).raise_for_status())
out["httpx"] = outcome(lambda: httpx.get(good, timeout=10).raise_for_status())
out["state"] = list(corptls._bundle.state())
out["warnings"] = [str(w.message) for w in warned]
print(json.dumps(out))
