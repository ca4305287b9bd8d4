"""Credentials never leave a report: the password of a proxy URL (or its lone user name, often a
token) is printed as ``***``."""

from __future__ import annotations

import re
from typing import Any

# scheme://USERINFO@ ; USERINFO up to the last "@" before the host, as urllib splits it.
_IN_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/'\"]+)@")
_BARE = re.compile(r"^([^\s/'\"]+)@")  # user:pass@host:port: a *_PROXY value without a scheme


def _hidden(userinfo: str) -> str:
    user, colon, _ = userinfo.partition(":")
    return f"{user}:***" if colon else "***"


def masked(text: str) -> str:
    """``text`` with the credentials of every URL in it masked."""
    return _IN_URL.sub(lambda m: f"{m[1]}{_hidden(m[2])}@", text)


def setting(name: str, value: str) -> str:
    """An environment value as it may be shown: a ``*_PROXY`` (any case) also without a scheme."""
    if name.lower().endswith("_proxy") and name.lower() != "no_proxy" and "://" not in value:
        return _BARE.sub(lambda m: f"{_hidden(m[1])}@", value)
    return masked(value)


def report(value: Any) -> Any:
    """A whole report (dicts, lists, strings), every string masked."""
    if isinstance(value, str):
        return masked(value)
    if isinstance(value, dict):
        return {k: report(v) for k, v in value.items()}
    if isinstance(value, list):
        return [report(v) for v in value]
    return value
