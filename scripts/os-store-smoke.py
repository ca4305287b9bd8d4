#!/usr/bin/env python3
"""Real-OS-store smoke test: a fresh test root CA goes into the machine's real trust store, a
local HTTPS server on 127.0.0.1 presents a leaf it signed, and the installed corptls must make
the clients trust it, while a server whose root is in no store still fails.

    python scripts/os-store-smoke.py                       # install into this OS's store (auto)
    python scripts/os-store-smoke.py --store windows-policy   # Windows: the Group Policy registry path only
    python scripts/os-store-smoke.py --store none          # install nothing: every check must fail
    python scripts/os-store-smoke.py --sandbox             # Linux, as root: a private mount namespace with
                                                           # copies of /etc/ssl/certs and
                                                           # /usr/local/share/ca-certificates (host untouched)
    python scripts/os-store-smoke.py --self-test-leak      # hands the stock clients the root on purpose:
                                                           # the run MUST fail (checks that the control bites)

Stores: windows-machine (`certutil -addstore -f Root`, LocalMachine), windows-policy (a `Blob`
under HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates\\<SHA1>),
macos-admin (`security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain`),
linux (`/usr/local/share/ca-certificates/*.crt` + `update-ca-certificates`), none. Commands that
need root run through sudo when this process is not root. The root is removed again at the end
(unless --keep). Each run makes new keys, so a root left over from an earlier run never makes
this run's leaf verify.

Every client runs in a fresh interpreter (the one running this script: it needs corptls,
requests, httpx and cryptography) with the TLS variables scrubbed (SSL_CERT_FILE,
REQUESTS_CA_BUNDLE, proxies, ...). A "stock" run also sets CORPTLS_DISABLE=1, so an enabled
autoload cannot patch it. A failure counts only when it is a certificate verification failure;
anything else (refused connection, timeout, crash) is reported as an error, which is never
what a check expects. Exits 0 only when every check gave exactly the expected outcome.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import shutil
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from corptls._policy import tls_variables

# The checkout's test PKI (this script runs from a checkout: scripts/os-store-smoke.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.pki import key_pem, make_ca, make_leaf, pem  # noqa: E402

BODY = "corptls-os-store-smoke-ok"
STORES = ("auto", "none", "linux", "macos-admin", "windows-machine", "windows-policy")
# Every variable that steers TLS, as corptls doctor knows them (its policy table): all scrubbed.
TLS_VARIABLES = tuple(tls_variables())
CLIENTS = ("urllib", "requests", "httpx")

# One probe: fetch URL with CLIENT, print one JSON line {"outcome": ok|cert|error, "detail": ...}.
PROBE = (
    r'''
import json, ssl, sys
client, url, inject = sys.argv[1], sys.argv[2], sys.argv[3] == "1"

def cert_failure(exc):
    seen = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(e):
            return True
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None)]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
    return False

try:
    # The client is imported before inject(): the harder case (requests binds its bundle at import).
    if client == "urllib":
        import urllib.request
        fetch = lambda: urllib.request.urlopen(url, timeout=10).read().decode()
    elif client == "requests":
        import requests
        fetch = lambda: requests.get(url, timeout=10).text
    else:
        import httpx
        fetch = lambda: httpx.get(url, timeout=10).text
    if inject:
        import corptls
        corptls.inject()
    body = fetch()
    result = {"outcome": "ok" if body == "'''
    + BODY
    + r"""" else "error", "detail": body[:200]}
except Exception as exc:
    result = {"outcome": "cert" if cert_failure(exc) else "error", "detail": f"{type(exc).__name__}: {exc}"[:300]}
print(json.dumps(result))
"""
)

# What corptls itself reports: the OS roots it read, and the OS's verdict on each leaf.
FACTS = r"""
import json, sys
import corptls
good, rogue = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
os_roots = {r.sha256.lower().replace(":", "") for r in corptls.roots() if "os" in r.sources}
verdicts = {}
for name, der in (("good", good), ("rogue", rogue)):
    try:
        corptls.verify_chain([der], "127.0.0.1")
        verdicts[name] = None
    except corptls.VerificationError as exc:
        verdicts[name] = str(exc) or "VerificationError"
