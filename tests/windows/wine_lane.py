"""The Windows lane: corptls in a real Windows CPython under Wine, against the Windows store.

Run by scripts/test-windows (`pytest tests/windows/wine_lane.py`; the file name keeps it out of
the Linux suite's collection). The Linux side serves every TLS endpoint on 127.0.0.1 (the
corporate intercepting proxy of tests/support, direct servers, a CRL server); the Windows side
runs scenarios as `wine python.exe ...` subprocesses with a scrubbed environment. The corporate
root is only in the Windows store (HKLM Root, through the registry): a stock client that reads
certifi must fail, and each success is checked against a control that fails without it.

Faithful to Windows, and asserted as such: CPython's own `ssl.create_default_context()` loads
the Windows ROOT and CA stores (`load_default_certs`), so stock urllib and aiohttp already trust
the corporate root there; requests and httpx (certifi) do not.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.origin import OriginServer
from tests.support.outcomes import assert_verify_failed
from tests.support.pki import PKI
from tests.support.proxy import InterceptingProxy
from tests.windows.revocation import CRL_PATH, ROGUE_CRL_PATH, CrlServer, crl_distribution_point, revocable_chain
from tests.windows.winepy import DRIVE_C, WindowsStore, WinePython, linux_path, parse_json, windows_path, wine

GOOD, ROGUE, EXPIRED, WRONGNAME = "api.corp.test", "rogue.corp.test", "expired.corp.test", "wrongname.corp.test"
HOSTS = (GOOD, ROGUE, EXPIRED, WRONGNAME)
#: OpenSSL's reason (in the Windows CPython) for each bad chain.
REASONS = {
    ROGUE: "unable to get local issuer certificate",
    EXPIRED: "certificate has expired",
    WRONGNAME: "Hostname mismatch",
}
CERTIFI_CLIENTS = ("requests", "httpx", "httpx-async")  # trust certifi, not the Windows store
STORE_CLIENTS = ("urllib", "aiohttp")  # ssl.create_default_context(): CPython reads the Windows store
CLIENTS = STORE_CLIENTS + CERTIFI_CLIENTS
# CryptoAPI errors as rustls-platform-verifier reports them (mapped, or "OS Error <HRESULT>").
CERT_E_UNTRUSTEDROOT = -2146762487  # 0x800B0109
CERT_E_EXPIRED = -2146762495  # 0x800B0101
CERT_E_CN_NO_MATCH = -2146762481  # 0x800B010F


def sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def pem_of(der: bytes) -> str:
    return ssl.DER_cert_to_PEM_cert(der)


@pytest.fixture(scope="session")
def env(proxy: InterceptingProxy) -> dict[str, str | None]:
    return {"HTTPS_PROXY": proxy.url, "https_proxy": proxy.url}


@pytest.fixture
def windows_tmp(tmp_path: Path) -> Path:
    """A per-test directory on C: with a space in its name."""
    path = DRIVE_C / "corptls tmp" / tmp_path.name
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- The Rust core's unit tests, as a Windows executable.


def test_rust_unit_tests_pass_under_wine(lane: WinePython, rust_tests_exe: Path) -> None:
    """The cargo test binary for x86_64-pc-windows-gnu; python3.dll comes from the lane's CPython.
    Run from a directory on C:, as on Windows (Z: would map Linux paths like /etc/ssl/certs)."""
    cwd = DRIVE_C / "corptls-cwd"
    cwd.mkdir(exist_ok=True)
    proc = wine(
        [rust_tests_exe], env={"WINEPATH": windows_path(lane.home), "RUST_BACKTRACE": "0"}, cwd=cwd, timeout=300
    )
    failed = re.findall(r"^test (\S+) \.\.\. FAILED", proc.stdout, re.M)
    summary = re.findall(r"^test result: .*$", proc.stdout, re.M)
    assert proc.returncode == 0 and summary, f"failed: {failed} {summary}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"


# --- Where the corporate root is (the Windows store only), and the controls.


def test_corporate_root_is_only_in_the_windows_store(lane: WinePython, pki: PKI, corp_root_in_store: bytes) -> None:
    intermediate = ssl.PEM_cert_to_DER_cert(pki.corp_intermediate_pem.read_text())
    rogue = ssl.PEM_cert_to_DER_cert(pki.rogue_root_pem.read_text())
    report = parse_json(
        lane.scenario("roots", sha256(corp_root_in_store), sha256(intermediate), sha256(rogue)), "roots"
    )
    assert report["sources"] == {sha256(corp_root_in_store): ["os"], sha256(intermediate): None, sha256(rogue): None}
    assert report["counts"].get("os", 0) > 50 and report["counts"].get("certifi", 0) > 50, report["counts"]


@pytest.mark.parametrize("mode", ["stock", "inject"])
def test_without_the_root_in_the_store_nothing_verifies(
    lane: WinePython, env: dict[str, str | None], corp_root_absent: None, mode: str
) -> None:
    """The control of every success below: no client trusts the corporate chain, with corptls or
    without, once the root is out of the Windows store (so nothing else hands it to them)."""
    for client in CLIENTS:
        outcome = lane.probe(client, mode, GOOD, env=env)[GOOD]
        assert_verify_failed(outcome, "unable to get local issuer certificate")


@pytest.mark.parametrize("client", CLIENTS)
def test_stock_clients(lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, client: str) -> None:
    """Without corptls: certifi's clients fail; urllib and aiohttp verify (CPython reads the store)."""
    result = lane.probe(client, "stock", *HOSTS, env=env)
    if client in CERTIFI_CLIENTS:
        for host in HOSTS:
            assert_verify_failed(result[host], "unable to get local issuer certificate")
    else:
        assert result[GOOD] == "ok", result
        for host, reason in REASONS.items():
            assert_verify_failed(result[host], reason)


