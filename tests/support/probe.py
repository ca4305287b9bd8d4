"""Runs inside scenario subprocesses: one real call per client library, outcomes as JSON.

    python probe.py CLIENT MODE HOST...

MODE says when corptls acts, relative to importing the client and building its client object:
  stock     corptls never imported (the control)
  inject    corptls.inject() first, then the client is imported and built
  prebuilt  client imported, built and used once (recorded as "before"), then inject()
  extract   inject(), one call to the first host ("during"), extract(), a new client, then the hosts
  relaxed   inject(x509_strict=False) first (the strict opt-in), then as inject
Each HOST is called through HTTPS_PROXY; the result is "ok" or the error with its causes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Callable, Dict

Fetch = Callable[[str], None]
MESSAGES = [{"role": "user", "content": "ping"}]
MAKERS: Dict[str, Callable[[], Fetch]] = {}


def client(name: str) -> Callable[[Callable[[], Fetch]], Callable[[], Fetch]]:
    def register(make: Callable[[], Fetch]) -> Callable[[], Fetch]:
        MAKERS[name] = make
        return make

    return register


def run(coro_fn: Callable[[str], object]) -> Fetch:
    return lambda host: asyncio.run(coro_fn(host))  # type: ignore[arg-type]


@client("urllib")
def _urllib() -> Fetch:
    import urllib.request

    opener = urllib.request.build_opener()
    return lambda host: opener.open(f"https://{host}/", timeout=15).read()


@client("requests")
def _requests() -> Fetch:
    import requests

    session = requests.Session()
    return lambda host: session.get(f"https://{host}/", timeout=15).raise_for_status()


@client("httpx")
def _httpx() -> Fetch:
    import httpx

    sync = httpx.Client(timeout=15)
    return lambda host: sync.get(f"https://{host}/").raise_for_status()


@client("httpx-async")
def _httpx_async() -> Fetch:
    import httpx

    async def fetch(host: str) -> None:
        async with httpx.AsyncClient(timeout=15) as c:
            (await c.get(f"https://{host}/")).raise_for_status()

    return run(fetch)


@client("httpx2")
def _httpx2() -> Fetch:
    import httpx2

    sync = httpx2.Client(timeout=15)
    return lambda host: sync.get(f"https://{host}/").raise_for_status()


@client("aiohttp")
def _aiohttp() -> Fetch:
    import aiohttp

    async def fetch(host: str) -> None:
        async with aiohttp.ClientSession(trust_env=True) as session:
            async with session.get(f"https://{host}/", timeout=aiohttp.ClientTimeout(total=15)) as r:
                r.raise_for_status()

    return run(fetch)


@client("openai")
def _openai() -> Fetch:
    import openai

    # Built up front, one per host, so that "prebuilt" really means built before inject().
    clients = {h: openai.OpenAI(base_url=f"https://{h}/v1", api_key="sk-test", max_retries=0) for h in sys.argv[3:]}
    return lambda host: clients[host].chat.completions.create(model="gpt-test", messages=MESSAGES) and None


@client("openai-async")
def _openai_async() -> Fetch:
    import openai

    async def fetch(host: str) -> None:
        c = openai.AsyncOpenAI(base_url=f"https://{host}/v1", api_key="sk-test", max_retries=0)
        await c.chat.completions.create(model="gpt-test", messages=MESSAGES)  # type: ignore[arg-type]

    return run(fetch)


def _litellm(transport: str) -> Fetch:
    import litellm

    litellm.disable_aiohttp_transport = transport == "httpx"

    def kwargs(host: str) -> dict:
        return dict(
            model="openai/gpt-test",
            api_base=f"https://{host}/v1",
            api_key="sk-test",
            messages=MESSAGES,
            num_retries=0,
            max_retries=0,
            timeout=15,
        )

    if transport == "sync":
        return lambda host: litellm.completion(**kwargs(host)) and None

    async def fetch(host: str) -> None:
        await litellm.acompletion(**kwargs(host))

    return run(fetch)


MAKERS["litellm"] = lambda: _litellm("sync")
MAKERS["litellm-async-aiohttp"] = lambda: _litellm("aiohttp")
MAKERS["litellm-async-httpx"] = lambda: _litellm("httpx")


@client("botocore")
def _botocore() -> Fetch:
    from botocore.awsrequest import AWSRequest
    from botocore.httpsession import URLLib3Session

    session = URLLib3Session(verify=True, proxies={"https": os.environ["HTTPS_PROXY"]})

    def fetch(host: str) -> None:
        response = session.send(AWSRequest(method="GET", url=f"https://{host}/").prepare())
        assert response.status_code == 200, response.status_code

    return fetch


def describe(exc: BaseException) -> str:
    parts = []
    seen = set()
    current: "BaseException | None" = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def outcome(fetch: Fetch, host: str) -> str:
    try:
        fetch(host)
        return "ok"
    except Exception as exc:  # the probe reports every failure; the test judges it
        return describe(exc)


def main() -> None:
    name, mode, hosts = sys.argv[1], sys.argv[2], sys.argv[3:]
    result: Dict[str, str] = {}
    if mode in ("inject", "extract", "relaxed"):
        import corptls

        corptls.inject(x509_strict=False) if mode == "relaxed" else corptls.inject()
    fetch = MAKERS[name]()
    if mode == "prebuilt":
        result["before"] = outcome(fetch, hosts[0])
        import corptls

        corptls.inject()
    if mode == "extract":
        result["during"] = outcome(fetch, hosts[0])
        corptls.extract()
        fetch = MAKERS[name]()
    for host in hosts:
        result[host] = outcome(fetch, host)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