print(json.dumps({"os_roots": sorted(os_roots), "verdicts": verdicts, "count": len(corptls.roots())}))
"""


class Pki:
    """A root CA named for this run and a leaf for 127.0.0.1 / localhost that it signed
    (tests/support/pki.py builds them), written as files."""

    def __init__(self, label: str, directory: Path) -> None:
        root = make_ca(f"corptls smoke {label} root {os.urandom(4).hex()}")
        leaf, leaf_key = make_leaf(root, "127.0.0.1", ["localhost", "127.0.0.1"])
        self.root_der = root.cert.public_bytes(Encoding.DER)
        self.leaf_der = leaf.public_bytes(Encoding.DER)
        self.root_pem = pem(root.cert)
        self.sha1 = hashlib.sha1(self.root_der).hexdigest().upper()
        self.sha256 = hashlib.sha256(self.root_der).hexdigest()
        self.subject = root.cert.subject.rfc4514_string()
        self.root_pem_path = directory / f"{label}-root.pem"
        self.root_cer_path = directory / f"{label}-root.cer"
        self.chain_path = directory / f"{label}-leaf.pem"
        self.key_path = directory / f"{label}-leaf.key"
        self.root_pem_path.write_bytes(self.root_pem)
        self.root_cer_path.write_bytes(self.root_der)
        self.chain_path.write_bytes(pem(leaf))
        self.key_path.write_bytes(key_pem(leaf_key))


class Server:
    """An HTTPS server on 127.0.0.1 (a free port) presenting one leaf, in a daemon thread."""

    def __init__(self, pki: Pki) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                data = BODY.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.chain_path, pki.key_path)

        class TLSServer(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def finish_request(self, request, client_address):  # in the connection's own thread
                request.settimeout(15)
                try:
                    tls = context.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError):
                    return  # the client refused our certificate: what the failing checks expect
                try:
                    self.RequestHandlerClass(tls, client_address, self)
                finally:
                    tls.close()

            def handle_error(self, request, client_address):
                pass

        self.httpd = TLSServer(("127.0.0.1", 0), Handler)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def privileged(cmd: list) -> list:
    """cmd, through sudo when this process is not root (POSIX only)."""
    if os.name == "posix" and os.geteuid() != 0:
        return ["sudo", "-n", *cmd]
    return cmd


def run(cmd: list, check: bool = True) -> subprocess.CompletedProcess:
    print(f"    $ {' '.join(map(str, cmd))}", flush=True)
    done = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", timeout=300
    )
    lines = done.stdout.strip().splitlines()
    if len(lines) > 6 and done.returncode == 0:  # update-ca-certificates --fresh lists every link
        lines = [f"... ({len(lines) - 5} lines)", *lines[-5:]]
    if lines:
        print("      " + "\n      ".join(lines), flush=True)
    if check and done.returncode != 0:
        raise SystemExit(f"os-store-smoke: {cmd[0]} exited {done.returncode}")
    return done


# --- the stores ------------------------------------------------------------------------------

POLICY_KEY = r"SOFTWARE\Policies\Microsoft\SystemCertificates\Root\Certificates"


def install(store: str, pki: Pki) -> None:
    print(f"==> install {pki.subject} (SHA-1 {pki.sha1}) into: {store}", flush=True)
    if store == "none":
        print("    (nothing installed)")
    elif store == "linux":
        target = f"/usr/local/share/ca-certificates/corptls-smoke-{pki.sha1[:16].lower()}.crt"
        run(privileged(["mkdir", "-p", "/usr/local/share/ca-certificates"]))
        run(privileged(["cp", str(pki.root_pem_path), target]))
        run(privileged(["chmod", "0644", target]))
        run(privileged(["update-ca-certificates"]))
        bundle = Path("/etc/ssl/certs/ca-certificates.crt").read_text(encoding="ascii", errors="replace")
        if pki.root_pem.decode().strip().splitlines()[1] not in bundle:
            raise SystemExit(
                "os-store-smoke: update-ca-certificates did not put the root into /etc/ssl/certs/ca-certificates.crt"
            )
    elif store == "macos-admin":
        run(
            privileged(
                [
                    "security",
                    "add-trusted-cert",
                    "-d",
                    "-r",
                    "trustRoot",
                    "-k",
                    "/Library/Keychains/System.keychain",
                    str(pki.root_pem_path),
                ]
            )
        )
    elif store == "windows-machine":
        run(["certutil", "-addstore", "-f", "Root", str(pki.root_cer_path)])
    elif store == "windows-policy":
        import winreg

        # The registry's serialized certificate element, as Group Policy writes it: a header
        # (property id 32 = the encoded certificate, reserved 1, length) and the DER.
        blob = struct.pack("<III", 32, 1, len(pki.root_der)) + pki.root_der
        with winreg.CreateKeyEx(
            winreg.HKEY_LOCAL_MACHINE, rf"{POLICY_KEY}\{pki.sha1}", 0, winreg.KEY_WRITE | winreg.KEY_WOW64_64KEY
        ) as key:
            winreg.SetValueEx(key, "Blob", 0, winreg.REG_BINARY, blob)
        print(rf"    wrote HKLM\{POLICY_KEY}\{pki.sha1}\Blob ({len(blob)} bytes)")
    else:
        raise SystemExit(f"os-store-smoke: unknown store {store!r}")
    if store.startswith("windows"):
        # Does Windows itself list it? (CurrentUser's logical Root store, which takes in the
        # LocalMachine and Group Policy stores.) Tells a bad blob apart from a corptls bug.
        seen = any(der == pki.root_der for der, _, _ in ssl.enum_certificates("ROOT"))  # type: ignore[attr-defined]
        print(f"    Windows lists the root in the ROOT store: {seen}")
        if not seen:
            raise SystemExit("os-store-smoke: Windows does not list the installed root: the install step failed")


def remove(store: str, pki: Pki) -> None:
    print(f"==> remove the test root from: {store}", flush=True)
    if store == "linux":
        target = f"/usr/local/share/ca-certificates/corptls-smoke-{pki.sha1[:16].lower()}.crt"
        run(privileged(["rm", "-f", target]), check=False)
        run(privileged(["update-ca-certificates", "--fresh"]), check=False)
    elif store == "macos-admin":
        run(privileged(["security", "remove-trusted-cert", "-d", str(pki.root_pem_path)]), check=False)
        run(
            privileged(["security", "delete-certificate", "-Z", pki.sha1, "/Library/Keychains/System.keychain"]),
            check=False,
        )
    elif store == "windows-machine":
        run(["certutil", "-delstore", "Root", pki.sha1], check=False)
    elif store == "windows-policy":
        import winreg

        try:
            winreg.DeleteKeyEx(winreg.HKEY_LOCAL_MACHINE, rf"{POLICY_KEY}\{pki.sha1}", winreg.KEY_WOW64_64KEY, 0)
        except OSError as exc:
            print(f"    could not delete the key: {exc}")


# --- the checks ------------------------------------------------------------------------------


def child_env(stock: bool) -> dict:
    # CORPTLS_CACHE_DIR is dropped too: the bundle goes to the default per-user cache, as for a
    # user (content-addressed, so a file of an earlier run is never this run's).
    env = {k: v for k, v in os.environ.items() if k not in TLS_VARIABLES}
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONIOENCODING="utf-8")
    if stock:
        env["CORPTLS_DISABLE"] = "1"
    return env


class Checks:
    def __init__(self, python: str) -> None:
        self.python = python
        self.failed: list = []

    def expect(self, name: str, got: object, want: object, detail: str = "") -> None:
        ok = got == want
        print(
            f"  {'ok  ' if ok else 'FAIL'}  {name}: {got} (expected {want}){'  -- ' + detail if detail else ''}",
            flush=True,
        )
        if not ok:
            self.failed.append(name)

    def child(self, args: list, stock: bool, extra_env: dict = None) -> subprocess.CompletedProcess:
        env = child_env(stock)
        env.update(extra_env or {})
        try:
            return subprocess.run(
                [self.python, *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                timeout=120,
                encoding="utf-8",
                errors="replace",
            )
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(exc.cmd, -1, "", f"timed out after {exc.timeout}s")

    def fetch(self, name: str, client: str, url: str, inject: bool, want: str, extra_env: dict = None) -> None:
        """One request by CLIENT in a fresh interpreter; its outcome (ok, cert, error) must be WANT."""
        done = self.child(["-c", PROBE, client, url, "1" if inject else "0"], stock=not inject, extra_env=extra_env)
        try:
            result = json.loads(done.stdout.strip().splitlines()[-1])
            outcome, detail = result["outcome"], result["detail"]
        except (IndexError, ValueError, KeyError):
            outcome, detail = "error", f"exit {done.returncode}: {tail(done.stdout + done.stderr, 400)}"
        self.expect(name, outcome, want, detail)


def tail(text: str, size: int = 600) -> str:
    """The end of a child's stderr, on one line."""
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= size else "..." + text[-size:]


