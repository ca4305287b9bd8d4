"""Runs in the Windows CPython: the OS's verdict on a chain, through corptls.verify_chain.

verify.py HOSTNAME DER_HEX...     (leaf first)  ->  {"result": "ok"} | {"error": ..., "message": ...}
"""

import json
import sys

import corptls

hostname, chain = sys.argv[1], [bytes.fromhex(h) for h in sys.argv[2:]]
try:
    corptls.verify_chain(chain, hostname)
    print(json.dumps({"result": "ok"}))
except corptls.VerificationError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
