"""A context widened by corptls and corptls's hashed directory, for tests/test_hashed_dir.py.

argv: MODE GOOD ROGUE EXPIRED WRONGNAME [CAFILE] (URLs of the direct servers). MODE: ``stock``
(no corptls: the control), ``kept``, ``removed`` (the cache directory deleted, as a cleaner would,
after the context was made and before its first handshake), ``dropped`` (the process gives up
root's privileges, and with them the cache directory, after the context was made), ``cafile``
(the context also loads CAFILE, a program's own CA file, up front). Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import sys
import urllib.request

from probe import outcome

mode, *urls = sys.argv[1:6]


def get(url: str, context: ssl.SSLContext) -> None:
    urllib.request.urlopen(url, context=context, timeout=10).read()


out: dict = {}
if mode != "stock":
    import corptls

    corptls.inject()
    bundle = corptls._bundle.collected()
    assert bundle is not None
    out["capath"] = bundle.capath
    out["roots"] = len(corptls.roots())
    out["files"] = len(os.listdir(bundle.capath)) if bundle.capath else None
context = ssl.create_default_context()
if mode == "cafile":
    context.load_verify_locations(cafile=sys.argv[6])
out["up_front"] = len(context.get_ca_certs())
if mode == "removed":
    shutil.rmtree(os.path.dirname(out["capath"]))
if mode == "dropped":
    outcome(get, urls[1], ssl.create_default_context())  # what a request imports, imported while it can be
    os.setgid(65534)
    os.setuid(65534)
out["outcomes"] = [outcome(get, url, context) for url in urls]
out["loaded"] = [dict(rdn[0] for rdn in c["subject"]).get("commonName") for c in context.get_ca_certs()]  # type: ignore[index,misc]
out["dir_back"] = bool(out.get("capath")) and os.path.isdir(out["capath"])
print(json.dumps(out))
