"""What scenarios share: the corporate root as the mounted store holds it, a GET's outcome, the
warnings of the whole run. Scenarios import it from their own directory."""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
import warnings

from probe import outcome

CORP_ROOT = "/etc/ssl/certs/corptls-test-corporate-root.pem"


#: Set by the `scenario` fixture (tests/conftest.py): the corporate leaf's chain and key files.
CORP_LEAF_VAR, CORP_LEAF_HOST = "CORPTLS_TEST_CORP_LEAF", "leaf.corptls.test"


def has_corp(context: ssl.SSLContext) -> bool:
    """Does `context` trust the corporate root? Asked of OpenSSL itself, by an in-memory handshake
    with a server presenting a corporate chain: a context given a hashed directory loads a root
    only when a handshake needs it, so its CA list (get_ca_certs) cannot tell."""
    cert, key = os.environ[CORP_LEAF_VAR].split(os.pathsep)
    return handshake_verifies(context, cert, key, CORP_LEAF_HOST)


def handshake_verifies(context: ssl.SSLContext, cert: str, key: str, hostname: str) -> bool:
    """True when a client `context` accepts the server chain `cert` for `hostname`, whatever the
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


def _fetch(url: str, context: ssl.SSLContext | None) -> None:
    body = urllib.request.urlopen(url, context=context, timeout=15).read()
    assert json.loads(body) == {"ok": True}, body  # what the test servers answer


def get(url: str, context: ssl.SSLContext | None = None) -> str:
    """GET `url` with urllib (`context`, or its default): "ok", or why not."""
    return outcome(_fetch, url, context)


def record_warnings() -> list[warnings.WarningMessage]:
    """Every warning from now on, recorded and never shown: the list fills as they come."""
    caught = warnings.catch_warnings(record=True).__enter__()
    warnings.simplefilter("always")
    return caught


def roots() -> list[dict[str, object]]:
    """corptls.roots() as JSON: subject, SHA-256, expiry and sources of each root."""
    import corptls  # here: importing kit must not import corptls (autoload scenarios)

    return [
        {"subject": r.subject, "sha256": r.sha256, "not_after": r.not_after, "sources": list(r.sources)}
        for r in corptls.roots()
    ]
