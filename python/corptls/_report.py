"""The shape of ``corptls doctor``'s report: made by ``_doctor``, printed by ``_render`` for people
and as is by ``--json``."""

from __future__ import annotations

from typing import Dict, List, Optional, TypedDict


class Finding(TypedDict):
    setting: str  #: NAME='value'
    severity: str  #: "weakens", "breaks" or "note"
    reason: str
    fix: str


class SourceCount(TypedDict):
    roots: int
    problems: List[str]


class Interpreter(TypedDict):
    """``corptls.status()`` of the interpreter running doctor."""

    injected: bool
    autoloaded: bool
    patches: List[str]
    bundle: Optional[str]
    state: str
    reason: str


class EnvironmentReport(TypedDict):
    """``corptls doctor`` without a URL."""

    versions: Dict[str, str]  #: python, openssl, corptls, platform
    autoload: List[str]
    interpreter: Interpreter
    bundle: Optional[str]
    sources: Dict[str, SourceCount]
    settings: Dict[str, str]  #: the TLS settings of the environment, credentials masked
    findings: List[Finding]


class Certificate(TypedDict):
    subject: str
    issuer: str
    not_before: str
    not_after: str
    sha256: str


class _Detected(TypedDict):
    detected: bool


class Interception(_Detected, total=False):  # the rest only when detected
    product: Optional[str]
    anchor: str
    advice: str


class _Url(TypedDict):
    url: str
    proxy: Optional[str]


class UrlReport(_Url, total=False):
    """``corptls doctor URL``: the chain presented and the verdicts on it, or the error."""

    error: str
    chain: List[Certificate]
    verdicts: Dict[str, Optional[str]]  #: certifi, os, corptls: None when trusted, else why not
    trusted: bool
    interception: Interception
    strict: List[str]
