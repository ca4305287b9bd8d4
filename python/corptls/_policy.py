"""The policy tables of ``corptls doctor``: the settings that weaken or break TLS verification (with
their fix), the products that intercept TLS (as their roots name them) and what to do about an
interception, and what becomes of a certificate that breaks a strict rule. Pure functions."""

from __future__ import annotations

import os
import re
from typing import Dict, List, Optional, Tuple

from . import _exports
from ._report import Finding

# Product names as interception roots spell them in their subject or issuer.
PRODUCTS: Tuple[Tuple[str, str], ...] = (
    ("zscaler", "Zscaler"),
    ("netskope", "Netskope"),
    ("palo alto", "Palo Alto Networks"),
    ("paloalto", "Palo Alto Networks"),
    ("fortinet", "Fortinet FortiGate"),
    ("fortigate", "Fortinet FortiGate"),
    ("cisco umbrella", "Cisco Umbrella"),
    ("opendns", "Cisco Umbrella"),
    ("blue coat", "Blue Coat / Symantec"),
    ("bluecoat", "Blue Coat / Symantec"),
    ("symantec", "Blue Coat / Symantec"),
    ("sophos", "Sophos"),
    ("forcepoint", "Forcepoint"),
    ("websense", "Forcepoint"),
    ("check point", "Check Point"),
    ("checkpoint", "Check Point"),
    ("mcafee", "McAfee / Skyhigh"),
    ("skyhigh", "McAfee / Skyhigh"),
    ("cloudflare", "Cloudflare Gateway"),
    ("menlo", "Menlo Security"),
    ("iboss", "iboss"),
    ("barracuda", "Barracuda"),
    ("watchguard", "WatchGuard"),
    ("sonicwall", "SonicWall"),
    ("kaspersky", "Kaspersky"),
    ("eset", "ESET"),
    ("avast", "Avast"),
    ("bitdefender", "Bitdefender"),
    ("mitmproxy", "mitmproxy"),
    ("fiddler", "Fiddler"),
    ("charles", "Charles Proxy"),
)
OFF = ("0", "false", "no", "off")


def product(names: str) -> Optional[str]:
    """The interception product whose name appears in ``names`` (issuer and root subjects)."""
    lowered = names.lower()
    return next((name for key, name in PRODUCTS if re.search(rf"\b{key}\b", lowered)), None)


def interception_advice(anchor: str, verdict: Optional[str], trusted_root: bool) -> str:
    """What to do about a chain that certifi does not trust, anchored in the root ``anchor``:
    ``verdict`` is corptls's (None: verified), ``trusted_root`` whether corptls trusts that root."""
    if verdict is None:
        return (
            f"The chain is anchored in {anchor}, a root corptls trusts (from the OS store or your extra CAs) and certifi does not: "
            "run `corptls.inject()` in your program, or `corptls autoload enable` for tools you don't control."
        )
    if trusted_root:
        return (
            f"The chain is anchored in {anchor}, a root corptls trusts, but it is still rejected "
            f"({verdict}): the chain itself is at fault (see the verdicts and warnings), not a "
            "missing root. Ask whoever runs the interception to fix it; do not turn verification off."
        )
    return (
        f"The chain is anchored in {anchor}, which nothing here trusts. If it is your company's "
        "inspection root, get its certificate from IT and install it in the OS store, or set "
        "CORPTLS_EXTRA_CA_CERTS=/path/to/root.pem. If not, someone is intercepting this connection: stop."
    )


_REJECTS = "Python 3.13+ (VERIFY_X509_STRICT) rejects this chain"


def strict_warning(subject: str, rules: List[str], root: bool, twinned: bool, relaxed: bool) -> str:
    """A certificate that breaks the strict rules (Python 3.13+'s VERIFY_X509_STRICT) ``rules``, and
    what becomes of it: a root corptls loads as its conforming twin (``twinned``) is repaired; for
    an intermediate or leaf only the opt-in helps (``relaxed``: it is in force)."""
    if root and twinned:
        what = (
            "Python 3.13+ (VERIFY_X509_STRICT) would reject it; corptls repairs it: contexts and the bundle "
            "file get its conforming twin (same name, key and constraints)"
        )
    elif root:
        what = f"{_REJECTS}; corptls has no twin for this root (is it in the OS store or your extra CAs?)"
    elif relaxed:
        what = f"{_REJECTS}; CORPTLS_X509_STRICT=0 is in force: the contexts corptls widens skip these checks"
    else:
        what = (
            f"{_REJECTS}; only its issuer can fix it; CORPTLS_X509_STRICT=0 (inject(x509_strict=False)) clears "
            "the flag on the contexts corptls widens (chain, host name and expiry stay verified)"
        )
    return f"{subject}{' (root)' if root else ''}: {'; '.join(rules)}: {what}"


