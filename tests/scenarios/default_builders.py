"""extract() gives httpx, httpcore2 and litellm their default-context builders back."""

import json

import httpcore2
import httpcore2._sync.connection
import httpx
import httpx2  # noqa: F401  (imported before inject(), as by a program that uses it)
import litellm  # noqa: F401
from litellm.llms.custom_httpx import http_handler


def builders() -> list[object]:
    return [
        httpx.create_ssl_context,
        httpx._config.create_ssl_context,
        httpx._transports.default.create_ssl_context,
        httpcore2.default_ssl_context,
        httpcore2._ssl.default_ssl_context,
        httpcore2._sync.connection.default_ssl_context,
        http_handler.get_ssl_verify,
    ]


before = builders()
import corptls

corptls.inject()
patched = [now is not then for now, then in zip(builders(), before)]
corptls.extract()
print(json.dumps({"patched": patched, "restored": [now is then for now, then in zip(builders(), before)]}))
