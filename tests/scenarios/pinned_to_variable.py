"""$SSL_CERT_FILE / $SSL_CERT_DIR are the user's choice: default trust is widened (the variable's
root in it), a context pinned to the variable's file or directory stays pinned.

    pinned_to_variable.py SSL_CERT_FILE|SSL_CERT_DIR GOOD_URL ROGUE_URL
"""

import json
import os
import ssl
import sys

from kit import get

variable, good, rogue = sys.argv[1:]
pin = {"cafile" if variable == "SSL_CERT_FILE" else "capath": os.environ[variable]}
out: dict[str, object] = {"stock": get(good)}  # the control: the variable alone holds the private root only
import corptls

corptls.inject()
out["default"] = get(good)
pinned = ssl.create_default_context(**pin)
out["pinned"] = {"good": get(good, pinned), "rogue": get(rogue, pinned)}
print(json.dumps(out))
