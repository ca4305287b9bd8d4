#!/usr/bin/env python3
"""corptls benchmark: issue 9's targets, stock Python vs corptls vs truststore vs pip-system-certs.

    .venv/bin/python bench/bench.py [-n RUNS] [--contexts 5] [--conns 50]
    bash bench/wine-contexts [-n RUNS] [--contexts 5]    # the context row in the Wine lane

Run it with the interpreter corptls is installed in, with the [test] extras (the PKI needs
cryptography; the children httpx and certifi). It downloads truststore and pip-system-certs into
throwaway venvs; one that will not install is left out, and the header says so. Not a test: it
prints tables and a summary of the targets, and stops only when a child process fails.

Method:
- every figure comes from fresh processes, N per figure, the median of the runs; the figures of
  one table run interleaved (round 1 of each, round 2 of each, ...) after one untimed round, and
  each is printed as a ratio against a baseline of the same rounds;
- stock and corptls run in this interpreter; truststore and pip-system-certs each in its venv of
  the same base Python, seeing the same httpx and certifi (tests/support/venvs.py);
- the server's root reaches each contender as it reads roots: stock, truststore and
  pip-system-certs through SSL_CERT_FILE, a file of certifi's roots and that root; corptls, which
  reads the OS store and certifi itself, through CORPTLS_EXTRA_CA_CERTS;
- children get the test suite's scrubbed environment and a private XDG_CACHE_HOME, warmed once
  (the bundle file is on disk) after their bytecode is compiled.
"""

from __future__ import annotations

import argparse
import platform
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from child import SETUP
from common import (
    FIGURE_HEADER,
    Child,
    Figure,
    Server,
    Target,
    contender_venv,
    https_server,
    measure,
    ms,
    package_version,
    summary,
    table,
    times,
    venvs,
    work_dir,
)

CHILD = Path(__file__).resolve().parent / "child.py"
#: The call every context figure is compared with: what requests and httpx do by default.
STOCK_CONTEXT = "create_default_context(cafile=certifi.where())"
#: Installed from PyPI into a venv each.
PACKAGES = ("truststore", "pip-system-certs")


@dataclass(frozen=True)
class Contender:
    """A way to trust the server: its name (a key of child.SETUP), interpreter and environment."""

    name: str
    python: Path
    env: Mapping[str, str]
    cache: Path
    version: str = ""

    def child(self, *args: object) -> Child:
        """bench/child.py with these arguments."""
        return Child((str(self.python), str(CHILD), *map(str, args)), self.cache, self.env)

    def code(self, code: str) -> Child:
        return Child((str(self.python), "-c", code), self.cache, self.env)


# --------------------------------------------------------------------------- sections


def roots(result: dict) -> object:
    """A child's count of the roots a context loaded up front ("n/a": truststore does not say)."""
    return "n/a" if result["roots"] is None else result["roots"]


def startup(corptls: Contender, empty_caches: Path, runs: int) -> list[Target]:
    """Interpreter start-up, imports and inject(), each against `python -c pass`."""

    def inject_empty_cache() -> dict:
        return replace(corptls.child("inject"), cache=Path(tempfile.mkdtemp(dir=empty_caches))).json()

    results = measure(
        {
            "python -c pass (wall)": corptls.code("pass").wall_ms,
            "import ssl (for scale)": corptls.child("import", "ssl").json,
            "import corptls": corptls.child("import", "corptls").json,
            "inject(), bundle cached": corptls.child("inject").json,
            "inject(), empty cache": inject_empty_cache,
        },
        runs,
    )
    baseline = results.pop("python -c pass (wall)")
    figures = {name: Figure([r["ms"] for r in values], baseline) for name, values in results.items()}
    table(
        "start-up (in the child; inject() with ssl and certifi imported) vs python -c pass "
        f"({ms(statistics.median(baseline))})",
        FIGURE_HEADER,
        [figure.row(name) for name, figure in figures.items()],
    )
    imports_ssl = any(r["ssl"] for r in results["import corptls"])
    print(
        f"  import corptls imports ssl: {'YES' if imports_ssl else 'no'}; "
        f"bundle: {results['inject(), bundle cached'][0]['roots']} roots"
    )
    imported = figures["import corptls"].median
    return [Target("import corptls", ms(imported), "<= 1 ms", imported <= 1.0)]


