"""A context that asked for default trust while CERT_NONE (left stock then) and verifies later
gets the bundle at its first handshake: corptls saw it load the defaults.

    defaults_while_not_verifying.py GOOD_URL ROGUE_URL
"""

import json
import ssl
import sys

from kit import get, has_corp


def defaults_then_verify() -> tuple[bool, ssl.SSLContext]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_default_certs()
    loaded = has_corp(context)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return loaded, context


good, rogue = sys.argv[1:]
_, stock = defaults_then_verify()
out: dict[str, object] = {"stock": get(good, stock)}
import corptls

corptls.inject()
out["loaded"], context = defaults_then_verify()
out["good"], out["rogue"] = get(good, context), get(rogue, context)
print(json.dumps(out))
