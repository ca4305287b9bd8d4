"""What the mounted store copy looks like from inside the namespace: the corporate root a loose
file (not in the bundle file, no hash link), no dangling links, OpenSSL's default capath on it.

    store_layout.py CORP_ROOT_PEM CORP_ROOT_NAME
"""

import json
import os
import ssl
import sys

corp_pem, corp_name = sys.argv[1:]
d = "/etc/ssl/certs"
names = os.listdir(d)
with open(corp_pem) as f:
    corp = ssl.PEM_cert_to_DER_cert(f.read())
with open(os.path.join(d, "ca-certificates.crt")) as f:
    bundle = [ssl.PEM_cert_to_DER_cert("-----BEGIN" + c) for c in f.read().split("-----BEGIN")[1:]]
out = {
    "has_root": os.path.isfile(os.path.join(d, corp_name)),
    "in_bundle": corp in bundle,
    "linked": [
        n for n in names if os.path.islink(os.path.join(d, n)) and os.readlink(os.path.join(d, n)).endswith(corp_name)
    ],
    "dangling": [n for n in names if not os.path.exists(os.path.join(d, n))],
    # OpenSSL's default capath (e.g. /usr/lib/ssl/certs) must resolve to the mounted store.
    "default_capath": os.path.realpath(ssl.get_default_verify_paths().openssl_capath),
}
print(json.dumps(out))
