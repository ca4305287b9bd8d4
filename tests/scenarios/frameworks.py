"""corptls beside a framework that monkey-patches or brings its own HTTP client: GOOD and ROGUE
fetched with each of its ways, corptls injected before the framework is set up, after, or never.

    frameworks.py gevent|eventlet|tornado control|inject-first|inject-after GOOD_URL ROGUE_URL

Nothing is imported before the framework patches (kit, probe: afterwards), as in a program.
"""

import json
import sys
import warnings
from typing import Callable

Fetch = Callable[[str], bytes]
warnings.simplefilter("ignore")  # gevent warns when ssl was imported before patch_all: expected here
framework, order, good, rogue = sys.argv[1:]
out: dict[str, object] = {}


def urllib_get(url: str) -> bytes:
    import urllib.request

    return urllib.request.urlopen(url, timeout=15).read()


def requests_get(url: str) -> bytes:
    import requests

    response = requests.get(url, timeout=15)
    response.raise_for_status()
    return response.content


def with_gevent() -> dict[str, Fetch]:
    import gevent.monkey

    gevent.monkey.patch_all()
    import gevent
    import gevent.pool  # noqa: F401

    out["patched"] = gevent.monkey.is_module_patched("ssl") and gevent.monkey.is_module_patched("socket")

    def parallel(url: str) -> bytes:  # four greenlets at once: the patched sockets really are cooperative
        jobs = [gevent.spawn(urllib_get, url) for _ in range(4)]
        gevent.joinall(jobs, timeout=30, raise_error=True)
        bodies = {job.value for job in jobs}
        assert len(bodies) == 1 and None not in bodies, bodies
        return bodies.pop()

    return {"urllib": urllib_get, "requests": requests_get, "greenlets": parallel}


def with_eventlet() -> dict[str, Fetch]:
    import eventlet

    eventlet.monkey_patch()
    import eventlet.patcher

    out["patched"] = eventlet.patcher.is_monkey_patched("socket") and eventlet.patcher.is_monkey_patched("thread")

    def parallel(url: str) -> bytes:  # four green threads at once
        pool = eventlet.GreenPool()
        bodies = set(pool.imap(urllib_get, [url] * 4))
        assert len(bodies) == 1, bodies
        return bodies.pop()

    return {"urllib": urllib_get, "requests": requests_get, "greenthreads": parallel}


def with_tornado() -> dict[str, Fetch]:
    # tornado.netutil builds its default client context at import: inject-first comes before it.
    import asyncio

    import tornado.httpclient
    import tornado.netutil  # noqa: F401

    out["patched"] = True

    def async_get(url: str) -> bytes:
        async def main() -> bytes:
            response = await tornado.httpclient.AsyncHTTPClient().fetch(url, request_timeout=15)
            return response.body

        return asyncio.run(main())

    def sync_get(url: str) -> bytes:
        client = tornado.httpclient.HTTPClient()
        try:
            return client.fetch(url, request_timeout=15).body
        finally:
            client.close()

    return {"AsyncHTTPClient": async_get, "HTTPClient": sync_get}


def inject() -> None:
    import corptls

    corptls.inject()
    out["injected"] = corptls.is_injected()


if order == "inject-first":
    inject()
fetchers = {"gevent": with_gevent, "eventlet": with_eventlet, "tornado": with_tornado}[framework]()
if order == "inject-after":
    inject()

from probe import outcome


def fetched(fetch: Fetch, url: str) -> None:
    body = fetch(url)
    assert json.loads(body) == {"ok": True}, body


for name, fetch in fetchers.items():
    out[name] = {"good": outcome(fetched, fetch, good), "rogue": outcome(fetched, fetch, rogue)}
out["corptls_loaded"] = "corptls" in sys.modules
print(json.dumps(out))
