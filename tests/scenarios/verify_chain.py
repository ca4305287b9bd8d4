"""corptls.verify_chain, the OS's verdict, on each (PEM chain file, host name) pair: "trusted" or
the VerificationError's message.

    verify_chain.py CHAIN_PEM NAME [CHAIN_PEM NAME...]
"""

import json
import re
import ssl
import sys

import corptls


def verdict(pem_file: str, name: str) -> str:
    with open(pem_file) as f:
        blocks = re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", f.read(), re.S)
    try:
        corptls.verify_chain([ssl.PEM_cert_to_DER_cert(b) for b in blocks], name)
        return "trusted"
    except corptls.VerificationError as exc:
        return str(exc)


args = sys.argv[1:]
print(json.dumps([verdict(pem, name) for pem, name in zip(args[::2], args[1::2])]))
