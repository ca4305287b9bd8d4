"""The suite's one client harness: one real call per client library and host, outcomes as JSON.

    python probe.py [--cafile FILE] CLIENT[,CLIENT...] MODE HOST...

MODE says when corptls acts, relative to importing the clients and building their client objects:
  stock     the probe never imports corptls (the control; a start-up hook may still load it)
  inject    corptls.inject() first, then the clients are imported and built
  prebuilt  clients imported, built and used once (recorded as "before"), then inject()
  extract   inject(), one call to the first host ("during"), extract(), new clients, then the hosts
  relaxed   inject(x509_strict=False) first (the strict opt-in), then as inject
--cafile FILE hands each client a context trusting exactly FILE (PINNABLE clients only).
Each HOST (a name, or name:port) is called as https://HOST/, through HTTPS_PROXY when it is set.
Prints one line: {"corptls": "loaded" | "installed" | "absent", "results": {CLIENT: {HOST: OUTCOME}}},
where an OUTCOME is "ok" or the exception chain. Self-contained (no sibling imports): it also runs
under `python -I` and in the Wine lane's Windows CPython.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import ssl
import sys
from typing import Callable

Fetch = Callable[[str], None]
MESSAGES = [{"role": "user", "content": "ping"}]
MAKERS: dict[str, Callable[[], Fetch]] = {}
#: The clients --cafile can pin.
PINNABLE = ("urllib", "requests", "httpx", "httpx2", "aiohttp")
CAFILE: str | None = None
HOSTS: list[str] = []


def client(name: str) -> Callable[[Callable[[], Fetch]], Callable[[], Fetch]]:
    def register(make: Callable[[], Fetch]) -> Callable[[], Fetch]:
        MAKERS[name] = make
        return make

    return register


def run(coro_fn: Callable[[str], object]) -> Fetch:
    return lambda host: asyncio.run(coro_fn(host))  # type: ignore[arg-type]


def pinned() -> ssl.SSLContext | None:
    """The context of --cafile, or None: the client's own default."""
    return ssl.create_default_context(cafile=CAFILE) if CAFILE else None


@client("urllib")
def _urllib() -> Fetch:
    import urllib.request

    context = pinned()
    opener = urllib.request.build_opener(*([urllib.request.HTTPSHandler(context=context)] if context else []))
    return lambda host: opener.open(f"https://{host}/", timeout=15).read()


@client("requests")
def _requests() -> Fetch:
    import requests

    session = requests.Session()
    return lambda host: session.get(f"https://{host}/", timeout=15, verify=CAFILE or True).raise_for_status()


def _httpx_sync(module: str) -> Fetch:
    """httpx's Client, or httpx2's (the same API)."""
    httpx = importlib.import_module(module)
    sync = httpx.Client(timeout=15, verify=pinned() or True)
    return lambda host: sync.get(f"https://{host}/").raise_for_status()


MAKERS["httpx"] = lambda: _httpx_sync("httpx")
MAKERS["httpx2"] = lambda: _httpx_sync("httpx2")


@client("httpx-async")
def _httpx_async() -> Fetch:
    import httpx

    async def fetch(host: str) -> None:
        async with httpx.AsyncClient(timeout=15) as c:
            (await c.get(f"https://{host}/")).raise_for_status()

    return run(fetch)


@client("aiohttp")
def _aiohttp() -> Fetch:
    import aiohttp

    context = pinned()

    async def fetch(host: str) -> None:
        async with aiohttp.ClientSession(trust_env=True) as session:
            timeout = aiohttp.ClientTimeout(total=15)
            async with session.get(f"https://{host}/", ssl=context or True, timeout=timeout) as r:
                r.raise_for_status()

    return run(fetch)


@client("openai")
def _openai() -> Fetch:
    import openai

    # Built up front, one per host, so that "prebuilt" really means built before inject().
    clients = {h: openai.OpenAI(base_url=f"https://{h}/v1", api_key="sk-test", max_retries=0) for h in HOSTS}
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

    litellm.suppress_debug_info = True  # its "Give Feedback" lines on stdout
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

    def answered(reply: object) -> None:
        assert reply.choices[0].message.content, reply  # type: ignore[attr-defined]

    if transport == "sync":
        return lambda host: answered(litellm.completion(**kwargs(host)))

    async def fetch(host: str) -> None:
        answered(await litellm.acompletion(**kwargs(host)))

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
    """The exception and its causes, outermost first: clients wrap the SSL error in their own."""
    parts = []
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def outcome(call: Callable[..., object], *args: object) -> str:
    """What `call(*args)` came to: "ok", or what it raised (the scenario reports, the test judges)."""
    try:
        call(*args)
        return "ok"
    except Exception as exc:
        return describe(exc)


def corptls_state() -> str:
    if "corptls" in sys.modules:
        return "loaded"
    import importlib.util

    return "installed" if importlib.util.find_spec("corptls") else "absent"


def make_all(names: list[str]) -> dict[str, Fetch]:
    return {name: MAKERS[name]() for name in names}


def main(args: list[str]) -> None:
    global CAFILE, HOSTS
    if args[0] == "--cafile":
        CAFILE, args = args[1], args[2:]
    names, mode, HOSTS = args[0].split(","), args[1], args[2:]
    if CAFILE and not set(names) <= set(PINNABLE):
        sys.exit(f"probe: --cafile pins only {', '.join(PINNABLE)}")
    results: dict[str, dict[str, str]] = {name: {} for name in names}
    if mode in ("inject", "extract", "relaxed"):
        import corptls

        corptls.inject(x509_strict=False) if mode == "relaxed" else corptls.inject()
    fetchers = make_all(names)
    if mode == "prebuilt":
        for name, fetch in fetchers.items():
            results[name]["before"] = outcome(fetch, HOSTS[0])
        import corptls

        corptls.inject()
    if mode == "extract":
        for name, fetch in fetchers.items():
            results[name]["during"] = outcome(fetch, HOSTS[0])
        corptls.extract()
        fetchers = make_all(names)
    for host in HOSTS:
        for name, fetch in fetchers.items():
            results[name][host] = outcome(fetch, host)
    print(json.dumps({"corptls": corptls_state(), "results": results}))


if __name__ == "__main__":
    main(sys.argv[1:])