@pytest.mark.parametrize("client", CLIENTS)
def test_injected_clients_verify_and_still_refuse_bad_chains(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, client: str
) -> None:
    result = lane.probe(client, "inject", *HOSTS, env=env)
    assert result[GOOD] == "ok", result
    for host, reason in REASONS.items():
        assert_verify_failed(result[host], reason)


def test_a_widened_context_parses_no_root_up_front(lane: WinePython, corp_root_in_store: bytes) -> None:
    """Windows has no default directory of its own: stock parses every store root in every context;
    corptls's contexts get its hashed directory under LocalAppData and parse none (the clients
    above verify through it). inject() says nothing: the OpenSSL default paths python.org's build
    names do not exist on Windows, and no store is missing."""
    proc = lane.scenario("contexts")
    out = parse_json(proc, "contexts")
    assert proc.stderr == "", proc.stderr
    assert out["stock"] > 50 and out["up_front"] == 0, out
    assert re.fullmatch(r"C:\\users\\[^\\]+\\AppData\\Local\\corptls\\certs-[0-9a-f]{32}", out["capath"], re.I), out
    assert out["files"] == out["roots"] > 50, out


def test_a_chosen_cache_directory_is_never_read_lazily(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, windows_tmp: Path
) -> None:
    """Only LocalAppData's ACL is known to keep other users out: with CORPTLS_CACHE_DIR a context
    takes every root up front, from memory, and still verifies."""
    chosen = {**env, "CORPTLS_CACHE_DIR": windows_path(windows_tmp / "cache")}
    out = parse_json(lane.scenario("contexts", env=chosen), "contexts")
    assert out["capath"] is None and out["up_front"] > 50, out
    assert lane.probe("urllib", "inject", GOOD, env=chosen)[GOOD] == "ok"


@pytest.mark.parametrize("client", ["requests", "httpx"])
def test_clients_built_before_inject_and_after_extract(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, client: str
) -> None:
    prebuilt = lane.probe(client, "prebuilt", GOOD, env=env)
    assert "CERTIFICATE_VERIFY_FAILED" in prebuilt["before"] and prebuilt[GOOD] == "ok", prebuilt
    extracted = lane.probe(client, "extract", GOOD, env=env)
    assert extracted["during"] == "ok" and "CERTIFICATE_VERIFY_FAILED" in extracted[GOOD], extracted


# --- Autoload: an unmodified program (the probe in "stock" mode never imports corptls).


@pytest.mark.parametrize("how", ["pth", "sitecustomize"])
def test_autoload_makes_an_unmodified_script_verify(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, how: str
) -> None:
    flag = ["--sitecustomize"] if how == "sitecustomize" else []
    before = lane.probe("requests", "stock", GOOD, env=env)[GOOD]
    assert "CERTIFICATE_VERIFY_FAILED" in before, before
    enable = lane.run("-m", "corptls", "autoload", "enable", *flag)
    assert enable.returncode == 0 and "Traceback" not in enable.stderr, enable
    where = lane.site_packages / ("sitecustomize.py" if flag else "corptls_autoload.pth")
    assert windows_path(where) in enable.stdout, enable.stdout
    try:
        status = lane.run("-m", "corptls", "autoload", "status")
        assert status.returncode == 0, status
        if not flag:
            assert f"{windows_path(where)}: enabled" in status.stdout, status.stdout
        result = lane.probe("requests", "stock", *HOSTS, env=env)
        assert result[GOOD] == "ok", result
        for host, reason in REASONS.items():
            assert_verify_failed(result[host], reason)
        off = lane.probe("requests", "stock", GOOD, env={**env, "CORPTLS_DISABLE": "1"})[GOOD]
        assert "CERTIFICATE_VERIFY_FAILED" in off, off
    finally:
        disable = lane.run("-m", "corptls", "autoload", "disable", *flag)
    assert disable.returncode == 0, disable
    after = lane.probe("requests", "stock", GOOD, env=env)[GOOD]
    assert "CERTIFICATE_VERIFY_FAILED" in after, after


