"""A context pinned to a *copy* of OpenSSL's default file (the store holds one private root there)
is not upgraded by inject(): only the defaults loaded as defaults are.

    pinned_default_copy.py GOOD_URL ROGUE_URL
"""

import json
import os
import shutil
import ssl
import sys
import tempfile

from kit import get

good, rogue = sys.argv[1:]
copy = os.path.join(tempfile.mkdtemp(), "pinned.pem")
shutil.copyfile(ssl.get_default_verify_paths().openssl_cafile, copy)
pinned = ssl.create_default_context(cafile=copy)  # before inject(): its CAs equal the default file's
out: dict[str, object] = {"pinned_cas": len(pinned.get_ca_certs()), "stock": get(good)}
import corptls

corptls.inject()
out["sources"] = sorted({s for r in corptls.roots() for s in r.sources})
out["default"] = get(good)
out["pinned"] = {"good": get(good, pinned), "rogue": get(rogue, pinned)}
print(json.dumps(out))
