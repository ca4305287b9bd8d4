"""corptls beside frameworks that monkey-patch or bring their own HTTP client: gevent, eventlet
and tornado, for real, against the direct test servers, the corporate root only in the OS store.

Each case runs in a fresh interpreter (``scenario``). The control (the framework without corptls)
fails to verify the corporate chain; with corptls, patched before or after ``inject()``, the
chain verifies, the rogue chain still fails, and nothing recurses (truststore's SSLContext
subclass hits RecursionError under gevent's and eventlet's patched ssl).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.harness import DirectServers, Scenario, Stores

PRELUDE = r"""
import json, sys, warnings
warnings.simplefilter("ignore")  # gevent warns when ssl was imported before patch_all: expected here
out = {}

def outcome(fetch, url):
    try:
        body = fetch(url)
        return "ok" if json.loads(body) == {"ok": True} else f"unexpected body {body!r}"
    except BaseException as exc:  # RecursionError included
        return f"{type(exc).__name__}: {exc}"

def urllib_get(url):
    import urllib.request
    return urllib.request.urlopen(url, timeout=15).read()

def requests_get(url):
    import requests
    response = requests.get(url, timeout=15)
    response.raise_for_status()
    return response.content
"""

# Per framework: how it patches (or is set up), and the fetchers it is tried with. `{corptls}`
# is where corptls acts relative to the framework: before, after, or never (the control).
FRAMEWORKS: dict[str, str] = {
    "gevent": r"""
{before}
import gevent.monkey
gevent.monkey.patch_all()
import gevent, gevent.pool
{after}
out["patched"] = gevent.monkey.is_module_patched("ssl") and gevent.monkey.is_module_patched("socket")
def parallel(url):  # four greenlets at once: the patched sockets really are cooperative
    jobs = [gevent.spawn(urllib_get, url) for _ in range(4)]
    gevent.joinall(jobs, timeout=30, raise_error=True)
    bodies = {job.value for job in jobs}
    assert len(bodies) == 1 and None not in bodies, bodies
    return bodies.pop()
FETCHERS = {"urllib": urllib_get, "requests": requests_get, "greenlets": parallel}
""",
    "eventlet": r"""
{before}
import eventlet
eventlet.monkey_patch()
import eventlet.patcher
{after}
out["patched"] = eventlet.patcher.is_monkey_patched("socket") and eventlet.patcher.is_monkey_patched("thread")
def parallel(url):  # four green threads at once
    pool = eventlet.GreenPool()
    bodies = set(pool.imap(urllib_get, [url] * 4))
    assert len(bodies) == 1, bodies
    return bodies.pop()
FETCHERS = {"urllib": urllib_get, "requests": requests_get, "greenthreads": parallel}
""",
    # tornado.netutil builds its default client context at import: `before` imports tornado first.
    "tornado": r"""
{before}
import asyncio
import tornado.httpclient, tornado.netutil
{after}
out["patched"] = True
def async_get(url):
    async def main():
        response = await tornado.httpclient.AsyncHTTPClient().fetch(url, request_timeout=15)
        return response.body
    return asyncio.run(main())
def sync_get(url):
    client = tornado.httpclient.HTTPClient()
    try:
        return client.fetch(url, request_timeout=15).body
    finally:
        client.close()
FETCHERS = {"AsyncHTTPClient": async_get, "HTTPClient": sync_get}
""",
}

INJECT = "import corptls\ncorptls.inject()\nout['injected'] = corptls.is_injected()"
ORDERS = {
    "control": ("", ""),
    "inject-first": (INJECT, ""),
    "inject-after": ("", INJECT),
}

BODY = r"""
for name, fetch in FETCHERS.items():
    out[name] = {"good": outcome(fetch, GOOD), "rogue": outcome(fetch, ROGUE)}
out["corptls_loaded"] = "corptls" in sys.modules
print(json.dumps(out))
"""


def run(scenario: Scenario, stores: Stores, direct: DirectServers, framework: str, order: str) -> dict[str, Any]:
    before, after = ORDERS[order]
    setup = FRAMEWORKS[framework].replace("{before}", before).replace("{after}", after)
    urls = f"GOOD = {direct.good.url('localhost')!r}\nROGUE = {direct.rogue.url('localhost')!r}\n"
    proc = scenario("-c", PRELUDE + urls + setup + BODY, store=stores.corp, timeout=120)
    assert proc.returncode == 0, f"rc={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def verify_failure(outcome: str) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in outcome or "certificate verify failed" in outcome


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_control_fails_without_corptls(scenario: Scenario, stores: Stores, direct: DirectServers, framework: str):
    out = run(scenario, stores, direct, framework, "control")
    assert out["patched"] is True and out["corptls_loaded"] is False, out
    fetchers = [k for k, v in out.items() if isinstance(v, dict)]
    assert len(fetchers) >= 2, out
    for name in fetchers:
        for host in ("good", "rogue"):
            assert verify_failure(out[name][host]), (name, host, out[name][host])


@pytest.mark.parametrize("order", ["inject-first", "inject-after"])
@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_corptls_verifies_the_corporate_chain(
    scenario: Scenario, stores: Stores, direct: DirectServers, framework: str, order: str
):
    out = run(scenario, stores, direct, framework, order)
    assert out["patched"] is True and out["injected"] is True, out
    fetchers = [k for k, v in out.items() if isinstance(v, dict)]
    assert len(fetchers) >= 2, out
    for name in fetchers:
        assert out[name]["good"] == "ok", (name, out[name])
        assert verify_failure(out[name]["rogue"]), (name, out[name])
        assert "RecursionError" not in json.dumps(out[name]), (name, out[name])