def pem_hashes(text: str) -> set:
    found, block = set(), []
    for line in text.splitlines():
        if line.startswith("-----BEGIN CERTIFICATE-----"):
            block = [line]
        elif block:
            block.append(line)
            if line.startswith("-----END CERTIFICATE-----"):
                found.add(hashlib.sha256(ssl.PEM_cert_to_DER_cert("\n".join(block) + "\n")).hexdigest())
                block = []
    return found


def stdlib_reads_os_store(store: str) -> bool:
    """Whether stock ssl (urllib) already trusts the installed root: OpenSSL's default paths are
    the OS store on Linux; on Windows, load_default_certs() reads the system ROOT store. On macOS
    Python's OpenSSL never reads the keychain."""
    return store in ("linux", "windows-machine", "windows-policy")


def smoke(args: argparse.Namespace, work: Path) -> int:
    store = args.store
    good, rogue = Pki("good", work), Pki("rogue", work)
    print(f"python {sys.version.split()[0]} ({args.python}), {sys.platform}, store {store}", flush=True)
    installed = store != "none"
    servers = []
    try:
        if installed:
            install(store, good)
        servers = [Server(good), Server(rogue)]
        good_url, rogue_url = servers[0].url, servers[1].url
        checks = Checks(args.python)
        leak = (
            {"REQUESTS_CA_BUNDLE": str(good.root_pem_path), "SSL_CERT_FILE": str(good.root_pem_path)}
            if args.self_test_leak
            else None
        )
        if args.self_test_leak:
            print(
                "==> --self-test-leak: the stock clients get the root through REQUESTS_CA_BUNDLE and "
                "SSL_CERT_FILE; this run must FAIL"
            )

        print("==> stock clients (certifi / OpenSSL defaults, CORPTLS_DISABLE=1)", flush=True)
        for client in CLIENTS:
            want = "ok" if installed and client == "urllib" and stdlib_reads_os_store(store) else "cert"
            checks.fetch(f"stock {client} -> good root's server", client, good_url, False, want, leak)
        print("==> after corptls.inject()", flush=True)
        for client in CLIENTS:
            checks.fetch(
                f"corptls {client} -> good root's server", client, good_url, True, "ok" if installed else "cert"
            )
        for client in CLIENTS:
            checks.fetch(f"corptls {client} -> rogue root's server", client, rogue_url, True, "cert")

        print("==> corptls.roots() and corptls.verify_chain()", flush=True)
        done = checks.child(["-c", FACTS, good.leaf_der.hex(), rogue.leaf_der.hex()], stock=False)
        try:
            facts = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            facts = None
            checks.expect("corptls facts probe ran", done.returncode, 0, (done.stdout + done.stderr).strip()[-400:])
        if facts is not None:
            checks.expect(
                "good root among corptls.roots() from source 'os'",
                good.sha256 in facts["os_roots"],
                installed,
                f"{facts['count']} roots in all",
            )
            checks.expect("rogue root among corptls.roots()", rogue.sha256 in facts["os_roots"], False)
            checks.expect(
                "OS verdict (verify_chain) on the good leaf",
                facts["verdicts"]["good"] is None,
                installed,
                facts["verdicts"]["good"] or "",
            )
            checks.expect(
                "OS verdict (verify_chain) on the rogue leaf",
                facts["verdicts"]["rogue"] is None,
                False,
                facts["verdicts"]["rogue"] or "",
            )

        print("==> the corptls command", flush=True)
        done = checks.child(["-m", "corptls", "doctor"], stock=False)
        print("    " + done.stdout.strip().replace("\n", "\n    "))
        checks.expect("corptls doctor exit", done.returncode, 0, tail(done.stderr))
        for name, url, trusted in (("good", good_url, installed), ("rogue", rogue_url, False)):
            done = checks.child(["-m", "corptls", "doctor", url, "--json", "--timeout", "20"], stock=False)
            try:
                verdicts = json.loads(done.stdout)["verdicts"]
            except (ValueError, KeyError):
                verdicts = None
                checks.expect(
                    f"corptls doctor {name} --json parses", False, True, (done.stdout + done.stderr).strip()[-400:]
                )
            checks.expect(f"corptls doctor {name} server exit", done.returncode, 0 if trusted else 1)
            if verdicts is not None:
                checks.expect(f"doctor {name}: trusted by certifi", verdicts.get("certifi") is None, False)
                checks.expect(
                    f"doctor {name}: trusted by the OS", verdicts.get("os") is None, trusted, verdicts.get("os") or ""
                )
                checks.expect(
                    f"doctor {name}: trusted by corptls",
                    verdicts.get("corptls") is None,
                    trusted,
                    verdicts.get("corptls") or "",
                )
        for sources in (["--sources", "os"], []):
            done = checks.child(["-m", "corptls", "bundle", *sources], stock=False)
            hashes = pem_hashes(done.stdout)
            label = "corptls bundle" + (" " + " ".join(sources) if sources else "")
            checks.expect(f"{label} exit", done.returncode, 0, tail(done.stderr))
            checks.expect(
                f"{label} holds the good root", good.sha256 in hashes, installed, f"{len(hashes)} certificates"
            )
            checks.expect(f"{label} holds the rogue root", rogue.sha256 in hashes, False)
        out = work / "bundle.pem"
        done = checks.child(["-m", "corptls", "bundle", "-o", str(out)], stock=False)
        checks.expect(
            "corptls bundle -o FILE holds the good root",
            out.exists() and good.sha256 in pem_hashes(out.read_text(encoding="ascii")),
            installed,
            tail(done.stderr),
        )
        for shell in ("bash", "powershell"):
            done = checks.child(["-m", "corptls", "env", "--shell", shell], stock=False)
            checks.expect(f"corptls env --shell {shell} exit", done.returncode, 0, tail(done.stderr))
            checks.expect(f"corptls env --shell {shell} sets SSL_CERT_FILE", "SSL_CERT_FILE" in done.stdout, True)
    finally:
        for server in servers:
            server.close()
        if installed and not args.keep:
            remove(store, good)

    print()
    if checks.failed:
        print(f"os-store-smoke: FAILED {len(checks.failed)} check(s): " + "; ".join(checks.failed), file=sys.stderr)
        return 1
    print(f"os-store-smoke: all checks passed (store {store})")
    return 0


