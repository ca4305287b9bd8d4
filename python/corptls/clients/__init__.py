"""Where each client library chooses its trust roots: one module per library.

Each module has ``apply(module, undo)``, called when its target module is imported;
a patch module is itself imported only then, so watching costs no import.
urllib / http.client (ssl's default context) need no module of their own: ``ssl`` covers
them, and also upgrades clients built before inject() at their first handshake. httpx
(certifi.where() at call time) and httpx2 / the openai SDK (OpenSSL's default file) are
covered by ``ssl`` and ``certifi`` too; their own modules only replace the default they
would build from ``$SSL_CERT_FILE`` / ``$SSL_CERT_DIR``.
"""

# Order matters: ssl and certifi first, since the others build on them.
PATCHES = (
    # (patch module, the module whose import triggers it)
    ("ssl", "ssl"),
    ("certifi", "certifi"),
    ("httpx", "httpx"),
    ("httpcore2", "httpcore2"),
    ("requests", "requests"),
    ("aiohttp", "aiohttp.connector"),
    ("botocore", "botocore.httpsession"),
    ("litellm", "litellm"),
)
