#!/usr/bin/env python3
"""corptls autoload benchmark: what the start-up hook costs, from fresh venvs built from the wheel.

    .venv/bin/python bench/startup.py [-n 20] [--wheel corptls-*.whl] [--no-pip-system-certs]

Not a test: it prints absolute medians, ratios and overheads (ms) from one run.

Environments (fresh venvs of the same base interpreter, tests/support/venvs.py: without pip,
filled by this interpreter's pip, client libraries seen through zz-clients.pth):
  enabled    corptls from the wheel (`maturin build --release`), `python -m corptls autoload enable`
  disabled   corptls from the wheel, as installed (hook present, off)
  none       corptls not installed
  psc        pip-system-certs from PyPI, for comparison, if it installs

Figures:
  `python -c pass`      wall time of the whole process, and `site`'s import time from
                        `-X importtime` (where every .pth runs), per environment
  `import httpx`        `python -c "import httpx"`, enabled vs disabled vs none: wall time of the
                        process, and the import alone as measured inside the child
  first HTTPS request   urllib to the local HTTPS server of bench/common.py, whose root is given
                        with CORPTLS_EXTRA_CA_CERTS (enabled) or SSL_CERT_FILE (stock: only that
                        root, and certifi's roots plus it); wall time of the process, and inside
                        the child from before `import urllib.request` to the reply

Method: every figure is the median over N fresh processes; variants run interleaved (round 1 of
each, round 2 of each, ...) after an untimed round; overheads are medians of the per-round
differences. Children get the test suite's scrubbed environment and a private XDG cache. Target:
`python -c pass` with autoload enabled within 1 ms of corptls absent.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from common import (
    FIGURE_HEADER,
    Child,
    Figure,
    Target,
    contender_venv,
    https_server,
    measure,
    package_version,
    summary,
    table,
    venvs,
    work_dir,
)

TARGET_MS = 1.0
LABELS = {
    "none": "corptls not installed",
    "disabled": "corptls installed, autoload off",
    "enabled": "corptls autoload on",
    "psc": "pip-system-certs",
}

IMPORT_CHILD = """
import time
t = time.perf_counter()
import httpx
print((time.perf_counter() - t) * 1e3)
"""

REQUEST_CHILD = """
import time
t = time.perf_counter()
import urllib.request
status = urllib.request.urlopen(URL, timeout=10).status
ms = (time.perf_counter() - t) * 1e3
assert status == 200, status
print(ms)
"""


def wall_and_printed(child: Child) -> tuple[float, float]:
    """(wall time of the process, the time the child printed), ms."""
    started = time.perf_counter()
    done = child.run()
    return (time.perf_counter() - started) * 1e3, float(done.stdout.split()[-1])


def site_ms(child: Child) -> float:
    """`site`'s cumulative import time (every .pth runs inside it), from -X importtime."""
    found = re.search(r"\|\s*(\d+) \| site$", child.run().stderr, re.M)
    if not found:
        sys.exit(f"startup bench: no site line in -X importtime output of {child.argv}")
    return int(found.group(1)) / 1e3


def report(title: str, results: Mapping[str, list[float]], baseline: str) -> dict[str, float]:
    """A table of medians, ratios and overheads against `baseline`; returns the overheads."""
    figures = {name: Figure(values, results[baseline]) for name, values in results.items()}
    table(title, (*FIGURE_HEADER, "overhead"), [(*f.row(name), f"{f.overhead:+.2f} ms") for name, f in figures.items()])
    return {name: figure.overhead for name, figure in figures.items()}


