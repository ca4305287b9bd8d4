"""Python >= 3.13: a real handshake with the lax chain (its root's basicConstraints not critical)
by the default context pinned to that root, the same without VERIFY_X509_STRICT, and a default
context after inject() (which must keep the flag).

    strict_handshake.py PORT LAX_ROOT_PEM      the server on 127.0.0.1:PORT presents "localhost"
"""

import json
import socket
import ssl
import sys

import corptls

port, lax_root = int(sys.argv[1]), sys.argv[2]


def handshake(context: ssl.SSLContext) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            with context.wrap_socket(sock, server_hostname="localhost"):
                return "ok"
    except ssl.SSLCertVerificationError as exc:
        return str(exc.verify_message)


default = ssl.create_default_context(cafile=lax_root)
relaxed = ssl.create_default_context(cafile=lax_root)
relaxed.verify_flags &= ~ssl.VERIFY_X509_STRICT
corptls.inject()
injected = ssl.create_default_context()
print(
    json.dumps(
        {
            "default": handshake(default),
            "relaxed": handshake(relaxed),
            "injected": handshake(injected),
            "injected_strict": bool(injected.verify_flags & ssl.VERIFY_X509_STRICT),
        }
    )
)
