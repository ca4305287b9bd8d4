"""``corptls doctor [URL]``: what is wrong with TLS here, and what to do about it.

Without a URL: versions, autoload, the roots per source with their problems, and every
environment setting that affects TLS, flagging those that weaken or break verification.
With a URL: the chain the network presents (captured by the Rust core, through the proxy the
clients would use), three verdicts (certifi, the OS, corptls), TLS interception, and Python
3.13's strict verification. ``timeout`` bounds the whole check: one deadline over every step.
No output holds a credential: proxy URLs are masked (``_masks``).
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import os
import platform
import re
import ssl
import threading
import time
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

import corptls

from . import _bundle, _exports, _masks, _native, _switch
from ._warnings import say

Finding = Dict[str, str]

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
_OFF = ("0", "false", "no", "off")


def environment() -> Dict[str, Any]:
    """The report without a URL."""
    interpreter = dataclasses.asdict(corptls.status())  # before doctor's own collection below
    bundle = _bundle.current()
    per_source: Dict[str, Dict[str, Any]] = {}
    for root in corptls.roots():
        for source in root.sources:  # type: ignore[attr-defined]
            per_source.setdefault(source, {"roots": 0, "problems": []})["roots"] += 1
    for source, message in bundle.collection.problems if bundle else ():  # type: ignore[attr-defined]
        label = source.split(":", 1)[0]
        per_source.setdefault(label, {"roots": 0, "problems": []})["problems"].append(f"{source}: {message}")
    return {
        "versions": {
            "python": platform.python_version(),
            "openssl": ssl.OPENSSL_VERSION,
            "corptls": corptls.__version__,
            "platform": platform.platform(),
        },
        "autoload": _switch.status(False),
        "interpreter": interpreter,
        "bundle": bundle and bundle.path,
        "sources": per_source,
        "settings": {
            name: _masks.setting(name, os.environ[name]) for name in sorted(_tls_variables()) if name in os.environ
        },
        "findings": settings_findings(os.environ),
    }


def _tls_variables() -> List[str]:
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
    if env.get("SSL_VERIFY", "").lower() in _OFF and "SSL_VERIFY" in env:
        flag("SSL_VERIFY", "weakens", "litellm turns certificate verification off", "unset SSL_VERIFY")
    if env.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0":
        flag(
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "weakens",
            "Node.js accepts any certificate",
            "unset it; point NODE_EXTRA_CA_CERTS at the bundle (`corptls env`)",
        )
    if env.get("GIT_SSL_NO_VERIFY", "").lower() not in ("", *_OFF):
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


def url_report(url: str, timeout: float) -> Dict[str, Any]:
    """The report for one URL, within ``timeout`` seconds in all. Raises ValueError for a URL that
    is not https://host[:port]."""
    deadline = time.monotonic() + timeout

    def left() -> float:  # what remains of the whole check; a socket timeout of 0 would not block
        return max(0.001, deadline - time.monotonic())

    host, port = _parse(url)
    report: Dict[str, Any] = {"url": f"https://{host}:{port}/", "proxy": None}
    try:
        proxy = _proxy_for(host)
    except OSError as exc:
        report["error"] = str(exc)
        return report
    report["proxy"] = proxy and proxy["url"]
    try:
        via = (proxy["host"], proxy["port"]) if proxy else None
        chain = _native.capture_chain(host, port, via, proxy["auth"] if proxy else None, left())
    except OSError as exc:  # a ValueError (invalid host name) is a bad URL: run() exits 2
        report["error"] = _one_line(exc, proxy, timeout)
        return report
    try:
        infos = [_native.inspect(der) for der in chain]
    except ValueError as exc:  # the network sent something that is not a certificate
        report["error"] = f"the server sent a certificate that cannot be parsed: {exc}"
        return report
    report["chain"] = [
        {
            "subject": i.subject,
            "issuer": i.issuer,
            "not_before": _date(i.not_before),
            "not_after": _date(i.not_after),
            "sha256": i.sha256,
        }
        for i in infos
    ]
    certifi_pem = _read(_bundle.certifi_file())
    certifi = _context(cadata=certifi_pem) if certifi_pem else None
    injected = _corptls_context()  # made here: inject() and extract() are not for the threads below
    report["verdicts"] = _by_deadline(
        deadline,
        timeout,
        {
            "certifi": (lambda: _handshake(host, port, proxy, certifi, left()))
            if certifi
            else (lambda: "certifi is not installed"),
            "os": lambda: _os_verdict(chain, host),
            "corptls": lambda: _handshake(host, port, proxy, injected, left()),
        },
    )
    report["trusted"] = report["verdicts"]["corptls"] is None
    anchor = _anchor(chain, infos)
    report["interception"] = _interception(report["verdicts"], anchor, infos)
    report["strict"] = _strict(infos, anchor)
    return report


