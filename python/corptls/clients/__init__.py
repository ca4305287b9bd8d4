"""Where each client library chooses its trust roots: one module per library.

Each module has ``apply(module, undo)``, called when its target module is imported;
a patch module is itself imported only then, so watching costs no import.
httpx (certifi.where() at call time), httpx2 and the openai SDK (OpenSSL's default
file) and urllib / http.client (ssl's default context) need no module of their own:
``ssl`` and ``certifi`` cover them, and ``ssl`` also upgrades clients built before
inject() at their first handshake.
"""

# Order matters: ssl and certifi first, since the others build on them.
PATCHES = (
    # (patch module, the module whose import triggers it)
    ("ssl", "ssl"),
    ("certifi", "certifi"),
    ("requests", "requests"),
    ("aiohttp", "aiohttp.connector"),
    ("botocore", "botocore.httpsession"),
    ("litellm", "litellm"),
)
