#!/usr/bin/env python3
"""corptls autoload benchmark: what the start-up hook costs, from fresh venvs built from the wheel.

    python bench/startup.py [-n 20] [--wheel corptls-*.whl] [--no-pip-system-certs]

Not a test: it prints absolute medians, ratios and overheads (ms) from one run.

Environments (fresh venvs of the same base interpreter, made like tests/support/venvs.py:
without pip, filled by this interpreter's pip, client libraries seen through zz-clients.pth):
  enabled    corptls from the wheel (`maturin build --release`), `python -m corptls autoload enable`
  disabled   corptls from the wheel, as installed (hook present, off)
  none       corptls not installed
  psc        pip-system-certs (`pip install pip-system-certs`), for comparison, if it installs

Figures:
  `python -c pass`      wall time of the whole process, and `site`'s import time from
                        `-X importtime` (where every .pth runs), per environment
  `import httpx`        `python -c "import httpx"`, enabled vs disabled vs none: wall time of the
                        process, and the import alone as measured inside the child
  first HTTPS request   urllib to a local HTTPS server on 127.0.0.1 whose CA (openssl CLI) is
                        given with CORPTLS_EXTRA_CA_CERTS (enabled) or SSL_CERT_FILE (stock: only
                        that CA, and the system bundle plus that CA, the same roots corptls loads);
                        wall time of the process, and inside the child from before
                        `import urllib.request` to the body

Method: every figure is the median over N fresh processes; variants run interleaved (round 1 of
each, round 2 of each, ...); overheads are medians of the per-round differences. Children get a
scrubbed environment (no CA or proxy variables, no CORPTLS_*, no PYTHON* such as
PYTHONDONTWRITEBYTECODE) and a private XDG cache; bytecode and the bundle cache are warmed by
untimed runs first. Target: `python -c pass` with autoload enabled within 1 ms of corptls absent.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import venvs  # noqa: E402  (stdlib-only helpers shared with the tests)

KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
TARGET_MS = 1.0

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
body = urllib.request.urlopen(URL, timeout=10).read()
ms = (time.perf_counter() - t) * 1e3
assert body == b"ok", body
print(ms)
"""


def scrubbed(cache: Path, **extra: str) -> dict:
    env = {k: os.environ[k] for k in KEPT if k in os.environ}
    env["XDG_CACHE_HOME"] = str(cache)
    env.update(extra)
    return env


def make_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a leaf for 127.0.0.1, with the openssl CLI."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=corptls startup bench CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1")
    (directory / "leaf.ext").write_text(
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    )
    openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    )
    return directory / "ca.pem", directory / "leaf.pem", directory / "leaf.key"


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def serve(leaf: Path, key: Path) -> str:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"https://127.0.0.1:{server.server_address[1]}/"