def tls_variables() -> List[str]:
    return (
        [name for name, _ in _exports.PATH_VARIABLES]
        + [name for name, _ in _exports.SWITCHES]
        + [
            "SSL_CERT_DIR",
            "PYTHONHTTPSVERIFY",
            "SSL_VERIFY",
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "GIT_SSL_NO_VERIFY",
            "PIP_TRUSTED_HOST",
            "UV_INSECURE_HOST",
            "UV_NATIVE_TLS",
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "CORPTLS_EXTRA_CA_CERTS",
            "CORPTLS_AUTOLOAD",
            "CORPTLS_DISABLE",
            "CORPTLS_CACHE_DIR",
            "CORPTLS_X509_STRICT",
        ]
    )


def settings_findings(env: "os._Environ[str] | Dict[str, str]") -> List[Finding]:
    """Settings that weaken or break verification, each with the reason and the fix."""
    found: List[Finding] = []

    def flag(name: str, severity: str, reason: str, fix: str) -> None:
        found.append({"setting": f"{name}={env[name]!r}", "severity": severity, "reason": reason, "fix": fix})

    if "PYTHONHTTPSVERIFY" in env:
        flag(
            "PYTHONHTTPSVERIFY",
            "weakens" if env["PYTHONHTTPSVERIFY"] == "0" else "note",
            "upstream CPython 3 ignores it; the distribution builds that honour it turn verification OFF, "
            "and requests, httpx, aiohttp and litellm never read it",
            "unset PYTHONHTTPSVERIFY; trust the corporate root with corptls instead",
        )
    for name, effect in (
        (
            "SSL_CERT_FILE",
            "OpenSSL then loads no default file (144 -> 0 roots), while httpx and "
            "litellm treat it as unset and use certifi: it never selects the OS store",
        ),
        (
            "CURL_CA_BUNDLE",
            "requests ignores an empty value since 2.28 (older ones turned "
            "verification off); httpx, openai, litellm and aiohttp never read it",
        ),
        ("REQUESTS_CA_BUNDLE", "requests treats it as unset"),
    ):
        if env.get(name) == "":
            flag(name, "breaks", f"an empty value: {effect}", f"unset {name}")
    if env.get("SSL_VERIFY", "").lower() in OFF and "SSL_VERIFY" in env:
        flag("SSL_VERIFY", "weakens", "litellm turns certificate verification off", "unset SSL_VERIFY")
    if env.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0":
        flag(
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "weakens",
            "Node.js accepts any certificate",
            "unset it; point NODE_EXTRA_CA_CERTS at the bundle (`corptls env`)",
        )
    if env.get("GIT_SSL_NO_VERIFY", "").lower() not in ("", *OFF):
        flag(
            "GIT_SSL_NO_VERIFY",
            "weakens",
            "git accepts any certificate",
            "unset it; point GIT_SSL_CAINFO at the bundle (`corptls env`)",
        )
    for name in ("PIP_TRUSTED_HOST", "UV_INSECURE_HOST"):
        if env.get(name):
            flag(
                name,
                "weakens",
                "these hosts are contacted without certificate verification",
                f"unset {name}; `corptls env` points pip and uv at the bundle",
            )
    lists = ("SSL_CERT_DIR", "CORPTLS_EXTRA_CA_CERTS")  # path lists, split at os.pathsep (";" on Windows)
    for name in [n for n, _ in _exports.PATH_VARIABLES] + list(lists):
        value = env.get(name) or ""
        missing = [p for p in (value.split(os.pathsep) if name in lists else [value]) if p and not os.path.exists(p)]
        if missing:
            flag(
                name,
                "breaks",
                f"points at a missing path ({', '.join(missing)}): tools that read it fail",
                f"set {name} to an existing file (`corptls bundle -o FILE`) or unset it",
            )
    if env.get("CORPTLS_X509_STRICT") == "0":
        flag(
            "CORPTLS_X509_STRICT",
            "weakens",
            "the contexts corptls widens verify without Python 3.13+'s "
            "VERIFY_X509_STRICT (chain, host name and expiry still verified)",
            "unset it once the intermediate or leaf that breaks a strict rule is reissued (`corptls doctor URL` names it)",
        )
    if env.get("CORPTLS_DISABLE") == "1":
        flag("CORPTLS_DISABLE", "note", "every corptls patch is off", "unset CORPTLS_DISABLE to use corptls")
    return found
