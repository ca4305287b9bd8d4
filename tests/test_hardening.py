"""Hardening: pinned paths stay pinned, default trust is recognised honestly, a failure stays a
failure, the bundle file is never read back, autoload obeys -I/-E, doctor keeps secrets and time.

Every case runs for real: scenarios in fresh interpreters with the scrubbed environment and the
corporate root only in the OS store (a private mount namespace), the direct test servers, the
intercepting proxy and misbehaving endpoints (tests/support/faults.py). Each case has its control.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from corptls import _autoload
from tests.support import venvs
from tests.support.faults import FaultServer
from tests.support.harness import DirectServers, Scenario, Stores, run_probe
from tests.support.outcomes import UNTRUSTED, assert_fails, reported
from tests.support.pki import PKI, make_ca
from tests.support.proxy import InterceptingProxy
from tests.support.store import SCENARIOS, StoreLayout, build_store

SHIPPED_PTH = Path(__file__).resolve().parents[1] / "python" / "corptls.data" / "purelib" / _autoload.PTH_NAME
#: Where corptls is imported from (the checkout): the bare environments below get it by a .pth line.
PACKAGE_PARENT = str(Path(_autoload.__file__).resolve().parents[1])
GOOD_HOST, ROGUE_HOST = "api.corp.test", "rogue.corp.test"


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
    proc = scenario(
        "pinned_to_variable",
        variable,
        direct.good.url("localhost"),
        direct.rogue.url("localhost"),
        store=stores.corp,
        env={variable: value},
    )
    out = reported(proc)
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
    out = reported(scenario("default_builders", store=stores.corp))
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
    proc = scenario(
        "pinned_default_copy", direct.good.url("localhost"), direct.rogue.url("localhost"), store=private_default_store
    )
    out = reported(proc)
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
    proc = scenario(
        "defaults_while_not_verifying", direct.good.url("localhost"), direct.rogue.url("localhost"), store=stores.corp
    )
    out = reported(proc)
    assert_fails(out["stock"], UNTRUSTED)
    assert out["loaded"] is False  # CERT_NONE: left stock at the time
    assert out["good"] == "ok"
    assert_fails(out["rogue"], UNTRUSTED)


# ----------------------------------------------------------------------------------------------
# 9. After "OpenSSL refused the bundle" the state stays failed


def unloadable_root(path: Path) -> Path:
    """A self-signed CA whose serial number is a non-minimal INTEGER (02 02 00 01): the Rust core
    reads it as a root, OpenSSL's decoder refuses it (ASN1 "illegal padding")."""
    cert = make_ca("CorpTLS Test Unloadable Root CA", serial=1).cert
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
    out = reported(scenario("refused_bundle", direct.good.url("localhost"), store=stores.corp, env=env))
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


@pytest.mark.parametrize(
    "swap",
    [
        pytest.param("symlink", id="replaced by a symlink"),
        pytest.param("rename", id="replaced by a rename"),
        pytest.param("rewrite", id="rewritten, read by another name"),
    ],
)
def test_the_bundle_file_is_never_read_back(
    swap: str, scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI
) -> None:
    """Someone swaps the bundle file for a rogue root after inject(): in this process requests,
    httpx and urllib still trust exactly the roots in memory. After extract() the file is just a
    file: loading it then trusts the rogue root (the control: the swap is real)."""
    proc = scenario(
        "bundle_swapped",
        swap,
        pki.rogue_root_pem,
        direct.good.url("localhost"),
        direct.rogue.url("localhost"),
        store=stores.corp,
    )
    out = reported(proc)
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
    host = direct.good.address("localhost")
    probe = [SCENARIOS / "probe.py", "urllib", "stock", host]  # standalone: it runs under -I too
    done = venvs.run([hooked[hook].python, *flags, *probe], cache_dir=tmp_path, store=stores.corp, env=env)
    assert done.stderr == "", done.stdout + done.stderr
    out = reported(done)
    assert (out["corptls"] == "loaded") is trusted, out
    if trusted:
        assert out["results"]["urllib"][host] == "ok", out
    else:
        assert_fails(out["results"]["urllib"][host], UNTRUSTED)


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
    started = time.monotonic()
    proc = scenario("-m", "corptls", "doctor", *args, store=store, env=env, timeout=timeout)
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