def test_no_standard_streams_under_pythonw(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, windows_tmp: Path
) -> None:
    """pythonw.exe, detached: sys.stdout and sys.stderr are None. inject() and the autoload hook
    must cope (on Windows the default OpenSSL paths do not exist, so corptls has problems to report).
    The hook is enabled by a file: this CPython is the embeddable build, isolated by its ._pth
    file, so CORPTLS_AUTOLOAD=1 is ignored there as under python -I."""
    for mode in ("inject", "autoload"):
        out = windows_tmp / f"{mode}.json"
        if mode == "autoload":
            assert lane.run("-m", "corptls", "autoload", "enable").returncode == 0
        try:
            proc = lane.run(Path(__file__).parent / "scenarios" / "no_stderr.py", out, mode, GOOD, env=env)
        finally:
            if mode == "autoload":
                assert lane.run("-m", "corptls", "autoload", "disable").returncode == 0
        assert proc.returncode == 0 and out.is_file(), (mode, proc)
        result = json.loads(out.read_text(encoding="utf-8"))
        assert result["stdout_is_none"] and result["stderr_is_none"], result
        assert result["fetch"] == "ok" and result["injected"], (mode, result)


def test_the_embeddable_cpython_ignores_corptls_autoload_as_python_i_does(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes
) -> None:
    """Its ._pth file makes it isolated (-I): the variable must not switch corptls on."""
    outcome = lane.probe("requests", "stock", GOOD, env={**env, "CORPTLS_AUTOLOAD": "1"})[GOOD]
    assert "CERTIFICATE_VERIFY_FAILED" in outcome, outcome


# --- The Disallowed store wins over Root.


def test_disallowed_root_is_not_a_root(lane: WinePython, corp_root_in_store: bytes, corp_root_disallowed: None) -> None:
    report = parse_json(lane.scenario("roots", sha256(corp_root_in_store)), "roots")
    assert report["sources"][sha256(corp_root_in_store)] is None, report


@pytest.mark.parametrize("client", CLIENTS)
def test_disallowed_root_is_not_trusted_after_inject(
    lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes, corp_root_disallowed: None, client: str
) -> None:
    outcome = lane.probe(client, "inject", GOOD, env=env)[GOOD]
    assert_verify_failed(outcome, "unable to get local issuer certificate")


# --- The OS's own verdict (corptls.verify_chain: CertGetCertificateChain under Wine).
# Not shown here: Wine 8's chain engine ignores the Disallowed store (a chain to a disallowed root
# verifies), so that rejection is checked on real Windows only (.github/workflows/test.yml).


def verdict(lane: WinePython, hostname: str, chain: list[bytes]) -> dict[str, str]:
    proc = lane.scenario("verify", hostname, *(der.hex() for der in chain))
    assert "Traceback" not in proc.stderr, proc
    return parse_json(proc, "verify")


def assert_rejected(result: dict[str, str], *kinds: str) -> None:
    assert result.get("error") == "VerificationError", result
    assert any(kind in result["message"] for kind in kinds), result


@pytest.fixture(scope="session")
def revocable(pki: PKI, crl_server: CrlServer) -> dict[str, list[bytes]]:
    corp_crl, rogue_crl = crl_server.url(CRL_PATH), crl_server.url(ROGUE_CRL_PATH)
    return {
        "good": revocable_chain(pki, corp_crl),
        "expired": revocable_chain(pki, corp_crl, expired=True),
        "wrongname": revocable_chain(pki, corp_crl, hostname="wrong.corp.test", san=("wrong.corp.test",)),
        "rogue": revocable_chain(pki, rogue_crl, issuer="rogue"),
    }


def test_os_accepts_a_chain_to_the_store_root(
    lane: WinePython, corp_root_in_store: bytes, revocable: dict[str, list[bytes]], crl_server: CrlServer
) -> None:
    assert verdict(lane, "localhost", revocable["good"]) == {"result": "ok"}
    assert crl_server.requests[CRL_PATH] >= 1, "Wine's chain engine never fetched the CRL"


def test_os_rejects_the_same_chain_without_the_store_root(
    lane: WinePython, corp_root_in_store: bytes, corp_root_absent: None, revocable: dict[str, list[bytes]]
) -> None:
    """The control: presented with the root itself (Wine accepts chains it cannot complete)."""
    result = verdict(lane, "localhost", revocable["good"] + [corp_root_in_store])
    assert_rejected(result, "UnknownIssuer", str(CERT_E_UNTRUSTEDROOT))