def inject_profile(corptls: Contender, runs: int) -> None:
    """Where inject() spends its time with the bundle cached: cProfile, median per place."""
    profiles = measure({"profile": corptls.child("inject-profile").json}, runs)["profile"]
    places = {place for profile in profiles for place in profile}
    medians = {place: statistics.median(p.get(place, 0.0) for p in profiles) for place in places}
    total = sum(medians.values())
    table(
        f"inject(), bundle cached, under cProfile: {ms(total)} in all "
        "(profiling inflates the Python parts; the figure above is unprofiled)",
        ("spent in", "median", "share"),
        [
            (place, ms(value), f"{value / total:.0%}")
            for place, value in sorted(medians.items(), key=lambda item: -item[1])
            if value >= 0.01 * total
        ],
    )


def contexts(jobs: Mapping[str, Callable[[], dict]], runs: int, where: str = "") -> list[Target]:
    """Creating a verified context, per contender and call (bench/child.py contexts), against
    stock create_default_context(cafile=certifi.where()). `jobs` maps a contender to a run of
    the child, so that `--wine` measures the same in the Windows CPython."""
    results = measure(jobs, runs)
    baseline = [r[STOCK_CONTEXT]["ms"] for r in results["stock"]]
    rows = []
    ratios: dict[tuple[str, str], float] = {}
    for contender, values in results.items():
        for call, first in values[0].items():
            figure = Figure([r[call]["ms"] for r in values], baseline)
            ratios[contender, call] = figure.ratio
            rows.append((*figure.row(f"{contender}: {call}"), roots(first), first["class"]))
    table(
        f"creating a verified context{where}: median per call, per process; ratio to stock {STOCK_CONTEXT}",
        (*FIGURE_HEADER, "roots loaded", "class"),
        rows,
    )
    targets = []
    for call in ("create_default_context()", "httpx.create_ssl_context()"):
        ratio = ratios.get(("corptls", call))
        if ratio is not None:  # httpx's call is there where httpx is installed
            targets.append(Target(f"{call} after inject(){where} vs stock", times(ratio), "<= 0.05x", ratio <= 0.05))
    return targets


def first_request(contenders: Mapping[str, Contender], server: Server, runs: int) -> list[Target]:
    """A whole process that imports httpx and makes one verified GET (wall time)."""
    get = f"import httpx\nassert httpx.get({server.url!r}).status_code == 200"
    results = measure({c.name: c.code(f"{SETUP[c.name]}\n{get}").wall_ms for c in contenders.values()}, runs)
    figures = {name: Figure(values, results["stock"]) for name, values in results.items()}
    table(
        "first verified httpx request from process start (python -c: set-up, import httpx, one GET)",
        FIGURE_HEADER,
        [figure.row(name) for name, figure in figures.items()],
    )
    ratio = figures["corptls"].ratio
    return [Target("first httpx request, process start to reply, vs stock", times(ratio), "<= 1.0x", ratio <= 1.0)]


def handshakes(contenders: Mapping[str, Contender], server: Server, runs: int, conns: int) -> list[Target]:
    """New connections with one default context (bench/child.py handshakes)."""
    results = measure(
        {c.name: c.child("handshakes", c.name, server.port, conns).json for c in contenders.values()}, runs
    )
    baseline = [r["ms"] for r in results["stock"]]
    figures = {name: Figure([r["ms"] for r in values], baseline) for name, values in results.items()}
    table(
        f"{conns} new connections to 127.0.0.1, one default context (connect, full TLS 1.3 handshake, "
        "one HTTP reply): median per connection",
        (*FIGURE_HEADER, "roots loaded"),
        [(*figure.row(name), roots(results[name][0])) for name, figure in figures.items()],
    )
    ratio = figures["corptls"].ratio
    return [Target(f"{conns} handshakes, one context, vs stock", times(ratio), "<= 1.05x", ratio <= 1.05)]


