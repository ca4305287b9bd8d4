"""A context pinned to a CA file of its own, under inject(): its CAs, then its GET of the corporate
server and the default context's.

    pinned_context.py CAFILE GOOD_URL      CAFILE: one root, not the corporate one
"""

import json
import ssl
import sys

from kit import get, has_corp

import corptls

cafile, good = sys.argv[1:]
corptls.inject()
pinned = ssl.create_default_context(cafile=cafile)
out: dict[str, object] = {"corp": has_corp(pinned), "cas": len(pinned.get_ca_certs())}
out["pinned"] = get(good, pinned)
out["cas_after"] = len(pinned.get_ca_certs())
out["default"] = get(good)
print(json.dumps(out))
