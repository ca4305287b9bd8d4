"""``corptls doctor [URL]``: what is wrong with TLS here, and what to do about it.

Without a URL: versions, autoload, the roots per source with their problems, and every
environment setting that affects TLS, flagging those that weaken or break verification.
With a URL: the chain the network presents (captured by the Rust core, through the proxy the
clients would use), three verdicts (certifi, the OS, corptls), TLS interception, and Python
3.13's strict verification. ``timeout`` bounds the whole check: one deadline over every step.
No output holds a credential: proxy URLs are masked (``_masks``).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import platform
import ssl
import threading
import time
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Optional, Tuple

import corptls

from . import _bundle, _hookfiles, _masks, _native, _policy, _render
from ._native import CertInfo
from ._report import EnvironmentReport, Interception, Interpreter, SourceCount, UrlReport
from ._warnings import say


def environment() -> EnvironmentReport:
    """The report without a URL."""
    status = corptls.status()  # before doctor's own collection below
    interpreter: Interpreter = {
        "injected": status.injected,
        "autoloaded": status.autoloaded,
        "patches": list(status.patches),
        "bundle": status.bundle,
        "state": status.state,
        "reason": status.reason,
    }
    bundle = _bundle.current()
    per_source: Dict[str, SourceCount] = {}
    for root in corptls.roots():
        for source in root.sources:
            per_source.setdefault(source, {"roots": 0, "problems": []})["roots"] += 1
    for label, path, message in bundle.collection.problems if bundle else ():
        text = f"{_bundle.source_text(label, path)}: {message}"
        per_source.setdefault(label, {"roots": 0, "problems": []})["problems"].append(text)
    return {
        "versions": {
            "python": platform.python_version(),
            "openssl": ssl.OPENSSL_VERSION,
            "corptls": corptls.__version__,
            "platform": platform.platform(),
        },
        "autoload": _hookfiles.status(False),
        "interpreter": interpreter,
        "bundle": bundle.path if bundle else None,
        "sources": per_source,
        "settings": {
            name: _masks.setting(name, os.environ[name])
            for name in sorted(_policy.tls_variables())
            if name in os.environ
        },
        "findings": _policy.settings_findings(os.environ),
    }


def url_report(url: str, timeout: float) -> UrlReport:
    """The report for one URL, within ``timeout`` seconds in all. Raises ValueError for a URL that
    is not https://host[:port]."""
    deadline = time.monotonic() + timeout

    def left() -> float:  # what remains of the whole check; a socket timeout of 0 would not block
        return max(0.001, deadline - time.monotonic())

    host, port = _parse(url)
    report: UrlReport = {"url": f"https://{host}:{port}/", "proxy": None}
    try:
        proxy = _proxy_for(host)
    except OSError as exc:
        report["error"] = str(exc)
        return report
    report["proxy"] = proxy["url"] if proxy else None
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
    widened = _corptls_context()
    report["verdicts"] = _by_deadline(
        deadline,
        timeout,
        {
            "certifi": (lambda: _handshake(host, port, proxy, certifi, left()))
            if certifi
            else (lambda: "certifi is not installed"),
            "os": lambda: _os_verdict(chain, host),
            "corptls": (lambda: _handshake(host, port, proxy, widened, left()))
            if widened
            else (lambda: f"corptls has no bundle: {_bundle.state()[1]}"),
        },
    )
    report["trusted"] = report["verdicts"]["corptls"] is None
    anchor = _anchor(infos)
    report["interception"] = _interception(report["verdicts"], anchor, infos)
    report["strict"] = _strict(infos, anchor)
    return report


def _strict(infos: List[CertInfo], anchor: Optional[CertInfo]) -> List[str]:
    """Per certificate of the chain and its root, the strict rules (Python 3.13+'s
    VERIFY_X509_STRICT) it breaks, and what becomes of them."""
    twinned = {r.sha256 for r in corptls.roots() if r.twin is not None}
    below = infos[:-1] if infos[-1].self_issued else infos
    relaxed = not _bundle.x509_strict()
    return [
        _policy.strict_warning(info.subject, info.strict_rules, root, info.sha256 in twinned, relaxed)
        for info, root in [(i, False) for i in below] + ([(anchor, True)] if anchor is not None else [])
        if info.strict_rules
    ]


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


def _corptls_context() -> Optional[ssl.SSLContext]:
    """What clients verify with after inject(), made from the bundle (doctor never injects into or
    extracts from the process it runs in): the stock default context's settings, every root of the
    bundle (twins in place of their originals), and the strict opt-in if in force. None when
    corptls has no bundle (it failed: clients then act stock)."""
    bundle = _bundle.current()
    if bundle is None:
        return None
    context = ssl.create_default_context(cadata=bundle.pem)  # cadata: no default paths loaded
    if not _bundle.x509_strict():
        context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return context


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


def _anchor(infos: List[CertInfo]) -> Optional[CertInfo]:
    """The root the chain ends in: its last certificate if self-issued, else a root of the bundle."""
    if infos[-1].self_issued:
        return infos[-1]
    for root in corptls.roots():
        if root.subject == infos[-1].issuer:
            return _native.inspect(root.der)
    return None


def _interception(
    verdicts: Dict[str, Optional[str]], anchor: Optional[CertInfo], infos: List[CertInfo]
) -> Interception:
    roots = corptls.roots()
    certifi_ders = {r.sha256 for r in roots if "certifi" in r.sources}
    public = verdicts["certifi"] is None or (anchor is not None and anchor.sha256 in certifi_ders)
    names = " ".join([i.issuer for i in infos] + ([anchor.subject] if anchor else []))
    product = _policy.product(names)
    if public:
        return {"detected": False}
    root = anchor.subject if anchor else infos[-1].issuer
    trusted_root = anchor is not None and anchor.sha256 in {r.sha256 for r in roots}
    advice = _policy.interception_advice(root, verdicts["corptls"], trusted_root)
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

    report: object
    try:
        if url:
            checked: UrlReport = _masks.report(url_report(url, timeout))
            status, lines, report = (0 if checked.get("trusted") else 1), _render.url_text(checked), checked
        else:
            here: EnvironmentReport = _masks.report(environment())
            status = 1 if any(f["severity"] != "note" for f in here["findings"]) else 0
            lines, report = _render.environment_text(here), here
    except ValueError as exc:
        say(_masks.masked(f"corptls doctor: {exc}"))
        return 2
    print(json.dumps(report, indent=2) if as_json else "\n".join(lines))
    return status


#: The longest --timeout: beyond it a number is a typo, and socket and time APIs overflow.
MAX_TIMEOUT = 3600.0


def add_parser(commands: "argparse._SubParsersAction[Any]") -> None:
    """``corptls doctor [URL] [--json] [--timeout S]``."""
    doctor = commands.add_parser("doctor", help="diagnose TLS here, or the connection to one URL")
    doctor.add_argument("url", nargs="?", help="https://host[:port]: capture and judge the chain presented")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument(
        "--timeout",
        type=_seconds,
        default=10.0,
        help=f"seconds for the whole check, at most {MAX_TIMEOUT:g} (default 10)",
    )
    doctor.set_defaults(run=lambda a: run(a.url, a.json, a.timeout))


def _seconds(text: str) -> float:
    """``--timeout``: seconds, more than 0 and at most MAX_TIMEOUT (NaN, inf and garbage refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= MAX_TIMEOUT:  # NaN fails too
        raise argparse.ArgumentTypeError(f"{text!r} seconds: give more than 0 and at most {MAX_TIMEOUT:g}")
    return value
