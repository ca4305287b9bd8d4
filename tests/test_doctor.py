"""`corptls doctor [URL] [--json] [--timeout S]`, run as `python -m corptls doctor` in scenarios.

Every case runs in a subprocess with the scrubbed environment inside a store namespace. With a
URL, the chain is captured through the intercepting proxy (HTTPS_PROXY) or straight from a local
server, and the three verdicts (certifi, the OS, corptls) come from real verification: certifi
and corptls from real handshakes, the OS from rustls-platform-verifier. The failure modes use
misbehaving local endpoints (tests/support/faults.py) and must each end in one clear line,
within the --timeout (plus interpreter start-up).
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

import corptls
from tests.support.faults import FaultServer, SilentDNS, closed_port
from tests.support.harness import Scenario, Stores
from tests.support.origin import OriginServer
from tests.support.outcomes import reported
from tests.support.pki import (
    CORP_INTERMEDIATE_CN,
    CORP_ROOT_CN,
    LAX_INTERMEDIATE_CN,
    LAX_ROOT_CN,
    LEGACY_ROOT_CN,
    PKI,
    ROGUE_ROOT_CN,
    ZSCALER_INTERMEDIATE_CN,
    ZSCALER_ROOT_CN,
)
from tests.support.proxy import InterceptingProxy
from tests.support.store import StoreLayout, build_store

TIMEOUT = 3.0
#: What a bounded failure may take beyond --timeout: interpreter start-up, the namespace, and the
#: verdict handshakes' one-second floor.
SLACK = 3.0
#: Where corptls is imported from (the editable checkout): other interpreters get it via PYTHONPATH.
PACKAGE_PARENT = str(Path(corptls.__file__).resolve().parent.parent)
NOTHING_TRUSTS = "which nothing here trusts"
STRICT_REJECTS = re.compile(r"Python 3\.13\+ \(VERIFY_X509_STRICT\) (rejects|would reject)")
#: OpenSSL's message for a CA whose basicConstraints is not critical (under X509_STRICT).
OPENSSL_NOT_CRITICAL = "Basic Constraints of CA cert not marked critical"
REPAIRED = "corptls repairs it: contexts and the bundle file get its conforming twin"
OPT_IN = "CORPTLS_X509_STRICT=0 (inject(x509_strict=False)) clears the flag on the contexts corptls widens"


def _strict_pythons() -> list[str]:
    """Python >= 3.13 interpreters on this machine (create_default_context sets VERIFY_X509_STRICT)."""
    found = {
        *glob.glob("/root/.pyenv/versions/3.1[3-9]*/bin/python3.1[3-9]"),
        *filter(None, (shutil.which(f"python3.{minor}") for minor in range(13, 20))),
    }
    # pyenv's shims are shell scripts that may refuse to run (no version selected): real binaries only.
    return sorted({str(Path(p).resolve()) for p in found if "/shims/" not in p})


STRICT_PYTHONS = _strict_pythons()


@dataclass
class Doctor:
    proc: subprocess.CompletedProcess[str]
    elapsed: float

    @property
    def rc(self) -> int:
        return self.proc.returncode

    @property
    def report(self) -> dict[str, Any]:
        try:
            return json.loads(self.proc.stdout)  # type: ignore[no-any-return]
        except json.JSONDecodeError:
            raise AssertionError(f"not JSON (rc={self.rc}):\n{self.proc.stdout}\n{self.proc.stderr}") from None

    def __str__(self) -> str:
        return f"rc={self.rc} after {self.elapsed:.1f}s\nstdout:\n{self.proc.stdout}\nstderr:\n{self.proc.stderr}"


def doctor(
    scenario: Scenario,
    *args: str,
    store: StoreLayout,
    env: Mapping[str, str | None] | None = None,
    json_output: bool = True,
    python: str | None = None,
    entry: tuple[str, ...] = ("-m", "corptls"),
    setup: str = "",
) -> Doctor:
    """`python -m corptls doctor ARGS [--json]` in `store`'s namespace with the scrubbed env.

    `python` is another interpreter (corptls on its PYTHONPATH); `entry` a scenario instead of
    `-m corptls` that runs corptls's command line itself; `setup` shell run first in the namespace.
    """
    if python is not None:
        env = {**(env or {}), "PYTHONPATH": PACKAGE_PARENT}
    argv = [*entry, "doctor", *args, *(["--json"] if json_output else [])]
    started = time.monotonic()
    proc = scenario(*argv, store=store, env=env, python=python, setup=setup)
    return Doctor(proc, time.monotonic() - started)


def der_sha256(pem: bytes | str) -> str:
    """sha256 of the first certificate in `pem`, as corptls reports it."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    first = text.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest()


