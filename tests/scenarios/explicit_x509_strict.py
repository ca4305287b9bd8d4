"""inject(x509_strict=True) keeps VERIFY_X509_STRICT whatever CORPTLS_X509_STRICT says (the lax
intermediate's chain still fails, no warning); then under the opt-in, a context corptls does not
widen (pinned to a file) keeps the flag. stderr gets a marker line between the two.

    explicit_x509_strict.py HOST      HOST: the lax intermediate's chain, through the proxy
"""

import json
import ssl
import sys

from kit import CORP_ROOT, get

import corptls

corptls.inject(x509_strict=True)
strict = get(f"https://{sys.argv[1]}/")
sys.stderr.write("-- the opt-in, after all --\n")
corptls.inject(x509_strict=False)
pinned = ssl.create_default_context(cafile=CORP_ROOT)
out = {
    "strict": strict,
    "pinned": bool(pinned.verify_flags & ssl.VERIFY_X509_STRICT),
    "widened": bool(ssl.create_default_context().verify_flags & ssl.VERIFY_X509_STRICT),
}
print(json.dumps(out))