def walls_and_printed(
    children: Mapping[str, Child], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Over the rounds: ({name: [wall time]}, {name: [the time the child printed]})."""
    results = measure({name: partial(wall_and_printed, child) for name, child in children.items()}, runs)
    return (
        {name: [wall for wall, _ in values] for name, values in results.items()},
        {name: [printed for _, printed in values] for name, values in results.items()},
    )


# --------------------------------------------------------------------------- set-up


def wheel_in_background(work: Path) -> Callable[[], Path]:
    """Start `maturin build --release` on a thread (it builds while the venvs are made); the
    returned call waits for the wheel."""
    built: dict = {}

    def build() -> None:
        try:
            built["wheel"] = venvs.build_wheel(work / "wheel", release=True)
        except venvs.VenvError as exc:
            built["error"] = exc

    builder = threading.Thread(target=build)
    builder.start()

    def wait() -> Path:
        builder.join()
        if "error" in built:
            sys.exit(f"startup bench: {built['error']}")
        return built["wheel"]

    return wait


def make_venvs(args: argparse.Namespace, work: Path, cache: Path) -> tuple[dict[str, venvs.Venv], str]:
    """The environments (module docstring) and a note on the pip-system-certs one."""
    wait_for_wheel = wheel_in_background(work) if args.wheel is None else lambda: args.wheel
    made = {name: venvs.create_venv(work / name) for name in ("enabled", "disabled", "none")}
    note = "skipped (--no-pip-system-certs)"
    if not args.no_pip_system_certs:
        try:
            made["psc"] = contender_venv(work / "psc", "pip-system-certs")
            note = f"pip-system-certs {package_version(made['psc'], 'pip-system-certs')}"
        except venvs.VenvError as exc:
            note = f"not installed: {str(exc).strip().splitlines()[-1][:200]}"
    wheel = wait_for_wheel()
    for name in ("enabled", "disabled"):
        venvs.install_wheel(made[name], wheel)
    Child((str(made["enabled"].python), "-m", "corptls", "autoload", "enable"), cache).run()
    return made, f"wheel {wheel.name}; 4th venv: {note}"


# --------------------------------------------------------------------------- sections


def bare_start(made: Mapping[str, venvs.Venv], cache: Path, runs: int) -> list[Target]:
    """`python -c pass`: wall time, and `site`'s import time, per environment."""
    names = [name for name in LABELS if name in made]

    def child(name: str, *args: str) -> Child:
        return Child((str(made[name].python), *args), cache, stderr_ok="-X" in args)

    walls = report(
        "python -c pass (wall time of the process)",
        measure({LABELS[n]: child(n, "-c", "pass").wall_ms for n in names}, runs),
        LABELS["none"],
    )
    sites = report(
        "python -X importtime -c pass: `site` import (all .pth files run in it)",
        measure({LABELS[n]: partial(site_ms, child(n, "-X", "importtime", "-c", "pass")) for n in names}, runs),
        LABELS["none"],
    )
    listed = "import json, sys; print(json.dumps(list(sys.modules)))"
    loaded = {name: set(child(name, "-c", listed).json()) for name in ("none", "enabled")}
    print(f"  modules that autoload adds to `python -c pass`: {', '.join(sorted(loaded['enabled'] - loaded['none']))}")
    on = max(walls[LABELS["enabled"]], sites[LABELS["enabled"]])  # the worse of wall and site
    goal = f"<= {TARGET_MS:.0f} ms"
    return [Target("python -c pass, autoload on, vs not installed", f"{on:+.2f} ms", goal, on <= TARGET_MS)]


def import_httpx(made: Mapping[str, venvs.Venv], cache: Path, runs: int) -> None:
    children = {
        LABELS[n]: Child((str(made[n].python), "-c", IMPORT_CHILD), cache) for n in ("none", "disabled", "enabled")
    }
    walls, inside = walls_and_printed(children, runs)
    report("python -c 'import httpx' (wall time of the process)", walls, LABELS["none"])
    report("import httpx (inside the child)", inside, LABELS["none"])


def first_request(made: Mapping[str, venvs.Venv], work: Path, cache: Path, runs: int) -> None:
    server = https_server(work / "pki")
    code = f"URL = {server.url!r}\n" + REQUEST_CHILD
    variants = {
        "stock, SSL_CERT_FILE=root": ("disabled", {"SSL_CERT_FILE": str(server.root)}),
        "stock, SSL_CERT_FILE=certifi+root": ("disabled", {"SSL_CERT_FILE": str(server.trust_file)}),
        "autoload, CORPTLS_EXTRA_CA_CERTS": ("enabled", {"CORPTLS_EXTRA_CA_CERTS": str(server.root)}),
    }
    children = {name: Child((str(made[venv].python), "-c", code), cache, env) for name, (venv, env) in variants.items()}
    walls, inside = walls_and_printed(children, runs)
    baseline = "stock, SSL_CERT_FILE=root"
    report("first verified HTTPS request, urllib to 127.0.0.1 (wall time of the process)", walls, baseline)
    report("first verified HTTPS request (import urllib.request + the request, inside the child)", inside, baseline)


def run(args: argparse.Namespace, work: Path) -> None:
    started = time.perf_counter()
    cache = work / "cache"
    made, note = make_venvs(args, work, cache)
    print(
        f"corptls startup bench: {sys.version.split()[0]} ({sys._base_executable}), N={args.runs} processes per figure"
    )
    print(f"  {note}; set-up took {time.perf_counter() - started:.0f} s")
    targets = bare_start(made, cache, args.runs)
    import_httpx(made, cache, args.runs)
    first_request(made, work, cache, args.runs)
    summary(targets)
    print(f"(bench ran {time.perf_counter() - started:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="fresh processes per figure (median)")
    parser.add_argument("--wheel", type=Path, help="a corptls wheel to use instead of building one")
    parser.add_argument("--no-pip-system-certs", action="store_true", help="skip the pip-system-certs venv")
    args = parser.parse_args()
    with work_dir("corptls-startup-bench-") as work:
        run(args, Path(work))


if __name__ == "__main__":
    main()
