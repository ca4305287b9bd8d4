"""What scenarios share: the corporate root as the mounted store holds it, a GET's outcome, the
warnings of the whole run. Scenarios import it from their own directory."""

from __future__ import annotations

import json
import ssl
import urllib.request
import warnings

from probe import outcome

CORP_ROOT = "/etc/ssl/certs/corptls-test-corporate-root.pem"


def corp_der() -> bytes:
    with open(CORP_ROOT) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def has_corp(context: ssl.SSLContext) -> bool:
    return corp_der() in context.get_ca_certs(binary_form=True)


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