def _strict(infos: List[Any], anchor: Optional[Any]) -> List[str]:
    """Per certificate of the chain and its root, the strict rules (Python 3.13+'s
    VERIFY_X509_STRICT) it breaks, and what becomes of them: a root corptls loads as its
    conforming twin is repaired; for the others only the opt-in helps."""
    twinned = {r.sha256 for r in corptls.roots() if r.twin is not None}  # type: ignore[attr-defined]
    below = infos[:-1] if infos[-1].self_issued else infos
    rejects = "Python 3.13+ (VERIFY_X509_STRICT) rejects this chain"
    if not _bundle.x509_strict():
        opt_in = "CORPTLS_X509_STRICT=0 is in force: the contexts corptls widens skip these checks"
    else:
        opt_in = (
            "only its issuer can fix it; CORPTLS_X509_STRICT=0 (inject(x509_strict=False)) clears the flag "
            "on the contexts corptls widens (chain, host name and expiry stay verified)"
        )
    lines = []
    for info, root in [(i, False) for i in below] + ([(anchor, True)] if anchor is not None else []):
        if not info.strict_rules:
            continue
        if root and info.sha256 in twinned:
            what = (
                "Python 3.13+ (VERIFY_X509_STRICT) would reject it; corptls repairs it: contexts and the bundle "
                "file get its conforming twin (same name, key and constraints)"
            )
        elif root:
            what = f"{rejects}; corptls has no twin for this root (is it in the OS store or your extra CAs?)"
        else:
            what = f"{rejects}; {opt_in}"
        lines.append(f"{info.subject}{' (root)' if root else ''}: {'; '.join(info.strict_rules)}: {what}")
    return lines


def _parse(url: str) -> Tuple[str, int]:
    parts = urllib.parse.urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"not an https URL: {url!r} (expected https://host[:port])")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in {url!r}") from None
    if port == 0:
        raise ValueError(f"bad port in {url!r}")
    return parts.hostname, port or 443


def _proxy_for(host: str) -> Optional[Dict[str, Any]]:
    """The proxy the clients would use: HTTPS_PROXY unless NO_PROXY excludes the host."""
    url = urllib.request.getproxies().get("https")
    if not url or urllib.request.proxy_bypass(host):
        return None
    parts = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http":
        # An https:// or socks proxy spoken to as plain HTTP would get the credentials in clear.
        raise OSError(f"HTTPS_PROXY is a {parts.scheme}:// proxy; doctor speaks to http:// proxies only")
    auth = None
    if parts.username is not None:
        token = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(token.encode()).decode()
    return {
        "url": f"{parts.scheme}://{parts.hostname}:{parts.port or 80}",
        "host": parts.hostname,
        "port": parts.port or 80,
        "auth": auth,
    }


def _by_deadline(
    deadline: float, timeout: float, checks: Dict[str, Callable[[], Optional[str]]]
) -> Dict[str, Optional[str]]:
    """Every verdict at once, each on a thread of its own; one still running at the deadline is
    "no verdict" and its thread is left behind (a daemon): a socket timeout bounds each read
    only, and a peer that drips a byte at a time never lets it fire."""
    verdicts: Dict[str, Optional[str]] = {}

    def run(name: str, check: Callable[[], Optional[str]]) -> None:
        try:
            verdicts[name] = check()
        except Exception as exc:  # one line in the report, never a thread's traceback
            verdicts[name] = f"no verdict: {exc!r}"

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in checks.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    late = f"no verdict: timed out after {timeout:g}s"
    return {name: verdicts[name] if name in verdicts else late for name in checks}


def _one_line(exc: BaseException, proxy: Optional[Dict[str, Any]], timeout: float) -> str:
    via = f" (through the proxy {proxy['url']})" if proxy else ""
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s{via}: {exc}"
    return f"{exc}{via}"


def _context(**locations: Any) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verification on: CERT_REQUIRED, check_hostname
    context.load_verify_locations(**locations)
    return context


def _corptls_context() -> ssl.SSLContext:
    """A context exactly as clients get it after inject()."""
    was = corptls.is_injected()
    corptls.inject()
    try:
        return ssl.create_default_context()
    finally:
        if not was:
            corptls.extract()


def _handshake(
    host: str, port: int, proxy: Optional[Dict[str, Any]], context: ssl.SSLContext, timeout: float
) -> Optional[str]:
    """None when a real, verified handshake succeeds; else why not."""
    if proxy:
        conn = http.client.HTTPSConnection(proxy["host"], proxy["port"], context=context, timeout=timeout)
        conn.set_tunnel(host, port, headers={"Proxy-Authorization": proxy["auth"]} if proxy["auth"] else None)
    else:
        conn = http.client.HTTPSConnection(host, port, context=context, timeout=timeout)
    try:
        conn.connect()
        return None
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message or str(exc)
    except (OSError, ssl.SSLError) as exc:
        return f"no verdict: {exc}"
    finally:
        conn.close()


def _os_verdict(chain: List[bytes], host: str) -> Optional[str]:
    try:
        corptls.verify_chain(chain, host)
        return None
    except corptls.VerificationError as exc:
        return str(exc)


