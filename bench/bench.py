#!/usr/bin/env python3
"""corptls benchmark: start-up, inject(), context creation and TLS handshakes, stock vs injected.

    python bench/bench.py [-n RUNS] [--contexts 5] [--conns 50] [--fresh-conns 5] [--python PYTHON]

Not a test: it prints a table and a summary block, and fails only when a child process does.
Standard library only (the measured children import corptls, certifi and httpx).

Method:
- every figure comes from fresh interpreters (one per run, N runs, median of the runs);
  figures that are compared run interleaved (run 1 of each, then run 2 of each, ...);
- children get a scrubbed environment: no CA variables (SSL_CERT_FILE, SSL_CERT_DIR,
  REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, ...), no CORPTLS_* (except where set on purpose),
  no PYTHONDONTWRITEBYTECODE and friends; XDG_CACHE_HOME points at a temporary directory
  that is warmed once (the bundle file already exists) before anything is measured;
- bytecode is compiled and every measured module imported once before measuring,
  so import times are not compile times;
- each figure is printed with its ratio to a baseline measured in the same run.

Per-process counts are small for anything that builds a context: with OpenSSL 3.0 loading
~120-170 roots costs tens of ms on a slow machine, and 50 per process would take minutes.
The spread over N processes (IQR, of the per-process medians) is printed next to each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

# --------------------------------------------------------------------------- environment

_CA_VAR = re.compile(r"(CA_BUNDLE|CA_CERT|CAINFO|CAPATH|CERT_FILE|CERT_DIR|SSL_ROOTS|_CERTS?$)")
_CA_VARS = {
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "PIP_CERT",
    "AWS_CA_BUNDLE",
    "HTTPLIB2_CA_CERTS",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    "NIX_SSL_CERT_FILE",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE",
    "WEBSOCKET_CLIENT_CA_BUNDLE",
    "HTTPX_SSL_CERT_FILE",
    "OPENSSL_CONF",
}
_KEEP_PYTHON_VARS = {"PYTHONPATH", "PYTHONHOME"}


def scrubbed_env(cache_home: str, **extra: str) -> tuple[dict, list]:
    env, dropped = {}, []
    for name, value in os.environ.items():
        if (
            name in _CA_VARS
            or _CA_VAR.search(name)
            or name.startswith("CORPTLS_")
            or (name.startswith("PYTHON") and name not in _KEEP_PYTHON_VARS)
        ):
            dropped.append(name)
        else:
            env[name] = value
    env["XDG_CACHE_HOME"] = cache_home
    env.update(extra)
    return env, sorted(dropped)


# --------------------------------------------------------------------------- child code

IMPORT_CHILD = """
import sys, time
t = time.perf_counter()
import {module}
dt = time.perf_counter() - t
import json
print(json.dumps({{"ms": dt * 1e3, "ssl": "ssl" in sys.modules}}))
"""

INJECT_CHILD = """
import ssl, certifi, sys, time
import corptls
t = time.perf_counter()
corptls.inject()
dt = time.perf_counter() - t
import json
print(json.dumps({"ms": dt * 1e3, "roots": len(corptls.roots()), "path": corptls.bundle_path()}))
"""

CONTEXT_CHILD = """
import json, ssl, statistics, sys, time
import certifi, httpx
mode, n = sys.argv[1], int(sys.argv[2])
own = certifi.where()  # certifi's own file, captured before inject (as requests' DEFAULT_CA_BUNDLE_PATH)
if mode == "injected":
    import corptls
    corptls.inject()
variants = {
    "default": lambda: ssl.create_default_context(),
    "where": lambda: ssl.create_default_context(cafile=certifi.where()),
    "httpx": lambda: httpx.create_ssl_context(),
    "own": lambda: ssl.create_default_context(cafile=own),
}
times = {name: [] for name in variants}
for make in variants.values():  # untimed warm-up
    make()
