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

from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.pki import PKI
from tests.support.proxy import InterceptingProxy
from tests.support.store import CORP_ROOT_NAME

CLIENTS = ("urllib", "requests", "httpx", "httpx2", "aiohttp")

# Runs in the scenario subprocess: fetch URL with each client, print {client: "ok" | "error text"}.
PROBE = r"""
import asyncio, json, ssl

def ctx():
    return ssl.create_default_context(cafile=CAFILE) if CAFILE else None

def chain(exc):
    parts = []
    while exc is not None and len(parts) < 8:
        parts.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(parts)

def run_urllib():
    import urllib.request
    return json.loads(urllib.request.urlopen(URL, context=ctx(), timeout=10).read())

def run_requests():
    import requests
    return requests.get(URL, verify=CAFILE or True, timeout=10).json()

def run_httpx():
    import httpx
    return httpx.get(URL, verify=ctx() or True, timeout=10).json()

def run_httpx2():
    import httpx2
    return httpx2.get(URL, verify=ctx() or True, timeout=10).json()

def run_aiohttp():
    import aiohttp
    async def main():
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(URL, ssl=ctx() or True, timeout=aiohttp.ClientTimeout(total=10)) as r:
                return await r.json()
    return asyncio.run(main())

results = {}
for name in CLIENTS:
    try:
        body = globals()["run_" + name]()
        results[name] = "ok" if body == {"ok": True} else f"unexpected body {body!r}"
    except Exception as exc:
        results[name] = chain(exc)
print(json.dumps(results))
"""


def probe(scenario: Scenario, url: str, *, cafile: str | None = None, **kwargs: Any) -> dict[str, str]:
    """Run PROBE in a scenario; returns per-client outcome."""
    code = f"URL = {url!r}\nCAFILE = {cafile!r}\nCLIENTS = {CLIENTS!r}\n" + PROBE
    proc = scenario("-c", code, **kwargs)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def is_verify_failure(outcome: str) -> bool:
    return "certificate verify failed" in outcome.lower() or "CERTIFICATE_VERIFY_FAILED" in outcome


def test_stock_clients_fail_through_proxy(
    scenario: Scenario, proxy: InterceptingProxy, proxy_env: dict[str, str | None], stores: Stores
) -> None:
    """(a) Control: even with the corp root in the (namespaced) OS store, stock clients fail."""
    before = proxy.connects["api.corp.test"]
    results = probe(scenario, "https://api.corp.test/", env=proxy_env, store=stores.corp)
    failures = {name: r for name, r in results.items() if not is_verify_failure(r)}
    assert not failures, failures
    assert proxy.connects["api.corp.test"] - before >= len(CLIENTS)


def test_explicit_corp_root_succeeds_through_proxy(
    scenario: Scenario, pki: PKI, proxy: InterceptingProxy, proxy_env: dict[str, str | None]
) -> None:
    """(b) With the corp root given explicitly every client succeeds: the chain is right."""
    before = proxy.connects["api.corp.test"]
    results = probe(scenario, "https://api.corp.test/", cafile=str(pki.corp_root_pem), env=proxy_env)
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
    results = probe(scenario, f"https://{host}/", cafile=str(pki.corp_root_pem), env=proxy_env)
    for name, outcome in results.items():
        assert is_verify_failure(outcome), (name, outcome)
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
    code = f"""
import json, os, ssl
d = "/etc/ssl/certs"
names = os.listdir(d)
print(json.dumps({{
    "has_root": os.path.isfile(os.path.join(d, {CORP_ROOT_NAME!r})),
    "in_bundle": ssl.PEM_cert_to_DER_cert(open({str(pki.corp_root_pem)!r}).read())
                 in [ssl.PEM_cert_to_DER_cert("-----BEGIN" + c) for c in
                     open(os.path.join(d, "ca-certificates.crt")).read().split("-----BEGIN")[1:]],
    "linked": [n for n in names if os.path.islink(os.path.join(d, n))
               and os.readlink(os.path.join(d, n)).endswith({CORP_ROOT_NAME!r})],
    "dangling": [n for n in names if not os.path.exists(os.path.join(d, n))],
    # OpenSSL's default capath (e.g. /usr/lib/ssl/certs) must resolve to the mounted store.
    "default_capath": os.path.realpath(ssl.get_default_verify_paths().openssl_capath),
}}))
"""
    seen = json.loads(scenario("-c", code, store=stores.corp).stdout)
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
    }


SDK_SCENARIO = r"""
import asyncio, json, ssl
import openai, litellm

out = {}
client = openai.OpenAI(base_url=BASE, api_key="sk-test",
                       http_client=openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=CAFILE)))
out["openai_models"] = [m.id for m in client.models.list()]
r = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
out["openai"] = r.choices[0].message.content
stream = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True)
out["openai_stream"] = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

# litellm's OpenAI provider ignores the per-call ssl_verify when building its httpx client;
# the module-level setting is what reaches it.
litellm.ssl_verify = CAFILE
msgs = [{"role": "user", "content": "hi"}]
kw = dict(model="openai/gpt-test", api_base=BASE, api_key="sk-test", messages=msgs, ssl_verify=CAFILE)
out["litellm"] = litellm.completion(**kw).choices[0].message.content
out["litellm_async"] = asyncio.run(litellm.acompletion(**kw)).choices[0].message.content
print(json.dumps(out))
"""


def test_openai_and_litellm_with_explicit_ca(
    scenario: Scenario, pki: PKI, proxy: InterceptingProxy, proxy_env: dict[str, str | None]
) -> None:
    """(e) The OpenAI-compatible origin works for the openai SDK and litellm through the proxy."""
    from tests.support.origin import REPLY_TEXT

    before = proxy.connects["api.corp.test"]
    code = f"BASE = 'https://api.corp.test/v1'\nCAFILE = {str(pki.corp_root_pem)!r}\n" + SDK_SCENARIO
    proc = scenario("-c", code, env=proxy_env, timeout=90)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {
        "openai_models": ["gpt-test"],
        "openai": REPLY_TEXT,
        "openai_stream": REPLY_TEXT,
        "litellm": REPLY_TEXT,
        "litellm_async": REPLY_TEXT,
    }
    assert proxy.connects["api.corp.test"] > before
