"""Hardening: pinned paths stay pinned, default trust is recognised honestly, a failure stays a
failure, the bundle file is never read back, autoload obeys -I/-E, doctor keeps secrets and time.

Every case runs for real: scenarios in fresh interpreters with the scrubbed environment and the
corporate root only in the OS store (a private mount namespace), the direct test servers, the
intercepting proxy and misbehaving endpoints (tests/support/faults.py). Each case has its control.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import subprocess
import textwrap
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from corptls import _autoload
from tests.support import venvs
from tests.support.faults import FaultServer
from tests.support.harness import DirectServers, Scenario, Stores, run_probe
from tests.support.outcomes import UNTRUSTED, assert_fails
from tests.support.pki import PKI
from tests.support.proxy import InterceptingProxy
from tests.support.store import StoreLayout, build_store

SHIPPED_PTH = Path(__file__).resolve().parents[1] / "python" / "corptls.data" / "purelib" / _autoload.PTH_NAME
#: Where corptls is imported from (the checkout): the bare environments below get it by a .pth line.
PACKAGE_PARENT = str(Path(_autoload.__file__).resolve().parents[1])
GOOD_HOST, ROGUE_HOST = "api.corp.test", "rogue.corp.test"

# Runs first in every scenario: warnings recorded, `get(url, context)` says "ok" or why not.
PRELUDE = r"""
import json, os, ssl, sys, urllib.request, warnings
_recorder = warnings.catch_warnings(record=True)
_warned = _recorder.__enter__()
warnings.simplefilter("always")
with open("/etc/ssl/certs/corptls-test-corporate-root.pem") as _f:
    CORP = ssl.PEM_cert_to_DER_cert(_f.read())
out = {}

def has_corp(context):
    return CORP in context.get_ca_certs(binary_form=True)

def outcome(call):
    try:
        call()
        return "ok"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

def get(url, context=None):
    return outcome(lambda: urllib.request.urlopen(url, context=context, timeout=10).read())

def read(path):
    with open(path) as f:
        return f.read()
"""
EPILOGUE = r"""
out["warnings"] = [str(w.message) for w in _warned]
print(json.dumps(out))
"""


def run(
    scenario: Scenario, body: str, *, store: StoreLayout, env: Mapping[str, str | None] | None = None, **names: Any
) -> dict[str, Any]:
    """PRELUDE, then ``NAME = value`` for each keyword, then ``body``; returns ``out``."""
    constants = "".join(f"{name} = {value!r}\n" for name, value in names.items())
    proc = scenario("-c", PRELUDE + constants + textwrap.dedent(body) + EPILOGUE, store=store, env=env, timeout=120)
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def subject_hash_dir(directory: Path, pem: Path) -> Path:
    """`directory` holding `pem` under OpenSSL's hashed name, as a capath needs it."""
    directory.mkdir()
    digest = subprocess.run(
        ["openssl", "x509", "-subject_hash", "-noout", "-in", str(pem)], capture_output=True, text=True, check=True
    ).stdout.strip()
    (directory / f"{digest}.0").write_bytes(pem.read_bytes())
    return directory


# ----------------------------------------------------------------------------------------------
# 3. $SSL_CERT_FILE / $SSL_CERT_DIR are the user's choice: a context pinned to them stays pinned


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_a_context_pinned_to_the_variable_is_not_widened(
    variable: str, scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI, tmp_path: Path
) -> None:
    value = str(
        pki.rogue_root_pem if variable == "SSL_CERT_FILE" else subject_hash_dir(tmp_path / "certs", pki.rogue_root_pem)
    )
    out = run(
        scenario,
        """
        pin = {"cafile" if VARIABLE == "SSL_CERT_FILE" else "capath": os.environ[VARIABLE]}
        out["stock"] = get(GOOD)  # the control: the variable alone holds the private root only
        import corptls
        corptls.inject()
        out["default"] = get(GOOD)  # default trust is widened, the variable's root in it
        pinned = ssl.create_default_context(**pin)
        out["pinned"] = {"good": get(GOOD, pinned), "rogue": get(ROGUE, pinned)}
    """,
        store=stores.corp,
        env={variable: value},
        VARIABLE=variable,
        GOOD=direct.good.url("localhost"),
        ROGUE=direct.rogue.url("localhost"),
    )
    assert_fails(out["stock"], UNTRUSTED)
    assert out["default"] == "ok"
    assert_fails(out["pinned"]["good"], UNTRUSTED)
    assert out["pinned"]["rogue"] == "ok"  # exactly its owner's root