def _anchor(chain: List[bytes], infos: List[Any]) -> Optional[Any]:
    """The root the chain ends in: its last certificate if self-issued, else a root of the bundle."""
    if infos[-1].self_issued:
        return infos[-1]
    for root in corptls.roots():
        if root.subject == infos[-1].issuer:  # type: ignore[attr-defined]
            return _native.inspect(root.der)  # type: ignore[attr-defined]
    return None


def _interception(verdicts: Dict[str, Optional[str]], anchor: Optional[Any], infos: List[Any]) -> Dict[str, Any]:
    roots: List[Any] = corptls.roots()
    certifi_ders = {r.sha256 for r in roots if "certifi" in r.sources}
    public = verdicts["certifi"] is None or (anchor is not None and anchor.sha256 in certifi_ders)
    names = " ".join([i.issuer for i in infos] + ([anchor.subject] if anchor else [])).lower()
    product = next((name for key, name in PRODUCTS if re.search(rf"\b{key}\b", names)), None)
    if public:
        return {"detected": False}
    root = anchor.subject if anchor else infos[-1].issuer
    if verdicts["corptls"] is None:
        advice = (
            f"The chain is anchored in {root}, a root corptls trusts (from the OS store or your extra CAs) and certifi does not: "
            "run `corptls.inject()` in your program, or `corptls autoload enable` for tools you don't control."
        )
    elif anchor is not None and anchor.sha256 in {r.sha256 for r in roots}:
        advice = (
            f"The chain is anchored in {root}, a root corptls trusts, but it is still rejected "
            f"({verdicts['corptls']}): the chain itself is at fault (see the verdicts and warnings), not a "
            "missing root. Ask whoever runs the interception to fix it; do not turn verification off."
        )
    else:
        advice = (
            f"The chain is anchored in {root}, which nothing here trusts. If it is your company's "
            "inspection root, get its certificate from IT and install it in the OS store, or set "
            "CORPTLS_EXTRA_CA_CERTS=/path/to/root.pem. If not, someone is intercepting this connection: stop."
        )
    return {"detected": True, "product": product, "anchor": root, "advice": advice}


def _read(path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    with open(path, encoding="ascii") as f:
        return f.read()


def _date(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def run(url: Optional[str], as_json: bool, timeout: float) -> int:
    """Print the report; 0 only when nothing is wrong (with a URL: when corptls would verify it)."""
    import json

    try:
        report = _masks.report(url_report(url, timeout) if url else environment())
    except ValueError as exc:
        say(_masks.masked(f"corptls doctor: {exc}"))
        return 2
    if url:
        status = 0 if report.get("trusted") else 1
    else:
        status = 1 if any(f["severity"] != "note" for f in report["findings"]) else 0
    print(json.dumps(report, indent=2) if as_json else "\n".join(_text(report)))
    return status


def _interpreter_line(status: Dict[str, Any]) -> str:
    """``corptls.status()`` of the interpreter running doctor, in one line."""
    how = "injected" + (" by autoload" if status["autoloaded"] else "") if status["injected"] else "not injected"
    failed = f"; failed: {status['reason']}" if status["state"] == "failed" else ""
    return (
        f"this interpreter: corptls {how}; patches: {', '.join(status['patches']) or 'none'}; "
        f"bundle in use: {status['bundle'] or 'none'}{failed}"
    )


def _text(report: Dict[str, Any]) -> List[str]:
    if "url" not in report:
        v = report["versions"]
        lines = [
            f"corptls {v['corptls']}, Python {v['python']}, {v['openssl']}, {v['platform']}",
            *[f"autoload: {line}" for line in report["autoload"]],
            _interpreter_line(report["interpreter"]),
            f"bundle: {report['bundle'] or 'in memory only'}",
            "roots per source:",
        ]
        for source, entry in report["sources"].items():
            lines.append(f"  {entry['roots']:4d}  {source}")
            lines.extend(f"        problem: {p}" for p in entry["problems"])
        lines.append("TLS settings:" if report["settings"] else "TLS settings: none set")
        lines.extend(f"  {name}={value}" for name, value in report["settings"].items())
    else:
        lines = [f"{report['url']}" + (f" via proxy {report['proxy']}" if report["proxy"] else " (no proxy)")]
        if "error" in report:
            return lines + [f"error: {report['error']}"]
        for n, cert in enumerate(report["chain"]):
            lines += [
                f"  [{n}] {cert['subject']}",
                f"      issuer {cert['issuer']}",
                f"      valid {cert['not_before']} .. {cert['not_after']}  sha256 {cert['sha256']}",
            ]
        for name, verdict in report["verdicts"].items():
            lines.append(f"  trusted by {name:8s} {'yes' if verdict is None else 'NO: ' + verdict}")
        seen = report["interception"]
        if seen["detected"]:
            lines.append(f"TLS interception{' by ' + seen['product'] if seen['product'] else ''}: {seen['advice']}")
        lines.extend(f"warning: {s}" for s in report["strict"])
    for f in report.get("findings", []):
        lines.append(f"{f['severity']}: {f['setting']}: {f['reason']}. Fix: {f['fix']}")
    return lines