for _ in range(n):  # round-robin, so a burst of load hits every call alike
    for name, make in variants.items():
        t = time.perf_counter()
        make()
        times[name].append(time.perf_counter() - t)
out = {}
for name, make in variants.items():
    ctx = make()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    out[name] = {"ms": statistics.median(times[name]) * 1e3, "roots": len(ctx.get_ca_certs())}
print(json.dumps(out))
"""

HANDSHAKE_CHILD = """
import json, socket, ssl, statistics, sys, time
import certifi
mode, port, ca, combined, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
kind, reuse = mode.rsplit("-", 1)
if kind == "injected":
    import corptls
    corptls.inject()
    make = lambda: ssl.create_default_context()
else:
    cafile = ca if kind == "stock_ca" else combined
    make = lambda: ssl.create_default_context(cafile=cafile)
fresh = reuse == "fresh"
shared = None if fresh else make()

def connect(ctx):
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            if tls.recv(1) != b"x":
                raise RuntimeError("bad reply")

for _ in range(1 if fresh else 3):  # untimed warm-up
    connect(make() if fresh else shared)
times = []
for _ in range(n):
    t = time.perf_counter()
    ctx = make() if fresh else shared
    connect(ctx)
    times.append(time.perf_counter() - t)
assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
print(json.dumps({"ms": statistics.median(times) * 1e3, "roots": len(ctx.get_ca_certs())}))
"""

# Rejected by a stock default context: proves the injected run verifies with corptls' bundle.
SANITY_CHILD = """
import socket, ssl, sys
port = int(sys.argv[1])
try:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ssl.create_default_context().wrap_socket(raw, server_hostname="localhost") as tls:
            tls.recv(1)
    print("accepted")
except ssl.SSLCertVerificationError:
    print("rejected")
"""

SERVER = """
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(128)
print(srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    conn.settimeout(5)
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"x")
    except OSError:
        conn.close()
"""

WARM_CHILD = """
import compileall, importlib, os, pkgutil, ssl
import certifi, httpx
import corptls, corptls._api, corptls.auto
for m in pkgutil.iter_modules(corptls.clients.__path__):
    importlib.import_module("corptls.clients." + m.name)
