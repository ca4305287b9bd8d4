"""A bundle file alone, in a context of its own (run with -S: no corptls): per URL the HTTP status,
or the error's type and reason.

    load_bundle.py BUNDLE URL...
"""

import ssl
import sys
import urllib.request

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[1])
for url in sys.argv[2:]:
    try:
        print(urllib.request.urlopen(url, context=ctx, timeout=15).status)
    except Exception as e:
        reason = getattr(e, "reason", e)
        print(type(reason).__name__, reason)