def first_cert(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n")


def assert_one_line(message: object) -> None:
    assert isinstance(message, str) and message and "\n" not in message, repr(message)


# ----------------------------------------------------------------------------------------------
# Fixtures only this module needs


@pytest.fixture(scope="module")
def extra_store(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> StoreLayout:
    """The corporate store plus the Zscaler test root, the lax root (basicConstraints not critical)
    and the legacy root (Zscaler 2014's defects)."""
    return build_store(
        tmp_path_factory.mktemp("doctor-stores") / "extra",
        corp_root_pem=pki.corp_root_pem,
        extra_files={
            "corptls-test-zscaler-root.pem": pki.zscaler_root_pem,
            "corptls-test-lax-root.pem": pki.lax_root_pem,
            "corptls-test-legacy-root.pem": pki.legacy_root_pem,
        },
    )


@pytest.fixture(scope="module")
def lax_server(pki: PKI) -> Iterator[OriginServer]:
    """Direct HTTPS server (localhost) whose leaf is issued by the lax root."""
    server = OriginServer(pki.server_context("localhost", issuer="lax", san=["localhost", "127.0.0.1"])).start()
    yield server
    server.stop()


@dataclass
class Faults:
    closed_port: int
    silent: FaultServer
    garbage: FaultServer
    close: FaultServer
    forbidden: FaultServer
    chain_once: FaultServer


@pytest.fixture(scope="module")
def faults(pki: PKI) -> Iterator[Faults]:
    reserved, port = closed_port()
    servers = Faults(
        closed_port=port,
        silent=FaultServer("silent").start(),
        garbage=FaultServer("garbage").start(),
        close=FaultServer("close").start(),
        forbidden=FaultServer("forbidden").start(),
        chain_once=FaultServer("chain-once", pki.server_context("localhost", san=["localhost"])).start(),
    )
    yield servers
    for server in (servers.silent, servers.garbage, servers.close, servers.forbidden, servers.chain_once):
        server.stop()
    reserved.close()


@pytest.fixture(scope="module")
def silent_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A resolv.conf naming a DNS server that never answers (lookups hang ~20 s without a deadline)."""
    dns = SilentDNS().start()
    conf = tmp_path_factory.mktemp("dns") / "resolv.conf"
    conf.write_text(dns.resolv_conf(timeout=20))
    yield conf
    dns.stop()


def test_the_corptls_verdict_comes_from_the_bundle_not_from_injecting(
    scenario: Scenario, stores: Stores, proxy_env: dict[str, str | None]
) -> None:
    """doctor judges with the bundle; it never injects into (or extracts from) its own process:
    with inject() and extract() made to raise, the verdicts are the same."""
    entry = ("doctor_without_inject",)
    result = doctor(scenario, "https://api.corp.test", store=stores.corp, env=proxy_env, entry=entry)
    assert result.rc == 0, result
    verdicts = result.report["verdicts"]
    assert verdicts["corptls"] is None and "unable to get local issuer certificate" in verdicts["certifi"], verdicts


# ----------------------------------------------------------------------------------------------
# Through the intercepting proxy


def test_intercepted_chain_is_captured_through_the_proxy_and_judged(
    scenario: Scenario, stores: Stores, proxy: InterceptingProxy, proxy_env: dict[str, str | None], pki: PKI
) -> None:
    before = proxy.connects["api.corp.test"]
    result = doctor(scenario, "https://api.corp.test", "--timeout", "10", store=stores.corp, env=proxy_env)
    assert result.rc == 0, result
    report = result.report
    assert report["url"] == "https://api.corp.test:443/"
    assert report["proxy"] == proxy.url
    # Capture + the certifi handshake + the corptls handshake: each one a CONNECT through the proxy.
    assert proxy.connects["api.corp.test"] - before == 3, proxy.connects

    leaf_pem, _ = pki.leaf("api.corp.test")  # what the proxy minted for this name
    leaf, intermediate = first_cert(leaf_pem), first_cert(pki.corp_intermediate_pem.read_bytes())
    assert [c["subject"] for c in report["chain"]] == [
        "CN=api.corp.test",
        f"O=CorpTLS Tests, CN={CORP_INTERMEDIATE_CN}",
    ]
    assert [c["issuer"] for c in report["chain"]] == [
        f"O=CorpTLS Tests, CN={CORP_INTERMEDIATE_CN}",
        f"O=CorpTLS Tests, CN={CORP_ROOT_CN}",
    ]
    assert [c["sha256"] for c in report["chain"]] == [
        der_sha256(leaf_pem),
        der_sha256(pki.corp_intermediate_pem.read_bytes()),
    ]
    for entry, cert in zip(report["chain"], (leaf, intermediate)):
        assert entry["not_before"] == cert.not_valid_before_utc.strftime("%Y-%m-%d")
        assert entry["not_after"] == cert.not_valid_after_utc.strftime("%Y-%m-%d")

    verdicts = report["verdicts"]
    assert "unable to get local issuer certificate" in verdicts["certifi"], verdicts
    assert verdicts["os"] is None and verdicts["corptls"] is None, verdicts
    assert report["trusted"] is True
    seen = report["interception"]
    assert seen["detected"] is True and seen["product"] is None, seen
    assert seen["anchor"] == f"O=CorpTLS Tests, CN={CORP_ROOT_CN}"
    assert "corptls.inject()" in seen["advice"] and NOTHING_TRUSTS not in seen["advice"]
    assert report["strict"] == []


def test_text_report_through_the_proxy(
    scenario: Scenario, stores: Stores, proxy: InterceptingProxy, proxy_env: dict[str, str | None]
) -> None:
    result = doctor(scenario, "https://api.corp.test", store=stores.corp, env=proxy_env, json_output=False)
    assert result.rc == 0, result
    lines = result.proc.stdout.splitlines()
    assert lines[0] == f"https://api.corp.test:443/ via proxy {proxy.url}"
    assert "  [0] CN=api.corp.test" in lines
    assert f"  [1] O=CorpTLS Tests, CN={CORP_INTERMEDIATE_CN}" in lines
    assert any(line.startswith("  trusted by certifi  NO: ") for line in lines), lines
    assert "  trusted by os       yes" in lines and "  trusted by corptls  yes" in lines
    assert any(
        line.startswith(f"TLS interception: The chain is anchored in O=CorpTLS Tests, CN={CORP_ROOT_CN}")
        for line in lines
    ), lines
    assert not any(line.startswith("warning:") for line in lines)


def test_no_proxy_bypasses_the_proxy(
    scenario: Scenario, stores: Stores, proxy: InterceptingProxy, proxy_env: dict[str, str | None]
) -> None:
    before = proxy.total_connects()
    env = {**proxy_env, "NO_PROXY": "api.corp.test", "no_proxy": "api.corp.test"}
    result = doctor(scenario, "https://api.corp.test", "--timeout", str(TIMEOUT), store=stores.corp, env=env)
    assert result.rc == 1, result
    report = result.report
    assert report["proxy"] is None and "chain" not in report, report
    # Straight to the name, which does not resolve without the proxy.
    assert_one_line(report["error"])
    unresolved = r"(cannot resolve|timed out after \S+: timed out resolving) api\.corp\.test"
    assert re.match(unresolved, report["error"]), report
    assert proxy.total_connects() == before
    assert result.elapsed < TIMEOUT + SLACK, result


def test_chain_nobody_trusts(scenario: Scenario, stores: Stores, proxy_env: dict[str, str | None]) -> None:
    result = doctor(scenario, "https://rogue.corp.test", store=stores.corp, env=proxy_env)
    assert result.rc == 1, result
    report = result.report
    assert [c["issuer"] for c in report["chain"]] == [f"O=CorpTLS Tests, CN={ROGUE_ROOT_CN}"]
    verdicts = report["verdicts"]
    assert "unable to get local issuer certificate" in verdicts["certifi"], verdicts
    assert "UnknownIssuer" in verdicts["os"], verdicts
    assert "unable to get local issuer certificate" in verdicts["corptls"], verdicts
    assert report["trusted"] is False
    seen = report["interception"]
    assert seen["detected"] is True and seen["anchor"] == f"O=CorpTLS Tests, CN={ROGUE_ROOT_CN}", seen
    assert NOTHING_TRUSTS in seen["advice"] and "CORPTLS_EXTRA_CA_CERTS" in seen["advice"], seen


@pytest.mark.parametrize(
    ("host", "corptls_reason", "os_reason"),
    [
        ("expired.corp.test", "certificate has expired", "certificate expired"),
        (
            "wrongname.corp.test",
            "Hostname mismatch, certificate is not valid for 'wrongname.corp.test'",
            'certificate not valid for name "wrongname.corp.test"',
        ),
    ],
)
def test_bad_certificate_under_a_trusted_root(
    scenario: Scenario,
    stores: Stores,
    proxy_env: dict[str, str | None],
    host: str,
    corptls_reason: str,
    os_reason: str,
) -> None:
    result = doctor(scenario, f"https://{host}", store=stores.corp, env=proxy_env)
    assert result.rc == 1, result
    report = result.report
    assert len(report["chain"]) == 2, report
    verdicts = report["verdicts"]
    assert corptls_reason in verdicts["corptls"], verdicts
    assert os_reason in verdicts["os"], verdicts
    assert verdicts["certifi"] is not None
    # The root is trusted: the advice blames the certificate, never "nothing here trusts ... stop".
    seen = report["interception"]
    assert seen["anchor"] == f"O=CorpTLS Tests, CN={CORP_ROOT_CN}", seen
    assert NOTHING_TRUSTS not in seen["advice"] and "a root corptls trusts" in seen["advice"], seen
    assert corptls_reason in seen["advice"]


def test_corporate_root_missing_from_the_os_store(
    scenario: Scenario, stores: Stores, proxy_env: dict[str, str | None]
) -> None:
    result = doctor(scenario, "https://api.corp.test", store=stores.plain, env=proxy_env)
    assert result.rc == 1, result
    report = result.report
    verdicts = report["verdicts"]
    assert all(verdicts[name] is not None for name in ("certifi", "os", "corptls")), verdicts
    assert "UnknownIssuer" in verdicts["os"]
    assert "unable to get local issuer certificate" in verdicts["corptls"]
    seen = report["interception"]
    assert seen["anchor"] == f"O=CorpTLS Tests, CN={CORP_ROOT_CN}" and NOTHING_TRUSTS in seen["advice"], seen


@pytest.mark.parametrize("trusted", [True, False], ids=["root-in-os-store", "root-unknown"])
def test_interception_product_is_named(
    scenario: Scenario,
    stores: Stores,
    extra_store: StoreLayout,
    proxy_env: dict[str, str | None],
    pki: PKI,
    trusted: bool,
) -> None:
    store = extra_store if trusted else stores.corp
    result = doctor(scenario, "https://zscaler.corp.test", store=store, env=proxy_env)
    assert result.rc == (0 if trusted else 1), result
    report = result.report
    assert [c["subject"] for c in report["chain"]][1] == f"O=CorpTLS Tests, CN={ZSCALER_INTERMEDIATE_CN}"
    assert report["chain"][1]["sha256"] == der_sha256(pki.zscaler_intermediate_pem.read_bytes())
    seen = report["interception"]
    assert seen["detected"] is True and seen["product"] == "Zscaler", seen
    assert seen["anchor"] == f"O=CorpTLS Tests, CN={ZSCALER_ROOT_CN}", seen
    assert (NOTHING_TRUSTS in seen["advice"]) is not trusted, seen
    assert (report["verdicts"]["corptls"] is None) is trusted, report["verdicts"]


# ----------------------------------------------------------------------------------------------
# Python 3.13's strict verification


def test_strict_warning_for_a_root_without_critical_basic_constraints(
    scenario: Scenario, extra_store: StoreLayout, proxy_env: dict[str, str | None]
) -> None:
    result = doctor(scenario, "https://lax.corp.test", store=extra_store, env=proxy_env)
    report = result.report
    assert [c["issuer"] for c in report["chain"]] == [f"O=CorpTLS Tests, CN={LAX_ROOT_CN}"]
    assert report["verdicts"]["os"] is None, report["verdicts"]
    # Strict or not (this interpreter is < 3.13), corptls trusts the chain through the root's twin.
    assert report["verdicts"]["corptls"] is None, report["verdicts"]
    assert result.rc == 0, result
    [warning] = report["strict"]
    assert f"CN={LAX_ROOT_CN} (root): {OPENSSL_NOT_CRITICAL}: " in warning and REPAIRED in warning, warning
    assert STRICT_REJECTS.search(warning), warning

    text = doctor(scenario, "https://lax.corp.test", store=extra_store, env=proxy_env, json_output=False)
    assert any(line.startswith("warning: ") and LAX_ROOT_CN in line for line in text.proc.stdout.splitlines()), text


def test_strict_rules_per_certificate_and_what_becomes_of_them(
    scenario: Scenario, extra_store: StoreLayout, proxy_env: dict[str, str | None]
) -> None:
    """Every rule the legacy root breaks, repaired; an intermediate's, named with the opt-in."""
    [root] = doctor(scenario, "https://legacy.corp.test", store=extra_store, env=proxy_env).report["strict"]
    assert root.startswith(
        f"O=CorpTLS Tests, CN={LEGACY_ROOT_CN} (root): {OPENSSL_NOT_CRITICAL}; CA cert does not "
        "include key usage extension; Missing Subject Key Identifier: "
    ), root
    assert REPAIRED in root, root
    [intermediate] = doctor(scenario, "https://laxint.corp.test", store=extra_store, env=proxy_env).report["strict"]
    assert intermediate.startswith(f"O=CorpTLS Tests, CN={LAX_INTERMEDIATE_CN}: {OPENSSL_NOT_CRITICAL}: "), intermediate
    assert STRICT_REJECTS.search(intermediate) and OPT_IN in intermediate, intermediate
    relaxed = doctor(
        scenario, "https://laxint.corp.test", store=extra_store, env={**proxy_env, "CORPTLS_X509_STRICT": "0"}
    )
    [line] = relaxed.report["strict"]
    assert "CORPTLS_X509_STRICT=0 is in force" in line, line


if STRICT_PYTHONS:  # defined only where such an interpreter exists: a skip would fail the run

    @pytest.mark.parametrize("python", STRICT_PYTHONS)
    def test_python_313_rejects_it_and_corptls_repairs_it_with_strict_on(
        scenario: Scenario, pki: PKI, lax_server: OriginServer, extra_store: StoreLayout, python: str
    ) -> None:
        """Python >= 3.13's default context refuses the lax chain with a real handshake, and only
        VERIFY_X509_STRICT makes it refuse; after corptls.inject() the context verifies it through the
        root's conforming twin with that flag still on."""
        proc = scenario(
            "strict_handshake",
            str(lax_server.port),
            pki.lax_root_pem,
            store=extra_store,
            python=python,
            env={"PYTHONPATH": PACKAGE_PARENT},
        )
        assert proc.returncode == 0, proc.stderr
        outcome = json.loads(proc.stdout)
        assert outcome == {
            "default": OPENSSL_NOT_CRITICAL,
            "relaxed": "ok",
            "injected": "ok",
            "injected_strict": True,
        }, outcome

    @pytest.mark.parametrize("python", STRICT_PYTHONS)
    def test_doctor_under_python_313(
        scenario: Scenario, extra_store: StoreLayout, proxy_env: dict[str, str | None], python: str
    ) -> None:
        for host in ("lax.corp.test", "legacy.corp.test"):
            result = doctor(scenario, f"https://{host}", store=extra_store, env=proxy_env, python=python)
            assert result.rc == 0, result
            report = result.report
            assert report["verdicts"]["os"] is None and report["verdicts"]["corptls"] is None, report["verdicts"]
            [warning] = report["strict"]
            assert REPAIRED in warning, warning
        result = doctor(scenario, "https://laxint.corp.test", store=extra_store, env=proxy_env, python=python)
        assert result.rc == 1, result
        assert OPENSSL_NOT_CRITICAL in result.report["verdicts"]["corptls"], result.report["verdicts"]
        assert "still rejected" in result.report["interception"]["advice"], result.report["interception"]
        relaxed = doctor(
            scenario,
            "https://laxint.corp.test",
            store=extra_store,
            python=python,
            env={**proxy_env, "CORPTLS_X509_STRICT": "0"},
        )
        assert relaxed.rc == 0 and relaxed.report["verdicts"]["corptls"] is None, relaxed


# ----------------------------------------------------------------------------------------------
# Failure modes: one line each, within --timeout


def _failure(
    scenario: Scenario, store: StoreLayout, url: str, env: Mapping[str, str | None] | None = None, setup: str = ""
) -> tuple[Doctor, str]:
    result = doctor(scenario, url, "--timeout", str(TIMEOUT), store=store, env=env, setup=setup)
    assert result.rc == 1, result
    assert result.elapsed < TIMEOUT + SLACK, result
    error = result.report.get("error")
    assert_one_line(error)
    return result, str(error)


def test_unreachable_host(scenario: Scenario, stores: Stores, faults: Faults) -> None:
    _, error = _failure(scenario, stores.corp, f"https://127.0.0.1:{faults.closed_port}")
    assert error == f"cannot connect to 127.0.0.1:{faults.closed_port}: connection refused"


def test_unreachable_proxy(scenario: Scenario, stores: Stores, faults: Faults) -> None:
    url = f"http://127.0.0.1:{faults.closed_port}"
    result, error = _failure(scenario, stores.corp, "https://api.corp.test", env={"HTTPS_PROXY": url})
    assert result.report["proxy"] == url
    assert error == f"cannot connect to 127.0.0.1:{faults.closed_port}: connection refused (through the proxy {url})"


def test_proxy_refuses_connect(scenario: Scenario, stores: Stores, faults: Faults) -> None:
    before = faults.forbidden.requests["CONNECT api.corp.test:443 HTTP/1.1"]
    _, error = _failure(scenario, stores.corp, "https://api.corp.test", env={"HTTPS_PROXY": faults.forbidden.proxy_url})
    assert error == (
        "the proxy refused CONNECT api.corp.test:443: HTTP/1.1 403 Forbidden "
        f"(through the proxy {faults.forbidden.proxy_url})"
    )
    assert faults.forbidden.requests["CONNECT api.corp.test:443 HTTP/1.1"] == before + 1


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("garbage", "TLS handshake failed: received corrupt message"),
        ("close", "TLS handshake failed: "),
    ],
)
def test_handshake_failure(scenario: Scenario, stores: Stores, faults: Faults, kind: str, expected: str) -> None:
    server: FaultServer = getattr(faults, kind)
    _, error = _failure(scenario, stores.corp, server.url)
    assert error.startswith(expected), error