def sandboxed(args: argparse.Namespace) -> int:
    """Linux, as root: rerun in a private mount namespace whose /etc/ssl/certs and
    /usr/local/share/ca-certificates are bind-mounted copies, installing into those for real."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        raise SystemExit("os-store-smoke: --sandbox needs Linux and root (unshare -m)")
    work = Path(tempfile.mkdtemp(prefix="corptls-smoke-ns-"))
    try:
        shutil.copytree("/etc/ssl/certs", work / "certs", symlinks=True)
        local = Path("/usr/local/share/ca-certificates")
        if local.is_dir():
            shutil.copytree(local, work / "local", symlinks=True)
        else:
            (work / "local").mkdir()
        inner = [sys.executable, os.path.abspath(__file__), "--store", "linux", "--python", args.python]
        inner += ["--keep"] if args.keep else []
        inner += ["--self-test-leak"] if args.self_test_leak else []
        script = (
            "set -e; mount --make-rprivate /; mkdir -p /usr/local/share/ca-certificates; "
            f'mount --bind "{work}/certs" /etc/ssl/certs; '
            f'mount --bind "{work}/local" /usr/local/share/ca-certificates; exec "$@"'
        )
        return subprocess.call(["unshare", "-m", "sh", "-c", script, "sh", *inner])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    for stream in (sys.stdout, sys.stderr):  # a Windows console's code page must not end the run
        stream.reconfigure(errors="replace")  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=STORES, default="auto")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the clients (default: this one)")
    parser.add_argument("--keep", action="store_true", help="leave the test root installed")
    parser.add_argument("--sandbox", action="store_true", help="Linux as root: a private mount namespace")
    parser.add_argument(
        "--self-test-leak", action="store_true", help="give the stock clients the root on purpose: the run must fail"
    )
    args = parser.parse_args()
    if args.sandbox:
        return sandboxed(args)
    if args.store == "auto":
        args.store = {"win32": "windows-machine", "darwin": "macos-admin"}.get(sys.platform, "linux")
    work = Path(tempfile.mkdtemp(prefix="corptls-smoke-"))
    try:
        return smoke(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