# --------------------------------------------------------------------------- set-up


def make_contenders(work: Path, server: Server) -> dict[str, Contender]:
    """stock and corptls here; truststore and pip-system-certs in their venvs (left out, with a
    line saying why, when pip cannot install them)."""
    cache = work / "cache"
    read_file = {"SSL_CERT_FILE": str(server.trust_file)}
    contenders = {
        "stock": Contender("stock", Path(sys.executable), read_file, cache),
        "corptls": Contender("corptls", Path(sys.executable), {"CORPTLS_EXTRA_CA_CERTS": str(server.root)}, cache),
    }
    for package in PACKAGES:
        try:
            venv = contender_venv(work / package, package)
        except venvs.VenvError as exc:
            print(f"bench: {package} left out, it did not install: {exc}", file=sys.stderr)
            continue
        contenders[package] = Contender(package, venv.python, read_file, cache, package_version(venv, package))
    return contenders


def header(contenders: Mapping[str, Contender], server: Server, runs: int) -> None:
    corptls = contenders["corptls"]
    rejected = not replace(corptls.child("verifies", server.port), env={}).json()["verified"]
    print(
        f"corptls benchmark: Python {platform.python_version()}, {ssl.OPENSSL_VERSION}, {platform.system()} "
        f"{platform.machine()}; N={runs} fresh processes per figure (median)"
    )
    print(f"  interpreter: {sys.executable}")
    print("  contenders: " + ", ".join(f"{c.name} {c.version}".strip() for c in contenders.values()))
    left_out = [package for package in PACKAGES if package not in contenders]
    if left_out:
        print(f"  left out (pip could not install them): {', '.join(left_out)}")
    print(
        f"  a stock default context without the root rejects the server: {'yes' if rejected else 'NO (unexpected)'}, "
        "so each contender reached it through its own trust"
    )


def run(opts: argparse.Namespace, work: Path) -> None:
    started = time.perf_counter()
    server = https_server(work / "pki")
    contenders = make_contenders(work, server)
    corptls = contenders["corptls"]
    corptls.child("warm").run()
    header(contenders, server, opts.runs)
    (work / "empty").mkdir()
    targets = startup(corptls, work / "empty", opts.runs)
    inject_profile(corptls, opts.runs)
    targets += contexts(
        {c.name: c.child("contexts", c.name, opts.contexts).json for c in contenders.values()}, opts.runs
    )
    targets += first_request(contenders, server, opts.runs)
    targets += handshakes(contenders, server, opts.runs, opts.conns)
    summary(targets)
    print(f"(bench ran {time.perf_counter() - started:.0f} s)")


def run_wine(opts: argparse.Namespace) -> None:
    """The context table in the Wine lane's Windows CPython with the wheel `opts.wine` installed
    (bench/wine-contexts builds it and starts Wine), against the Windows certificate store."""
    from tests.windows.winepy import install_lane, parse_json

    lane = install_lane(opts.wine)
    version = parse_json(
        lane.run("-c", "import json, ssl, sys; print(json.dumps([sys.version, ssl.OPENSSL_VERSION]))"), "version"
    )
    print(
        f"corptls benchmark, Wine lane: Windows CPython {version[0].split()[0]}, {version[1]}; N={opts.runs} processes per figure"
    )

    def job(name: str) -> Callable[[], dict]:
        return lambda: parse_json(lane.run(CHILD, "contexts", name, str(opts.contexts)), f"contexts {name}")

    summary(contexts({name: job(name) for name in ("stock", "corptls")}, opts.runs, " (Windows, Wine)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="fresh processes per figure (median)")
    parser.add_argument("--contexts", type=int, default=5, help="contexts made per process and call")
    parser.add_argument("--conns", type=int, default=50, help="TLS connections per process")
    parser.add_argument("--wine", type=Path, metavar="WHEEL", help="only the context table, in the Wine lane")
    opts = parser.parse_args()
    if opts.wine:
        run_wine(opts)
        return
    with work_dir("corptls-bench-") as work:
        run(opts, Path(work))


if __name__ == "__main__":
    main()