def test_server_that_never_answers_times_out(scenario: Scenario, stores: Stores, faults: Faults) -> None:
    result, error = _failure(scenario, stores.corp, faults.silent.url)
    assert error == "timed out after 3s: TLS handshake failed: timed out"
    assert result.elapsed >= TIMEOUT - 0.5, result  # it did wait for the deadline


def test_proxy_that_never_answers_times_out(scenario: Scenario, stores: Stores, faults: Faults) -> None:
    _, error = _failure(scenario, stores.corp, "https://api.corp.test", env={"HTTPS_PROXY": faults.silent.proxy_url})
    assert error == (
        f"timed out after 3s (through the proxy {faults.silent.proxy_url}): "
        "no answer from the proxy to CONNECT: timed out"
    )


def test_name_resolution_that_hangs_times_out(scenario: Scenario, stores: Stores, silent_dns: Path) -> None:
    """getaddrinfo has no timeout: the resolver here would wait 20 s; doctor gives up at --timeout."""
    setup = f"mount --bind {silent_dns} /etc/resolv.conf || exit 97"
    _, error = _failure(scenario, stores.corp, "https://nowhere.corp.test", setup=setup)
    assert error == "timed out after 3s: timed out resolving nowhere.corp.test"


def test_stall_after_the_chain_stays_within_the_timeout(scenario: Scenario, stores: Stores, faults: Faults) -> None:
    """The chain arrives, then every later connection hangs: the verdict handshakes share the deadline."""
    result = doctor(
        scenario, f"https://localhost:{faults.chain_once.port}", "--timeout", str(TIMEOUT), store=stores.corp
    )
    assert result.rc == 1, result
    assert result.elapsed < TIMEOUT + SLACK, result
    report = result.report
    assert report["chain"][0]["subject"] == "CN=localhost"
    verdicts = report["verdicts"]
    assert verdicts["os"] is None, verdicts  # the chain itself is fine
    for name in ("certifi", "corptls"):
        assert verdicts[name].startswith("no verdict: ") and "timed out" in verdicts[name], verdicts
        assert_one_line(verdicts[name])


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://x", "corptls doctor: not an https URL: 'http://x' (expected https://host[:port])"),
        ("https://", "corptls doctor: not an https URL: 'https://' (expected https://host[:port])"),
        ("https://host:notaport", "corptls doctor: bad port in 'https://host:notaport'"),
        ("https://host:99999", "corptls doctor: bad port in 'https://host:99999'"),
        ("https://host:0", "corptls doctor: bad port in 'https://host:0'"),
        ("https://bad host/", 'corptls doctor: not a valid host name: "bad host"'),
    ],
)
def test_bad_url(scenario: Scenario, stores: Stores, url: str, message: str) -> None:
    result = doctor(scenario, url, "--timeout", str(TIMEOUT), store=stores.corp)
    assert result.rc == 2, result
    assert result.proc.stdout == "" and result.proc.stderr == message + "\n", result