@pytest.mark.parametrize(
    ("client", "variable"),
    [
        ("httpx", "SSL_CERT_FILE"),
        ("httpx", "SSL_CERT_DIR"),
        ("httpx2", "SSL_CERT_FILE"),
        ("httpx2", "SSL_CERT_DIR"),
        ("openai", "SSL_CERT_FILE"),
        ("litellm", "SSL_CERT_FILE"),
    ],
)
def test_a_client_default_read_from_the_variable_is_widened(
    client: str,
    variable: str,
    scenario: Scenario,
    stores: Stores,
    proxy_env: dict[str, str | None],
    pki: PKI,
    tmp_path: Path,
) -> None:
    """httpx, httpx2 (so the openai SDK) and litellm read the variable only to build their default
    context: that default is widened, as every default is (a private root unrelated to the chains)."""
    value = str(
        pki.origin_root_pem
        if variable == "SSL_CERT_FILE"
        else subject_hash_dir(tmp_path / "certs", pki.origin_root_pem)
    )
    env = {**proxy_env, variable: value}
    stock = run_probe(scenario, client, "stock", GOOD_HOST, store=stores.corp, env=env).results[client]
    assert_fails(stock[GOOD_HOST], UNTRUSTED)
    result = run_probe(scenario, client, "inject", GOOD_HOST, ROGUE_HOST, store=stores.corp, env=env).results[client]
    assert result[GOOD_HOST] == "ok"
    assert_fails(result[ROGUE_HOST], UNTRUSTED)


def test_extract_restores_the_default_builders(scenario: Scenario, stores: Stores) -> None:
    out = run(
        scenario,
        """
        import httpx, httpx2, httpcore2, httpcore2._sync.connection, litellm
        from litellm.llms.custom_httpx import http_handler
        def builders():
            return [httpx.create_ssl_context, httpx._config.create_ssl_context,
                    httpx._transports.default.create_ssl_context, httpcore2.default_ssl_context,
                    httpcore2._ssl.default_ssl_context, httpcore2._sync.connection.default_ssl_context,
                    http_handler.get_ssl_verify]
        before = builders()
        import corptls
        corptls.inject()
        out["patched"] = [now is not then for now, then in zip(builders(), before)]
        corptls.extract()
        out["restored"] = [now is then for now, then in zip(builders(), before)]
    """,
        store=stores.corp,
    )
    assert out["patched"] == [True] * 7 and out["restored"] == [True] * 7, out


# ----------------------------------------------------------------------------------------------
# 4. Default trust is certifi's exact set, or OpenSSL's defaults *loaded as the default*