compileall.compile_dir(os.path.dirname(corptls.__file__), quiet=1)
print(corptls.bundle_path())
"""

# --------------------------------------------------------------------------- running


class Bench:
    def __init__(self, python: str, runs: int) -> None:
        self.python = python
        self.runs = runs

    def child(self, code: str, env: dict, *args: object) -> str:
        proc = subprocess.run(
            [self.python, "-c", textwrap.dedent(code), *map(str, args)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            sys.exit(f"bench: a child failed (exit {proc.returncode}):\n{proc.stderr}")
        return proc.stdout.strip().splitlines()[-1]

    def json_child(self, code: str, env: dict, *args: object) -> dict:
        return json.loads(self.child(code, env, *args))

    def interleaved(self, jobs: dict) -> dict:
        """{name: callable(run_index) -> result}: N rounds, each job once per round."""
        results: dict = {name: [] for name in jobs}
        for i in range(self.runs):
            for name, job in jobs.items():
                results[name].append(job(i))
        return results


def wall(python: str, env: dict) -> float:
    t = time.perf_counter()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return (time.perf_counter() - t) * 1e3


def med(values: list) -> float:
    return statistics.median(values)


def iqr(values: list) -> str:
    if len(values) < 4:
        return f"{min(values):.2f}-{max(values):.2f}"
    q = statistics.quantiles(values, n=4)
    return f"{q[0]:.2f}-{q[2]:.2f}"


def fmt_ms(ms: float) -> str:
    return f"{ms:.3f} ms" if ms < 1 else f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


def table(title: str, header: tuple, rows: list) -> None:
    print(f"\n{title}")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for k, row in enumerate([header, *rows]):
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


def make_pki(directory: str) -> tuple:
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
        "/CN=corptls bench CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "leaf.ext"), "w") as f:
        f.write(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
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
    return tuple(os.path.join(directory, n) for n in ("ca.pem", "leaf.pem", "leaf.key"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="fresh processes per figure (median)")
    parser.add_argument("--contexts", type=int, default=5, help="contexts created per process and call")
    parser.add_argument("--conns", type=int, default=50, help="TLS connections per process, reused context")
    parser.add_argument(
        "--fresh-conns", type=int, default=5, help="TLS connections per process, new context per connection"
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter with corptls installed")
    opts = parser.parse_args()
    if shutil.which("openssl") is None:
        sys.exit("bench: the openssl CLI is needed for the handshake test's CA")

    started = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="corptls-bench-")
    server = None
    try:
        cache = os.path.join(tmp, "cache")
        env, dropped = scrubbed_env(cache)
        bench = Bench(opts.python, opts.runs)

        # Warm: bytecode, page cache, bundle file in the cache.
        probe = subprocess.run([opts.python, "-c", "import corptls"], env=env, capture_output=True, text=True)
        if probe.returncode != 0:
            sys.exit(f"bench: corptls is not importable by {opts.python} (use --python):\n{probe.stderr}")
        bench.child(WARM_CHILD, env)
        bench.child(INJECT_CHILD, env)
        info = bench.json_child(
            """
            import json, platform, ssl, sys
            print(json.dumps({"py": platform.python_version(), "ssl": ssl.OPENSSL_VERSION}))""",
            env,
        )

        # PKI + server for handshakes (the CA reaches corptls through CORPTLS_EXTRA_CA_CERTS).
        pki = os.path.join(tmp, "pki")
        os.mkdir(pki)
        ca, leaf, key = make_pki(pki)
        certifi_file = bench.child("import certifi; print(certifi.where())", env)
        combined = os.path.join(pki, "certifi+ca.pem")
        with open(combined, "w") as out, open(certifi_file) as a, open(ca) as b:
            out.write(a.read() + "\n" + b.read())
        hs_env, _ = scrubbed_env(cache, CORPTLS_EXTRA_CA_CERTS=ca)
        bench.child(INJECT_CHILD, hs_env)  # warm the cache for this bundle too
        server = subprocess.Popen([opts.python, "-c", SERVER, leaf, key], env=env, stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline())
        sanity = bench.child(SANITY_CHILD, env, port)

        print(
            f"corptls benchmark: Python {info['py']}, {info['ssl']}, {platform.system()} "
            f"{platform.machine()}; N={opts.runs} fresh processes per figure (median of runs)"
        )
        print(f"  interpreter: {opts.python}")
        print(f"  scrubbed from the children's environment: {', '.join(dropped) or '(nothing)'}")
        print(f"  XDG_CACHE_HOME={cache} (warmed); bytecode compiled before measuring")

        # 1. start-up
        empty_root = os.path.join(tmp, "empty")
        os.mkdir(empty_root)

        def inject_empty(i: int) -> dict:
            e, _ = scrubbed_env(os.path.join(empty_root, str(i)))
            return bench.json_child(INJECT_CHILD, e)

        r = bench.interleaved(
            {
                "pass": lambda i: wall(opts.python, env),
                "corptls": lambda i: bench.json_child(IMPORT_CHILD.format(module="corptls"), env),
                "ssl": lambda i: bench.json_child(IMPORT_CHILD.format(module="ssl"), env),
                "inject": lambda i: bench.json_child(INJECT_CHILD, env),
                "inject_empty": inject_empty,
            }
        )
        startup = [x for x in r["pass"]]
        base = med(startup)
        imp = [x["ms"] for x in r["corptls"]]
        imp_ssl = [x["ms"] for x in r["ssl"]]
        inj = [x["ms"] for x in r["inject"]]
        inj_empty = [x["ms"] for x in r["inject_empty"]]
        imports_ssl = any(x["ssl"] for x in r["corptls"])
        bundle_roots = r["inject"][0]["roots"]
        base_label = f"python -c pass (wall) {fmt_ms(base)}"
        rows = [
            (
                "import corptls",
                fmt_ms(med(imp)),
                iqr(imp),
                base_label,
                f"{med(imp) / base:.3f}x",
                f"<= 2 ms: {'OK' if med(imp) <= 2 else 'MISS'}",
            ),
            (
                "import ssl (for scale)",
                fmt_ms(med(imp_ssl)),
                iqr(imp_ssl),
                base_label,
                f"{med(imp_ssl) / base:.3f}x",
                "",
            ),
            ("inject(), cache warm", fmt_ms(med(inj)), iqr(inj), base_label, f"{med(inj) / base:.3f}x", ""),
            (
                "inject(), empty cache",
                fmt_ms(med(inj_empty)),
                iqr(inj_empty),
                base_label,
                f"{med(inj_empty) / base:.3f}x",
                "",
            ),
        ]
        table(
            "1. start-up (in-process perf_counter; inject() timed with ssl + certifi already imported)",
            ("measurement", "median", "IQR ms", "baseline (same run)", "ratio", "target"),
            rows,
        )
        print(
            f"  import corptls imports ssl: {'YES' if imports_ssl else 'no'}; "
            f"bundle: {bundle_roots} roots (OS store + certifi + OpenSSL defaults)"
        )

        # 2. verified contexts
        r = bench.interleaved(
            {
                "stock": lambda i: bench.json_child(CONTEXT_CHILD, env, "stock", opts.contexts),
                "injected": lambda i: bench.json_child(CONTEXT_CHILD, env, "injected", opts.contexts),
            }
        )

        def ctx(mode: str, name: str) -> tuple:
            values = [x[name]["ms"] for x in r[mode]]
            return med(values), iqr(values), r[mode][0][name]["roots"]

        labels = {
            "default": "ssl.create_default_context()",
            "where": "create_default_context(cafile=certifi.where())  [requests/httpx style]",
            "httpx": "httpx.create_ssl_context()",
            "own": "create_default_context(cafile=<certifi's own file>)  [path taken before inject]",
        }
        rows = []
        stock_certifi = ctx("stock", "where")
        headline = ctx("injected", "default")
        ctx_rows = {}
        for name, label in labels.items():
            s, i = ctx("stock", name), ctx("injected", name)
            ctx_rows[name] = (s, i)
            rows.append(
                (label, f"{fmt_ms(s[0])} ({s[1]})", s[2], f"{fmt_ms(i[0])} ({i[1]})", i[2], f"{i[0] / s[0]:.2f}x")
            )
        headline_ratio = headline[0] / stock_certifi[0]
        table(
            f"2. creating a verified context (median per context, {opts.contexts} per process; IQR ms)",
            ("call", "stock", "roots", "after inject()", "roots", "ratio"),
            rows,
        )
        print(
            f"  headline: create_default_context() after inject() {fmt_ms(headline[0])} vs stock "
            f"create_default_context(cafile=certifi.where()) {fmt_ms(stock_certifi[0])}: "
            f"{headline_ratio:.2f}x (target <= 1.1x: {'OK' if headline_ratio <= 1.1 else 'MISS'})"
        )

        # 3. handshakes
        modes = [
            "stock_ca-reused",
            "stock_combined-reused",
            "injected-reused",
            "stock_ca-fresh",
            "stock_combined-fresh",
            "injected-fresh",
        ]
        r = bench.interleaved(
            {
                m: (
                    lambda i, m=m: bench.json_child(
                        HANDSHAKE_CHILD,
                        hs_env,
                        m,
                        port,
                        ca,
                        combined,
                        opts.fresh_conns if m.endswith("fresh") else opts.conns,
                    )
                )
                for m in modes
            }
        )
        hs = {m: (med([x["ms"] for x in r[m]]), iqr([x["ms"] for x in r[m]]), r[m][0]["roots"]) for m in modes}
        rows = []
        hs_ratio = {}
        for reuse, what in (("reused", "one context reused"), ("fresh", "new default context per conn")):
            inj_ = hs[f"injected-{reuse}"]
            for kind, stock_label in (("stock_ca", "cafile=CA"), ("stock_combined", "cafile=certifi+CA")):
                s = hs[f"{kind}-{reuse}"]
                hs_ratio[(reuse, kind)] = inj_[0] / s[0]
                rows.append(
                    (
                        what,
                        f"{stock_label}: {fmt_ms(s[0])} ({s[1]})",
                        s[2],
                        f"{fmt_ms(inj_[0])} ({inj_[1]})",
                        inj_[2],
                        f"{inj_[0] / s[0]:.2f}x",
                    )
                )
        table(
            f"3. TLS 1.3 connections to 127.0.0.1 (connect + full handshake + 1 byte; median per "
            f"connection, {opts.conns} per process reused / {opts.fresh_conns} fresh; IQR ms)",
            ("case", "stock", "roots", "injected (CORPTLS_EXTRA_CA_CERTS=CA)", "roots", "ratio"),
            rows,
        )
        print(
            f"  sanity: a stock create_default_context() {sanity} the test server "
            f"({'so the injected runs verified through corptls' if sanity == 'rejected' else 'UNEXPECTED'})"
        )

        elapsed = time.perf_counter() - started
        d, w = ctx_rows["default"], ctx_rows["where"]
        o, h = ctx_rows["own"], ctx_rows["httpx"]
        print("\n----- summary " + "-" * 50)
        print(
            f"corptls bench: N={opts.runs} fresh processes/figure, medians; Python {info['py']}, "
            f"{info['ssl']}, {platform.system()} {platform.machine()}; scrubbed CA env, warm cache"
        )
        print(
            f"- import corptls: {fmt_ms(med(imp))} (target <= 2 ms: "
            f"{'OK' if med(imp) <= 2 else 'MISS'}; imports ssl: {'yes' if imports_ssl else 'no'}); "
            f"interpreter start-up {fmt_ms(base)}, import ssl {fmt_ms(med(imp_ssl))}"
        )
        print(
            f"- inject() cold (first in process, ssl+certifi imported): {fmt_ms(med(inj))} with the "
            f"bundle file cached, {fmt_ms(med(inj_empty))} with an empty cache; "
            f"{med(inj) / base:.2f}x interpreter start-up; bundle {bundle_roots} roots"
        )
        print(
            f"- create_default_context() after inject: {fmt_ms(headline[0])} ({headline[2]} roots) vs "
            f"stock cafile=certifi.where() {fmt_ms(stock_certifi[0])} ({stock_certifi[2]} roots): "
            f"{headline_ratio:.2f}x (target <= 1.1x: {'OK' if headline_ratio <= 1.1 else 'MISS'}); "
            f"vs stock create_default_context() {fmt_ms(d[0][0])} ({d[0][2]} roots): "
            f"{d[1][0] / d[0][0]:.2f}x"
        )
        print(
            f"- after inject vs stock: cafile=certifi.where() {w[1][0] / w[0][0]:.2f}x, "
            f"httpx.create_ssl_context() {h[1][0] / h[0][0]:.2f}x, "
            f"cafile=<certifi's own file> {o[1][0] / o[0][0]:.2f}x"
        )
        print(
            f"- handshake, one context reused: injected {hs_ratio[('reused', 'stock_ca')]:.2f}x vs "
            f"cafile=CA, {hs_ratio[('reused', 'stock_combined')]:.2f}x vs cafile=certifi+CA "
            f"({fmt_ms(hs['injected-reused'][0])}/conn)"
        )
        print(
            f"- handshake, new context per conn: injected {hs_ratio[('fresh', 'stock_ca')]:.2f}x vs "
            f"cafile=CA, {hs_ratio[('fresh', 'stock_combined')]:.2f}x vs cafile=certifi+CA "
            f"({fmt_ms(hs['injected-fresh'][0])}/conn)"
        )
        print(f"(bench ran {elapsed:.0f} s)")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