# ----------------------------------------------------------------------------------------------
# Without a URL: the environment

#: variable -> (value, severity, words the reason must contain, words the fix must contain)
WEAKENING: dict[str, tuple[str, str, str, str]] = {
    "PYTHONHTTPSVERIFY": ("0", "weakens", "verification OFF", "unset PYTHONHTTPSVERIFY"),
    "SSL_CERT_FILE": ("", "breaks", "an empty value", "unset SSL_CERT_FILE"),
    "CURL_CA_BUNDLE": ("", "breaks", "an empty value", "unset CURL_CA_BUNDLE"),
    "SSL_VERIFY": ("false", "weakens", "litellm turns certificate verification off", "unset SSL_VERIFY"),
    "NODE_TLS_REJECT_UNAUTHORIZED": (
        "0",
        "weakens",
        "Node.js accepts any certificate",
        "unset it; point NODE_EXTRA_CA_CERTS at the bundle",
    ),
    "GIT_SSL_NO_VERIFY": (
        "1",
        "weakens",
        "git accepts any certificate",
        "unset it; point GIT_SSL_CAINFO at the bundle",
    ),
    "PIP_TRUSTED_HOST": (
        "pypi.org files.pythonhosted.org",
        "weakens",
        "without certificate verification",
        "unset PIP_TRUSTED_HOST",
    ),
    "UV_INSECURE_HOST": ("pypi.org", "weakens", "without certificate verification", "unset UV_INSECURE_HOST"),
    "REQUESTS_CA_BUNDLE": (
        "/nonexistent/corp-ca.pem",
        "breaks",
        "missing path (/nonexistent/corp-ca.pem)",
        "set REQUESTS_CA_BUNDLE to an existing file",
    ),
    "CORPTLS_EXTRA_CA_CERTS": (
        "/nonexistent/extra.pem",
        "breaks",
        "missing path (/nonexistent/extra.pem)",
        "set CORPTLS_EXTRA_CA_CERTS to an existing file",
    ),
    "CORPTLS_X509_STRICT": (
        "0",
        "weakens",
        "without Python 3.13+'s VERIFY_X509_STRICT",
        "unset it once the intermediate or leaf that breaks a strict rule is reissued",
    ),
}


