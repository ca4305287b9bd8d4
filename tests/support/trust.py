"""Does a context trust the corporate root? Asked of OpenSSL itself, by an in-memory handshake
with a server presenting a corporate chain: a context given a hashed directory (capath) loads a
root only when a handshake needs it, so its CA list (``get_ca_certs``) cannot tell. Run inside
scenarios; no corptls import."""

from __future__ import annotations

import os
import ssl

#: Set by the ``scenario`` fixture: the corporate leaf's chain and key files, ``os.pathsep`` between.
CORP_LEAF_VAR = "CORPTLS_TEST_CORP_LEAF"
CORP_LEAF_HOST = "leaf.corptls.test"


def trusts_corp(context: ssl.SSLContext) -> bool:
    """True when ``context`` verifies a chain issued under the corporate root."""
    cert, key = os.environ[CORP_LEAF_VAR].split(os.pathsep)
    return handshake_verifies(context, cert, key, CORP_LEAF_HOST)


def handshake_verifies(context: ssl.SSLContext, cert: str, key: str, hostname: str) -> bool:
    """True when a client ``context`` accepts the server chain ``cert`` for ``hostname``, whatever the
    context's own verify mode; False when it refuses it."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    mode = context.verify_mode
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        # The C-level _wrap_bio: what corptls's wrap_bio hook does at a first handshake is not asked.
        client = context._wrap_bio(client_in, client_out, False, hostname)  # type: ignore[attr-defined]
        server = server_context._wrap_bio(server_in, server_out, True, None)  # type: ignore[attr-defined]
        for _ in range(20):
            try:
                client.do_handshake()
                return True
            except ssl.SSLCertVerificationError:
                return False
            except ssl.SSLWantReadError:
                pass
            server_in.write(client_out.read())
            try:
                server.do_handshake()
            except ssl.SSLWantReadError:
                pass
            client_in.write(server_out.read())
        raise RuntimeError("the in-memory handshake did not finish")
    finally:
        context.verify_mode = mode