@pytest.fixture(scope="module")
def private_default_store(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> StoreLayout:
    """A container's store: OpenSSL's default file holds one private root (the rogue one here);
    the corporate root is a loose file of the OS store, as everywhere in these tests."""
    layout = build_store(tmp_path_factory.mktemp("stores") / "private-default", corp_root_pem=pki.corp_root_pem)
    default_file = layout.path / "ca-certificates.crt"
    default_file.unlink()
    default_file.write_bytes(pki.rogue_root_pem.read_bytes())
    return layout


def test_a_context_pinned_to_a_copy_of_the_default_file_is_not_upgraded(
    scenario: Scenario, private_default_store: StoreLayout, direct: DirectServers
) -> None:
    out = run(
        scenario,
        """
        import shutil, tempfile
        copy = os.path.join(tempfile.mkdtemp(), "pinned.pem")
        shutil.copyfile(ssl.get_default_verify_paths().openssl_cafile, copy)
        pinned = ssl.create_default_context(cafile=copy)  # before inject(): its CAs equal the default file's
        out["pinned_cas"] = len(pinned.get_ca_certs())
        out["stock"] = get(GOOD)
        import corptls
        corptls.inject()
        out["sources"] = sorted({s for r in corptls.roots() for s in r.sources})
        out["default"] = get(GOOD)
        out["pinned"] = {"good": get(GOOD, pinned), "rogue": get(ROGUE, pinned)}
    """,
        store=private_default_store,
        GOOD=direct.good.url("localhost"),
        ROGUE=direct.rogue.url("localhost"),
    )
    assert out["pinned_cas"] == 1 and "openssl-file" in out["sources"], out  # the set-up is what it claims
    assert_fails(out["stock"], UNTRUSTED)
    assert out["default"] == "ok"
    assert_fails(out["pinned"]["good"], UNTRUSTED)
    assert out["pinned"]["rogue"] == "ok"


def test_default_paths_loaded_while_not_verifying_are_upgraded_once_it_verifies(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    """A context that asked for default trust while CERT_NONE (left stock then) and verifies later
    gets the bundle at its first handshake: corptls saw it load the defaults."""
    out = run(
        scenario,
        """
        def defaults_then_verify():
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.load_default_certs()
            loaded = has_corp(context)
            context.verify_mode = ssl.CERT_REQUIRED
            context.check_hostname = True
            return loaded, context
        _, stock = defaults_then_verify()
        out["stock"] = get(GOOD, stock)
        import corptls
        corptls.inject()
        out["loaded"], context = defaults_then_verify()
        out["good"], out["rogue"] = get(GOOD, context), get(ROGUE, context)
    """,
        store=stores.corp,
        GOOD=direct.good.url("localhost"),
        ROGUE=direct.rogue.url("localhost"),
    )
    assert_fails(out["stock"], UNTRUSTED)
    assert out["loaded"] is False  # CERT_NONE: left stock at the time
    assert out["good"] == "ok"
    assert_fails(out["rogue"], UNTRUSTED)


# ----------------------------------------------------------------------------------------------
# 9. After "OpenSSL refused the bundle" the state stays failed


def unloadable_root(path: Path) -> Path:
    """A self-signed CA whose serial number is a non-minimal INTEGER (02 02 00 01): the Rust core
    reads it as a root, OpenSSL's decoder refuses it (ASN1 "illegal padding")."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CorpTLS Test Unloadable Root CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)

    def split(data: bytes) -> tuple[bytes, bytes]:  # (content of the first TLV, what follows it)
        length, start = data[1], 2
        if length & 0x80:
            length, start = int.from_bytes(data[2 : 2 + (length & 0x7F)], "big"), 2 + (length & 0x7F)
        return data[start : start + length], data[start + length :]

    def header(tag: int, content: bytes) -> bytes:  # DER; a two-byte long form covers this certificate
        if len(content) < 128:
            return bytes([tag, len(content)])
        return bytes([tag, 0x82]) + len(content).to_bytes(2, "big")

    outer, _ = split(der)
    tbs, rest = split(outer)
    version_and_serial = bytes.fromhex("a003020102020101")
    assert tbs.startswith(version_and_serial)
    tbs = bytes.fromhex("a00302010202020001") + tbs[len(version_and_serial) :]
    inner = header(0x30, tbs) + tbs + rest
    path.write_text(ssl.DER_cert_to_PEM_cert(header(0x30, inner) + inner))
    return path


@pytest.mark.parametrize("unloadable", [True, False], ids=["OpenSSL refuses", "control"])
def test_a_refused_bundle_stays_refused(
    unloadable: bool, scenario: Scenario, stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    env = {"CORPTLS_EXTRA_CA_CERTS": str(unloadable_root(tmp_path / "unloadable.pem"))} if unloadable else None
    out = run(
        scenario,
        """
        import corptls
        corptls.inject()
        import httpx, requests  # imported while injected: requests binds the bundle's path
        out["collected"] = sum("Unloadable" in r.subject for r in corptls.roots())
        out["first"] = has_corp(ssl.create_default_context())  # the first load of the bundle into OpenSSL
        out["roots"] = len(corptls.roots())
        out["path"] = corptls.bundle_path()
        corptls.inject()
        corptls.inject(export_env=True)
        out["SSL_CERT_FILE"] = os.environ.get("SSL_CERT_FILE")
        out["later"] = has_corp(ssl.create_default_context())
        out["urllib"] = get(GOOD)
        out["requests"] = outcome(lambda: requests.get(GOOD, timeout=10).raise_for_status())
        out["httpx"] = outcome(lambda: httpx.get(GOOD, timeout=10).raise_for_status())
        out["state"] = list(corptls._bundle.state())
    """,
        store=stores.corp,
        env=env,
        GOOD=direct.good.url("localhost"),
    )
    refused = [w for w in out["warnings"] if w.startswith("corptls: OpenSSL refused the bundle")]
    if not unloadable:
        assert out["first"] and out["later"] and out["roots"] > 0 and out["SSL_CERT_FILE"] == out["path"], out
        assert out["urllib"] == out["requests"] == out["httpx"] == "ok", out
        assert out["state"] == ["ready", ""] and not refused, out
        return
    assert out["collected"] == 1, "the Rust core no longer keeps this root: find another one OpenSSL refuses"
    assert len(refused) == 1 and "Python's default trust is used" in refused[0], out["warnings"]
    ours = [w for w in out["warnings"] if w.startswith("corptls")]
    assert len(ours) == 2 and ours[1].startswith("corptls: export_env: no variable was set: OpenSSL refused"), ours
    assert out["roots"] == 0 and out["path"] is None and out["SSL_CERT_FILE"] is None, out
    assert out["later"] is False, out
    for client in ("urllib", "requests", "httpx"):
        assert_fails(out[client], UNTRUSTED)
    state, reason = out["state"]
    assert state == "failed" and reason.startswith("OpenSSL refused the bundle (SSLError("), out["state"]


# ----------------------------------------------------------------------------------------------
# 1. The bundle file corptls handed out is never read back


@pytest.mark.parametrize("swap", ["replaced by a symlink", "replaced by a rename", "rewritten, read by another name"])
def test_the_bundle_file_is_never_read_back(
    swap: str, scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI
) -> None:
    """Someone swaps the bundle file for a rogue root after inject(): in this process requests,
    httpx and urllib still trust exactly the roots in memory. After extract() the file is just a
    file: loading it then trusts the rogue root (the control: the swap is real)."""
    out = run(
        scenario,
        """
        import certifi, httpx, requests
        import corptls
        corptls.inject()
        path = corptls.bundle_path()
        rogue = read(ROGUE_PEM)
        name = path
        if SWAP == "replaced by a symlink":
            os.remove(path)
            os.symlink(ROGUE_PEM, path)
        elif SWAP == "replaced by a rename":
            with open(path + ".new", "w") as f:
                f.write(rogue)
            os.replace(path + ".new", path)
        else:  # the same file (device and inode) under another name, its content rewritten in place
            name = path + ".link"
            os.link(path, name)
            with open(path, "r+") as f:
                f.truncate()
                f.write(rogue)
        out["swapped"] = read(name) == rogue and certifi.where() == path
        default = name == path  # the clients' own default path, or the caller names the file
        fetch = {
            "requests": lambda url: requests.get(url, verify=True if default else name, timeout=10).raise_for_status(),
            "httpx": lambda url: httpx.get(url, timeout=10, **({} if default else
                                           {"verify": ssl.create_default_context(cafile=name)})).raise_for_status(),
            "urllib": lambda url: urllib.request.urlopen(url, context=ssl.create_default_context(cafile=name),
                                                         timeout=10).read(),
        }
        out["clients"] = {c: {"good": outcome(lambda: f(GOOD)), "rogue": outcome(lambda: f(ROGUE))}
                          for c, f in fetch.items()}
        corptls.extract()
        out["extracted"] = get(ROGUE, ssl.create_default_context(cafile=name))
    """,
        store=stores.corp,
        SWAP=swap,
        ROGUE_PEM=str(pki.rogue_root_pem),
        GOOD=direct.good.url("localhost"),
        ROGUE=direct.rogue.url("localhost"),
    )
    assert out["swapped"], out
    for client, result in out["clients"].items():
        assert result["good"] == "ok", (client, result)
        assert_fails(result["rogue"], UNTRUSTED)
    assert out["extracted"] == "ok", out


# ----------------------------------------------------------------------------------------------
# 11. Autoload under -I and -E: the environment cannot switch it on, and can still switch it off


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, venvs.Venv]:
    """Bare environments with the hook in site-packages: the shipped (switched off) one, and the
    one `corptls autoload enable` writes; corptls itself from the checkout, by a .pth line."""
    made = {}
    for name, text in (("shipped", SHIPPED_PTH.read_text()), ("enabled", _autoload.pth_text(True))):
        venv = venvs.create_venv(tmp_path_factory.mktemp(name) / "venv")
        (venv.site_packages / _autoload.PTH_NAME).write_text(text)
        (venv.site_packages / "zz-corptls.pth").write_text(PACKAGE_PARENT + "\n")
        made[name] = venv
    return made


AUTOLOAD_PROGRAM = r"""
import json, sys, urllib.request
try:
    urllib.request.urlopen(URL, timeout=10).read()
    request = "ok"
except Exception as exc:
    request = str(exc)
print(json.dumps({"loaded": "corptls" in sys.modules, "request": request}))
"""

FLAGS = {
    # name: (hook, interpreter flags, variables, does corptls load and trust the OS store?)
    "CORPTLS_AUTOLOAD=1 (control)": ("shipped", [], {"CORPTLS_AUTOLOAD": "1"}, True),
    "CORPTLS_AUTOLOAD=1 under -E": ("shipped", ["-E"], {"CORPTLS_AUTOLOAD": "1"}, False),
    "CORPTLS_AUTOLOAD=1 under -I": ("shipped", ["-I"], {"CORPTLS_AUTOLOAD": "1"}, False),
    "enabled, under -I": ("enabled", ["-I"], {}, True),
    "enabled, CORPTLS_DISABLE=1 under -E": ("enabled", ["-E"], {"CORPTLS_DISABLE": "1"}, False),
    "enabled, CORPTLS_DISABLE=1 under -I": ("enabled", ["-I"], {"CORPTLS_DISABLE": "1"}, False),
}


@pytest.mark.parametrize("case", list(FLAGS))
def test_autoload_under_isolated_and_ignore_environment(
    case: str, hooked: dict[str, venvs.Venv], stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    hook, flags, env, trusted = FLAGS[case]
    code = f"URL = {direct.good.url('localhost')!r}\n" + AUTOLOAD_PROGRAM
    done = venvs.run([hooked[hook].python, *flags, "-c", code], cache_dir=tmp_path, store=stores.corp, env=env)
    assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["loaded"] is trusted, report
    if trusted:
        assert report["request"] == "ok", report
    else:
        assert UNTRUSTED in report["request"], report


def test_the_shipped_hook_is_current() -> None:
    assert SHIPPED_PTH.read_text() == _autoload.pth_text(False)


# ----------------------------------------------------------------------------------------------
# 13-15. corptls doctor: no password in any output; --timeout bounds everything; bad numbers


SECRET = "s3cr3t-Pa55"


def doctor(
    scenario: Scenario,
    *args: str,
    store: StoreLayout | None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 60,
) -> tuple[subprocess.CompletedProcess[str], float]:
    """`python -m corptls doctor ARGS` in a scenario; (the process, its wall time)."""
    code = (
        f"import runpy, sys\nsys.argv = ['corptls', 'doctor', *{list(args)!r}]\n"
        "runpy.run_module('corptls', run_name='__main__', alter_sys=True)"
    )
    started = time.monotonic()
    proc = scenario("-c", code, store=store, env=env, timeout=timeout)
    return proc, time.monotonic() - started


@pytest.fixture(scope="module")
def forbidden() -> Iterator[FaultServer]:
    server = FaultServer("forbidden").start()
    yield server
    server.stop()


def test_doctor_masks_proxy_credentials_without_a_url(scenario: Scenario, stores: Stores) -> None:
    env = {
        "HTTPS_PROXY": f"http://alice:{SECRET}@proxy.corp.test:3128",
        "https_proxy": f"http://alice:{SECRET}@p:1",
        "HTTP_PROXY": f"alice:{SECRET}@proxy.corp.test:3128",  # no scheme: still a proxy URL to the clients
        "http_proxy": f"http://{SECRET}@p:1",  # a lone user name is often a token
        "ALL_PROXY": f"socks5://bob:{SECRET}@socks.corp.test:1080",
        "all_proxy": f"socks5h://bob:{SECRET}@s:1",
    }
    text, _ = doctor(scenario, store=stores.corp, env=env)
    report, _ = doctor(scenario, "--json", store=stores.corp, env=env)
    for proc in (text, report):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert SECRET not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert json.loads(report.stdout)["settings"] == {
        "ALL_PROXY": "socks5://bob:***@socks.corp.test:1080",
        "HTTPS_PROXY": "http://alice:***@proxy.corp.test:3128",
        "HTTP_PROXY": "alice:***@proxy.corp.test:3128",
        "all_proxy": "socks5h://bob:***@s:1",
        "http_proxy": "http://***@p:1",
        "https_proxy": "http://alice:***@p:1",
    }
    assert "  HTTPS_PROXY=http://alice:***@proxy.corp.test:3128" in text.stdout.splitlines()


@pytest.mark.parametrize("proxy_kind", ["intercepting", "forbidden", "https://"])
def test_doctor_masks_proxy_credentials_with_a_url(
    proxy_kind: str, scenario: Scenario, stores: Stores, proxy: InterceptingProxy, forbidden: FaultServer
) -> None:
    port = {"intercepting": proxy.port, "forbidden": forbidden.port, "https://": forbidden.port}[proxy_kind]
    scheme = "https" if proxy_kind == "https://" else "http"
    url = f"{scheme}://alice:{SECRET}@127.0.0.1:{port}"
    for output in ([], ["--json"]):
        done, _ = doctor(
            scenario,
            "https://api.corp.test",
            "--timeout",
            "10",
            *output,
            store=stores.corp,
            env={"HTTPS_PROXY": url, "https_proxy": url},
        )
        assert done.returncode == (0 if proxy_kind == "intercepting" else 1), done.stdout + done.stderr
        assert SECRET not in done.stdout + done.stderr, done.stdout + done.stderr


def test_doctor_timeout_bounds_the_whole_run_through_a_dripping_proxy(
    scenario: Scenario, stores: Stores, pki: PKI
) -> None:
    """The proxy answers the capture's CONNECT, then drips its answers to the verdict handshakes one
    byte every half second: a per-read timeout never fires, the deadline does."""
    server = FaultServer("drip", pki.server_context(GOOD_HOST)).start()
    try:
        done, elapsed = doctor(
            scenario,
            f"https://{GOOD_HOST}",
            "--timeout",
            "4",
            "--json",
            store=stores.corp,
            env={"HTTPS_PROXY": server.proxy_url},
            timeout=40,
        )
    finally:
        server.stop()
    assert elapsed <= 4 + 2.5, f"{elapsed:.1f}s\n{done.stdout}\n{done.stderr}"
    assert done.returncode == 1 and done.stderr == "", done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["chain"][0]["subject"] == f"CN={GOOD_HOST}"  # the capture itself got through
    connects = sum(n for line, n in server.requests.items() if line.startswith(f"CONNECT {GOOD_HOST}:443 "))
    assert connects == 3, server.requests  # the capture and both handshakes
    for name in ("certifi", "corptls"):
        assert report["verdicts"][name] == "no verdict: timed out after 4s", report["verdicts"]


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "-inf", "1e18", "1.8e19", "ten"])
@pytest.mark.parametrize("url", [[], ["https://127.0.0.1:9"]], ids=["without a URL", "with a URL"])
def test_doctor_rejects_a_bad_timeout_in_one_line(value: str, url: list[str], scenario: Scenario) -> None:
    done, _ = doctor(scenario, *url, "--timeout", value, store=None)
    assert (done.returncode, done.stdout) == (2, ""), done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("corptls doctor: ") and "--timeout" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "panic" not in done.stderr


def test_doctor_accepts_a_fractional_timeout(scenario: Scenario, direct: DirectServers, stores: Stores) -> None:
    done, _ = doctor(scenario, direct.good.url("localhost"), "--timeout", "2.5", store=stores.corp)
    assert done.returncode == 0, done.stdout + done.stderr