@pytest.mark.parametrize("name", list(WEAKENING))
def test_each_weakening_setting_is_flagged(scenario: Scenario, stores: Stores, name: str) -> None:
    value, severity, reason, fix = WEAKENING[name]
    result = doctor(scenario, store=stores.corp, env={name: value})
    assert result.rc == 1, result
    report = result.report
    assert report["settings"].get(name) == value, report["settings"]
    [finding] = report["findings"]
    assert finding["setting"] == f"{name}={value!r}" and finding["severity"] == severity, finding
    assert reason in finding["reason"], finding
    assert fix in finding["fix"], finding


def test_all_findings_in_the_text_report(scenario: Scenario, stores: Stores) -> None:
    env = {name: value for name, (value, *_) in WEAKENING.items()}
    result = doctor(scenario, store=stores.corp, env=env, json_output=False)
    assert result.rc == 1, result
    lines = result.proc.stdout.splitlines()
    for name, (value, severity, reason, fix) in WEAKENING.items():
        [line] = [line for line in lines if line.startswith(f"{severity}: {name}={value!r}: ")]
        assert reason in line and f". Fix: {fix}" in line, line


def test_disable_switch_is_only_a_note(scenario: Scenario, stores: Stores) -> None:
    result = doctor(scenario, store=stores.corp, env={"CORPTLS_DISABLE": "1"})
    assert result.rc == 0, result
    [finding] = result.report["findings"]
    assert finding["severity"] == "note" and finding["setting"] == "CORPTLS_DISABLE='1'", finding


