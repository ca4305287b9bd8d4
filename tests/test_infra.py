"""Prove the test infrastructure is real and *can fail* — without corptls.

Stock clients must fail through the intercepting proxy, succeed only when explicitly
given the corporate root, and still reject rogue/expired/wrong-name chains.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import DirectServers, Scenario, Stores, run_probe
from tests.support.outcomes import VERIFY_FAILED, assert_fails, reported
from tests.support.pki import PKI
from tests.support.proxy import InterceptingProxy
from tests.support.store import CORP_ROOT_NAME

CLIENTS = ("urllib", "requests", "httpx", "httpx2", "aiohttp")


def probe(scenario: Scenario, host: str, *, cafile: Path | None = None, **kwargs: Any) -> dict[str, str]:
    """The probe's CLIENTS on `host`, stock (or each given a context trusting exactly `cafile`)."""
    run = run_probe(scenario, ",".join(CLIENTS), "stock", host, cafile=cafile, **kwargs)
    return {name: run.results[name][host] for name in CLIENTS}


def test_stock_clients_fail_through_proxy(
    scenario: Scenario, proxy: InterceptingProxy, proxy_env: dict[str, str | None], stores: Stores
) -> None:
    """(a) Control: even with the corp root in the (namespaced) OS store, stock clients fail."""
    before = proxy.connects["api.corp.test"]
    results = probe(scenario, "api.corp.test", env=proxy_env, store=stores.corp)
    failures = {name: r for name, r in results.items() if VERIFY_FAILED not in r}
    assert not failures, failures
    assert proxy.connects["api.corp.test"] - before >= len(CLIENTS)


def test_explicit_corp_root_succeeds_through_proxy(
    scenario: Scenario, pki: PKI, proxy: InterceptingProxy, proxy_env: dict[str, str | None]
) -> None:
    """(b) With the corp root given explicitly every client succeeds: the chain is right."""
    before = proxy.connects["api.corp.test"]
    results = probe(scenario, "api.corp.test", cafile=pki.corp_root_pem, env=proxy_env)
    assert results == {name: "ok" for name in CLIENTS}
    assert proxy.connects["api.corp.test"] - before >= len(CLIENTS)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("rogue.corp.test", "unable to get local issuer"),
        ("expired.corp.test", "expired"),
        ("wrongname.corp.test", "hostname mismatch"),
    ],
)
def test_bad_chains_fail_even_with_corp_root(
    scenario: Scenario, pki: PKI, proxy: InterceptingProxy, proxy_env: dict[str, str | None], host: str, reason: str
) -> None:
    """(c) Trusting the corp root must not make rogue, expired or wrong-name chains acceptable."""
    results = probe(scenario, host, cafile=pki.corp_root_pem, env=proxy_env)
    for name, outcome in results.items():
        assert_fails(outcome, VERIFY_FAILED)
        assert reason in outcome.lower(), (name, outcome)
    assert proxy.client_handshake_failures[host] >= len(CLIENTS)


def test_direct_servers(pki: PKI, direct: DirectServers) -> None:
    """Direct (no proxy) servers: good chain verifies with the corp root, the others do not."""
    ctx = ssl.create_default_context(cafile=str(pki.corp_root_pem))
    for host in ("localhost", "127.0.0.1"):
        body = urllib.request.urlopen(direct.good.url(host), context=ctx, timeout=10).read()
        assert json.loads(body) == {"ok": True}
    for server, reason in [(direct.rogue, "local issuer"), (direct.expired, "expired"), (direct.wrongname, "mismatch")]:
        with pytest.raises(urllib.error.URLError, match=reason):
            urllib.request.urlopen(server.url("localhost"), context=ctx, timeout=10)


def test_store_namespace_layout(scenario: Scenario, pki: PKI, stores: Stores) -> None:
    """(d) In the namespace the corp root is a loose file: not in the bundle, no hash link, links intact."""
    seen = reported(scenario("store_layout", pki.corp_root_pem, CORP_ROOT_NAME, store=stores.corp))
    assert seen == {
        "has_root": True,
        "in_bundle": False,
        "linked": [],
        "dangling": [],
        "default_capath": "/etc/ssl/certs",
    }
    # ...and the real store outside the namespace is untouched.
    assert not (Path("/etc/ssl/certs") / CORP_ROOT_NAME).exists()
    bad = json.loads(
        scenario(
            "-c", "import os, json; print(json.dumps(sorted(os.listdir('/etc/ssl/certs'))))", store=stores.bad
        ).stdout
    )
    assert {"corptls-test-garbage.pem", "corptls-test-non-ca.pem", CORP_ROOT_NAME} <= set(bad)


def test_scenario_env_is_scrubbed(scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CA/proxy variables exported on dev/CI machines never leak into scenarios."""
    monkeypatch.setenv("SSL_CERT_FILE", "/leak")
    monkeypatch.setenv("HTTPS_PROXY", "http://leak")
    proc = scenario("-c", "import os, json; print(json.dumps(dict(os.environ)))", env={"EXTRA": "1"})
    seen = json.loads(proc.stdout)
    assert "SSL_CERT_FILE" not in seen and "HTTPS_PROXY" not in seen
    assert seen["EXTRA"] == "1" and seen["XDG_CACHE_HOME"] == str(tmp_path)
    assert set(seen) <= {
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "TMPDIR",
        "XDG_CACHE_HOME",
        "EXTRA",
        "LITELLM_LOCAL_MODEL_COST_MAP",
        "LC_CTYPE",
        "CORPTLS_TEST_CORP_LEAF",  # the corporate leaf's files, for kit.has_corp
    }


def test_openai_and_litellm_with_explicit_ca(
    scenario: Scenario, pki: PKI, proxy: InterceptingProxy, proxy_env: dict[str, str | None]
) -> None:
    """(e) The OpenAI-compatible origin works for the openai SDK and litellm through the proxy."""
    from tests.support.origin import REPLY_TEXT

    before = proxy.connects["api.corp.test"]
    proc = scenario("sdk_explicit_ca", "https://api.corp.test/v1", pki.corp_root_pem, env=proxy_env, timeout=90)
    out = reported(proc)
    assert out == {
        "openai_models": ["gpt-test"],
        "openai": REPLY_TEXT,
        "openai_stream": REPLY_TEXT,
        "litellm": REPLY_TEXT,
        "litellm_async": REPLY_TEXT,
    }
    assert proxy.connects["api.corp.test"] > before
