"""What a measured process runs: `python bench/child.py MEASUREMENT ARG...` prints one JSON line.

bench.py runs it with each contender's interpreter, `bench.py --wine` with the Windows CPython of
the Wine lane. Only sys and time at the top: each measurement imports what it needs itself, so the
process holds nothing a measurement times (`import_ms` times an import in this very process).
"""

from __future__ import annotations

import sys
import time

TYPE_CHECKING = False  # not `typing`: `import_ms` measures imports in this very process
if TYPE_CHECKING:
    import ssl
    from typing import Callable

#: What a program adds to use each contender. Nothing for stock, and nothing for pip-system-certs:
#: its .pth file injects truststore at start-up.
SETUP = {
    "stock": "",
    "corptls": "import corptls; corptls.inject()",
    "truststore": "import truststore; truststore.inject_into_ssl()",
    "pip-system-certs": "",
}


def use(contender: str) -> None:
    exec(SETUP[contender])


def import_ms(module: str) -> dict:
    started = time.perf_counter()
    __import__(module)
    return {"ms": (time.perf_counter() - started) * 1e3, "ssl": "ssl" in sys.modules}


def inject_ms() -> dict:
    """inject() as a program calls it: ssl and certifi imported already."""
    import ssl  # noqa: F401

    import certifi  # noqa: F401

    import corptls

    started = time.perf_counter()
    corptls.inject()
    return {"ms": (time.perf_counter() - started) * 1e3, "roots": len(corptls.roots())}


def inject_profile() -> dict:
    """inject()'s time (cProfile) per place it is spent: each native function, each corptls module
    (with the built-ins it calls), and the rest. Robust to inject()'s insides changing."""
    import cProfile
    import pstats
    import ssl  # noqa: F401

    import certifi  # noqa: F401

    import corptls

    profile = cProfile.Profile()
    profile.runcall(corptls.inject)
    places: dict[str, float] = {}
    for (file, _, function), (_, _, own, _, callers) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        if file == "~" and "corptls._native." not in function:  # a built-in: count it where it is called
            shares = [(_place(caller[0], caller[2]), timing[2]) for caller, timing in callers.items()]
        else:
            shares = [(_place(file, function), own)]
        for place, seconds in shares:
            places[place] = places.get(place, 0.0) + seconds * 1e3
    return places


def _place(file: str, function: str) -> str:
    if "corptls._native." in function:  # cProfile names a native function "<built-in method corptls._native.NAME>"
        return "native " + function.split("corptls._native.")[1].rstrip(">")
    if "/corptls/" in file:
        return "corptls/" + file.rsplit("/corptls/", 1)[1]
    if file.startswith("<frozen importlib"):
        return "importing modules"
    return "the rest (stdlib, certifi, interpreter)"


def contexts(contender: str, n: str) -> dict:
    """Median time of each way to make a verified context, `n` of each per process, round-robin
    (a burst of load hits every call alike), after one untimed call each."""
    import ssl
    import statistics

    calls = _context_calls(contender)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for make in calls.values():
        make()
    for _ in range(int(n)):
        for name, make in calls.items():
            started = time.perf_counter()
            make()
            times[name].append(time.perf_counter() - started)
    result = {}
    for name, make in calls.items():
        context = make()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname, name
        result[name] = {
            "ms": statistics.median(times[name]) * 1e3,
            "roots": _roots(context),
            "class": f"{type(context).__module__}.{type(context).__name__}",
        }
    return result


def _roots(context: ssl.SSLContext) -> int | None:
    """The roots a context parsed up front (a directory it searches lazily may hold more); None
    where it does not say (truststore's)."""
    try:
        return len(context.get_ca_certs())
    except NotImplementedError:
        return None


def _context_calls(contender: str) -> dict[str, Callable[[], ssl.SSLContext]]:
    import importlib.util
    import ssl

    import certifi

    own = certifi.where()  # certifi's own file, taken before inject (as requests' DEFAULT_CA_BUNDLE_PATH)
    use(contender)
    calls = {
        "create_default_context()": ssl.create_default_context,
        "create_default_context(cafile=certifi.where())": lambda: ssl.create_default_context(cafile=certifi.where()),
    }
    if contender == "corptls":
        calls["create_default_context(cafile=<certifi's own file>)"] = lambda: ssl.create_default_context(cafile=own)
    if contender == "truststore":
        import truststore

        calls["truststore.SSLContext(PROTOCOL_TLS_CLIENT)"] = lambda: truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if importlib.util.find_spec("httpx") is not None:
        import httpx

        calls["httpx.create_ssl_context()"] = httpx.create_ssl_context
    return calls


def handshakes(contender: str, port: str, n: str) -> dict:
    """Median time of one new connection (connect, full handshake, one HTTP reply) with one
    default context, after 3 untimed ones; the server's root reaches it as it reads roots."""
    import ssl
    import statistics

    use(contender)
    context = ssl.create_default_context()
    for _ in range(3):
        _get(context, int(port))
    times = []
    for _ in range(int(n)):
        started = time.perf_counter()
        _get(context, int(port))
        times.append(time.perf_counter() - started)
    return {"ms": statistics.median(times) * 1e3, "roots": _roots(context)}


def verifies(port: str) -> dict:
    """Whether a stock default context verifies the server: it must not, so that each contender
    trusts it only through the way it reads roots."""
    import ssl

    try:
        _get(ssl.create_default_context(), int(port))
    except ssl.SSLCertVerificationError:
        return {"verified": False}
    return {"verified": True}


def _get(context: ssl.SSLContext, port: int) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", port)) as raw:
        # Else Nagle holds the request behind the unacknowledged Finished for a delayed ACK (~40 ms),
        # which would hide the handshake; HTTP clients (urllib3, httpcore) set it too.
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            if not tls.recv(64).startswith(b"HTTP/1.1 200"):
                raise RuntimeError("no HTTP reply")


def warm() -> dict:
    """Bytecode and the bundle cache, so later figures are neither compile nor first-write times."""
    import compileall
    import importlib
    import os
    import pkgutil

    import certifi  # noqa: F401

    import corptls
    import corptls.clients

    for module in pkgutil.iter_modules(corptls.clients.__path__):
        importlib.import_module("corptls.clients." + module.name)
    compileall.compile_dir(os.path.dirname(corptls.__file__), quiet=1)
    corptls.inject()
    return {"bundle": corptls.bundle_path()}


MEASUREMENTS: dict[str, Callable[..., dict]] = {
    "import": import_ms,
    "inject": inject_ms,
    "inject-profile": inject_profile,
    "contexts": contexts,
    "handshakes": handshakes,
    "verifies": verifies,
    "warm": warm,
}

if __name__ == "__main__":
    result = MEASUREMENTS[sys.argv[1]](*sys.argv[2:])
    import json  # after: `import_ms` must not find it imported

    print(json.dumps(result))