class Child:
    """One variant: an interpreter, its arguments and its environment."""

    def __init__(self, python: Path, args: list, env: dict) -> None:
        self.argv = [str(python), *args]
        self.env = env

    def run(self) -> subprocess.CompletedProcess:
        done = subprocess.run(self.argv, env=self.env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0 or (done.stderr and "-X" not in self.argv):
            sys.exit(f"startup bench: {self.argv} failed (rc={done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    def wall_ms(self) -> float:
        t = time.perf_counter()
        self.run()
        return (time.perf_counter() - t) * 1e3

    def printed_ms(self) -> tuple:
        """(wall time of the process, the time the child printed)."""
        t = time.perf_counter()
        done = self.run()
        return (time.perf_counter() - t) * 1e3, float(done.stdout.split()[-1])

    def site_ms(self) -> float:
        """`site`'s cumulative import time (every .pth runs inside it), from -X importtime."""
        found = re.search(r"\|\s*(\d+) \| site$", self.run().stderr, re.M)
        if not found:
            sys.exit(f"startup bench: no site line in -X importtime output of {self.argv}")
        return int(found.group(1)) / 1e3


def measure(variants: dict, how: str, runs: int) -> dict:
    """Interleaved: {name: [ms per round]}; one untimed round first."""
    for child in variants.values():
        child.run()
    times = {name: [] for name in variants}
    for _ in range(runs):
        for name, child in variants.items():
            times[name].append(getattr(child, how)())
    return times


def split(times: dict, index: int) -> dict:
    return {name: [v[index] for v in values] for name, values in times.items()}


def report(title: str, times: dict, baseline: str, unit_note: str = "") -> dict:
    """Print medians, ratios to `baseline` and overheads (median of the per-round differences); return those."""
    print(f"\n{title}{unit_note}")
    base = statistics.median(times[baseline])
    overheads = {}
    for name, values in times.items():
        med = statistics.median(values)
        q = statistics.quantiles(values, n=4) if len(values) > 1 else [med, med, med]
        line = f"  {name:<34} median {med:8.2f} ms   IQR {q[0]:7.2f}-{q[2]:7.2f}"
        overheads[name] = statistics.median(a - b for a, b in zip(values, times[baseline]))
        if name != baseline:
            line += f"   x{med / base:5.2f}   overhead {overheads[name]:+7.2f} ms"
        else:
            line += "   (baseline)"
        print(line)
    return overheads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="fresh processes per figure (median)")
    parser.add_argument("--wheel", type=Path, help="a corptls wheel to use instead of building one")
    parser.add_argument("--no-pip-system-certs", action="store_true", help="skip the pip-system-certs venv")
    args = parser.parse_args()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="corptls-startup-bench-"))
    try:
        run(args, work, started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, started: float) -> None:
    if shutil.which("openssl") is None:
        sys.exit("startup bench: the openssl CLI is needed for the local HTTPS server's CA")
    steps: dict = {}

    def timed(step: str, action, *a, **kw):  # noqa: ANN001, ANN202
        t = time.perf_counter()
        try:
            return action(*a, **kw)
        finally:
            steps[step] = steps.get(step, 0.0) + time.perf_counter() - t

    # The wheel builds while the other environments are made (and pip-system-certs downloads).
    built: dict = {}
    if args.wheel is None:

        def build() -> None:
            try:
                built["wheel"] = timed("wheel", venvs.build_wheel, work / "wheel", release=True)
            except venvs.VenvError as exc:
                built["error"] = exc

        builder = threading.Thread(target=build)
        builder.start()
    made = {name: timed("venvs", venvs.create_venv, work / name) for name in ("enabled", "disabled", "none")}
    cache = work / "cache"
    cache.mkdir()
    psc_note = "skipped (--no-pip-system-certs)"
    if not args.no_pip_system_certs:
        psc = timed("venvs", venvs.create_venv, work / "psc")
        try:
            timed("pip-system-certs", venvs.pip, psc, "install", "-q", "pip-system-certs")
            made["psc"] = psc
            version = subprocess.run(
                [str(psc.python), "-c", "import importlib.metadata as m; print(m.version('pip-system-certs'))"],
                env=scrubbed(cache),
                capture_output=True,
                text=True,
            ).stdout.strip()
            psc_note = f"pip-system-certs {version}"
        except venvs.VenvError as exc:
            psc_note = f"not installed: {str(exc).strip().splitlines()[-1][:200]}"
    if args.wheel is None:
        builder.join()
        if "error" in built:
            sys.exit(f"startup bench: {built['error']}")
    wheel = args.wheel or built["wheel"]
    for name in ("enabled", "disabled"):
        timed("install", venvs.install_wheel, made[name], wheel)
    done = subprocess.run(
        [str(made["enabled"].python), "-m", "corptls", "autoload", "enable"],
        env=scrubbed(cache),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"startup bench: autoload enable failed: {done.stderr}")

    ca, leaf, key = make_pki(work)
    with open(work / "system-plus-ca.pem", "wb") as out:  # stock trust as big as corptls' bundle
        out.write(
            Path(ssl.get_default_verify_paths().openssl_cafile or "/etc/ssl/certs/ca-certificates.crt").read_bytes()
            + b"\n"
            + ca.read_bytes()
        )
    url = serve(leaf, key)

    print(
        f"corptls startup bench: {sys.version.split()[0]} ({sys._base_executable}), N={args.runs} "
        f"processes per figure, wheel {wheel.name}"
    )
    print(
        f"  4th venv: {psc_note}; set-up took {time.perf_counter() - started:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in steps.items())
        + ")"
    )

    env = scrubbed(cache)
    names = [n for n in ("none", "disabled", "enabled", "psc") if n in made]
    labels = {
        "none": "corptls not installed",
        "disabled": "corptls installed, autoload off",
        "enabled": "corptls autoload on",
        "psc": "pip-system-certs",
    }

    times = measure({labels[n]: Child(made[n].python, ["-c", "pass"], env) for n in names}, "wall_ms", args.runs)
    passes = report("python -c pass (wall time of the process)", times, labels["none"])
    times = measure(
        {labels[n]: Child(made[n].python, ["-X", "importtime", "-c", "pass"], env) for n in names}, "site_ms", args.runs
    )
    sites = report("python -X importtime -c pass: `site` import (all .pth files run in it)", times, labels["none"])

    loaded = {
        n: set(
            json.loads(
                Child(made[n].python, ["-c", "import json, sys; print(json.dumps(list(sys.modules)))"], env)
                .run()
                .stdout
            )
        )
        for n in ("none", "enabled")
    }
    print(f"  modules that autoload adds to `python -c pass`: {', '.join(sorted(loaded['enabled'] - loaded['none']))}")

    times = measure(
        {labels[n]: Child(made[n].python, ["-c", IMPORT_CHILD], env) for n in ("none", "disabled", "enabled")},
        "printed_ms",
        args.runs,
    )
    report("python -c 'import httpx' (wall time of the process)", split(times, 0), labels["none"])
    report("import httpx (inside the child)", split(times, 1), labels["none"])

    code = f"URL = {url!r}\n" + REQUEST_CHILD
    request_variants = {
        "stock, SSL_CERT_FILE=ca.pem": Child(
            made["disabled"].python, ["-c", code], scrubbed(cache, SSL_CERT_FILE=str(ca))
        ),
        "stock, SSL_CERT_FILE=system+ca.pem": Child(
            made["disabled"].python, ["-c", code], scrubbed(cache, SSL_CERT_FILE=str(work / "system-plus-ca.pem"))
        ),
        "autoload, CORPTLS_EXTRA_CA_CERTS": Child(
            made["enabled"].python, ["-c", code], scrubbed(cache, CORPTLS_EXTRA_CA_CERTS=str(ca))
        ),
    }
    times = measure(request_variants, "printed_ms", args.runs)
    report(
        "first verified HTTPS request, urllib to 127.0.0.1 (wall time of the process)",
        split(times, 0),
        "stock, SSL_CERT_FILE=ca.pem",
    )
    report(
        "first verified HTTPS request (import urllib.request + the request, inside the child)",
        split(times, 1),
        "stock, SSL_CERT_FILE=ca.pem",
    )

    on, off, psc = labels["enabled"], labels["disabled"], labels["psc"]
    print("\nsummary (overheads against corptls not installed, medians of per-round differences)")
    print(
        f"  python -c pass, autoload on:  {passes[on]:+.2f} ms wall, {sites[on]:+.2f} ms in site "
        f"(target <= {TARGET_MS:.0f} ms: {'met' if max(passes[on], sites[on]) <= TARGET_MS else 'NOT met'})"
    )
    print(f"  python -c pass, autoload off: {passes[off]:+.2f} ms wall, {sites[off]:+.2f} ms in site")
    if "psc" in made:
        print(f"  python -c pass, pip-system-certs: {passes[psc]:+.2f} ms wall, {sites[psc]:+.2f} ms in site")
    print(f"  total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