def test_clean_environment(scenario: Scenario, stores: Stores) -> None:
    result = doctor(scenario, store=stores.corp)
    assert result.rc == 0, result
    report = result.report
    assert report["findings"] == [] and report["settings"] == {}, report
    assert report["versions"]["corptls"] == corptls.__version__
    assert report["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    sources = report["sources"]
    assert sources["os"]["roots"] >= 1 and sources["certifi"]["roots"] >= 1, sources
    assert all(entry["problems"] == [] for entry in sources.values()), sources
    # The corporate root is exactly what the corporate store adds to the OS source.
    plain = doctor(scenario, store=stores.plain).report["sources"]
    assert sources["os"]["roots"] == plain["os"]["roots"] + 1, (sources, plain)

    text = doctor(scenario, store=stores.corp, json_output=False)
    assert text.rc == 0, text
    lines = text.proc.stdout.splitlines()
    assert lines[0].startswith(f"corptls {corptls.__version__}, Python ")
    assert "roots per source:" in lines and "TLS settings: none set" in lines, lines
    assert f"  {sources['os']['roots']:4d}  os" in lines and f"  {sources['certifi']['roots']:4d}  certifi" in lines


# --- corptls.verify_chain: the OS's verdict as a public API ----------------------------------


def test_verify_chain_is_the_os_verdict(scenario: Scenario, stores: Stores, pki: PKI) -> None:
    chain, _ = pki.leaf_files("api.corp.test")
    rogue, _ = pki.leaf_files("api.corp.test", issuer="rogue")
    pairs = ("verify_chain", chain, "api.corp.test", chain, "other.corp.test", rogue, "api.corp.test")
    good, wrong_name, rogue_verdict = reported(scenario(*pairs, store=stores.corp))
    assert good == "trusted"
    assert "not valid for name" in wrong_name, wrong_name
    assert "UnknownIssuer" in rogue_verdict, rogue_verdict
    plain = reported(scenario(*pairs, store=stores.plain))  # control: the corporate root is not in the OS store
    assert "UnknownIssuer" in plain[0], plain