@pytest.mark.parametrize(
    "case, kinds",
    [
        ("rogue", ("UnknownIssuer", str(CERT_E_UNTRUSTEDROOT))),
        ("expired", ("Expired", str(CERT_E_EXPIRED))),
        ("wrongname", ("NotValidForName", str(CERT_E_CN_NO_MATCH))),
    ],
)
def test_os_rejects_bad_chains(
    lane: WinePython, corp_root_in_store: bytes, revocable: dict[str, list[bytes]], case: str, kinds: tuple[str, ...]
) -> None:
    assert_rejected(verdict(lane, "localhost", revocable[case]), *kinds)


# --- The command line: console script in Scripts\ (a path with spaces) and python -m.


@pytest.fixture(scope="session")
def revocable_server(pki: PKI, crl_server: CrlServer) -> Iterator[OriginServer]:
    """A direct server on 127.0.0.1 presenting the revocable corporate chain."""
    crl = crl_distribution_point(crl_server.url(CRL_PATH))
    server = OriginServer(pki.server_context("localhost", san=["localhost", "127.0.0.1"], extensions=(crl,))).start()
    yield server
    server.stop()


def test_doctor_without_url(lane: WinePython, corp_root_in_store: bytes) -> None:
    proc = lane.run("doctor", exe=lane.script("corptls"))
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc
    assert "Windows" in proc.stdout and re.search(r"^\s+\d+\s+os$", proc.stdout, re.M), proc.stdout


def test_doctor_url_verdicts(lane: WinePython, corp_root_in_store: bytes, revocable_server: OriginServer) -> None:
    """All three verdicts on a revocable corporate chain: certifi no, the OS yes, corptls yes."""
    proc = lane.run("-m", "corptls", "doctor", revocable_server.url("localhost"), "--json", "--timeout", "20")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc
    report = json.loads(proc.stdout)
    verdicts = report["verdicts"]
    assert verdicts["os"] is None and verdicts["corptls"] is None and verdicts["certifi"], verdicts
    assert report["trusted"], report


def test_doctor_url_through_the_proxy(lane: WinePython, env: dict[str, str | None], corp_root_in_store: bytes) -> None:
    proc = lane.run("doctor", f"https://{GOOD}", exe=lane.script("corptls"), env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stdout + proc.stderr, proc
    assert "trusted by corptls  yes" in proc.stdout, proc.stdout


@pytest.mark.parametrize("shell", ["powershell", "cmd"])
def test_env_points_at_a_bundle_with_the_corporate_root(
    lane: WinePython, corp_root_in_store: bytes, shell: str
) -> None:
    proc = lane.run("env", "--shell", shell, exe=lane.script("corptls"))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc
    pattern = r"^\$env:SSL_CERT_FILE = '(.+)'$" if shell == "powershell" else r'^set "SSL_CERT_FILE=(.+)"$'
    match = re.search(pattern, proc.stdout, re.M)
    assert match, proc.stdout
    for name in ("REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "UV_SYSTEM_CERTS"):
        assert name in proc.stdout, proc.stdout
    bundle = linux_path(match.group(1))
    assert pem_of(corp_root_in_store) in bundle.read_text().replace("\r\n", "\n"), bundle


def test_bundle_holds_the_corporate_root(lane: WinePython, corp_root_in_store: bytes, windows_tmp: Path) -> None:
    pem = pem_of(corp_root_in_store)
    stdout = lane.run("bundle", exe=lane.script("corptls"))
    assert stdout.returncode == 0 and "Traceback" not in stdout.stderr and pem in stdout.stdout, stdout.stderr
    target = windows_tmp / "corp ca.pem"
    written = lane.run("-m", "corptls", "bundle", "-o", target, "--sources", "os")
    assert written.returncode == 0 and "Traceback" not in written.stderr, written
    data = target.read_bytes()
    assert pem.encode() in data and b"\r\n" not in data, data[:200]
    certifi_only = lane.run("-m", "corptls", "bundle", "--sources", "certifi")
    assert (
        certifi_only.returncode == 0 and pem not in certifi_only.stdout and "BEGIN CERTIFICATE" in certifi_only.stdout
    )


def test_lane_store_is_clean_of_other_roots(winstore: WindowsStore, pki: PKI, corp_root_in_store: bytes) -> None:
    """Nothing but this session's corporate root was added: no rogue or origin root in Root."""
    for pem in (pki.rogue_root_pem, pki.origin_root_pem, pki.corp_intermediate_pem):
        assert not winstore.contains("Root", ssl.PEM_cert_to_DER_cert(pem.read_text()))
