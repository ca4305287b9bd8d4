"""Windows behaviour of the Python layer, proved on Linux where it can be.

- ``load_default_certs``: on Windows stock loads the CA and ROOT system stores itself; with
  corptls active, the bundle stands for ROOT (the Rust core reads it, less Disallowed), so no
  root is parsed twice, a Disallowed certificate is not trusted, and the CA store's
  intermediates still are. Linux has no ``ssl.enum_certificates``: the scenario stands in for Windows with
  store contents of its own and ``windows_stores``, the one platform decision of the patch.
  The Wine lane runs the same on real Windows CPython.
- No stderr (``pythonw.exe``; fd 2 closed at start-up): no corptls report may ever raise.

Shell output for PowerShell and cmd, shell detection, the atomic writes and path lists in doctor
are pure functions: ``test_units.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from corptls import _autoload
from tests.support import venvs
from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.pki import PKI
from tests.support.store import StoreNamespaceError

PACKAGE = Path(_autoload.__file__).resolve().parent
UNTRUSTED = "unable to get local issuer certificate"

# --------------------------------------------------------------------------- load_default_certs on "Windows"

# The program's globals CORP_PEM, INTERMEDIATE_PEM, ROGUE_PEM, OTHER_PEM, GOOD, ROGUE_URL come first.
WINDOWS_STORES = r'''
import json, ssl, sys, urllib.request, warnings
import certifi
import corptls
from corptls.clients import ssl as patch

REAL_PLATFORM = sys.platform
ORIGINAL = vars(ssl.SSLContext)["load_default_certs"]


def ders(path):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(path)
    return ctx.get_ca_certs(binary_form=True)


def split(cadata):
    """The DER certificates of a concatenation, as stock hands the stores to load_verify_locations."""
    data, found, i = bytes(cadata), [], 0
    while i < len(data):
        assert data[i] == 0x30, data[i:i + 4]
        size = data[i + 1]
        head = 2
        if size & 0x80:
            head += size & 0x7F
            size = int.from_bytes(data[i + 2:i + head], "big")
        found.append(data[i:i + head + size])
        i += head + size
    return found


(CORP,), (INTERMEDIATE,), (ROGUE,), (OTHER,) = (ders(p) for p in (CORP_PEM, INTERMEDIATE_PEM, ROGUE_PEM, OTHER_PEM))
PUBLIC = ders(certifi.where())[:3]
SERVER, CLIENT = ssl.Purpose.SERVER_AUTH.oid, ssl.Purpose.CLIENT_AUTH.oid
# What Windows' ssl.enum_certificates yields: (DER, encoding, trust: True or a set of EKU OIDs).
STORES = {
    "CA": [(INTERMEDIATE, "x509_asn", True), (b"\x30\x03\x02\x01\x00", "pkcs_7_asn", True)],
    "ROOT": [(CORP, "x509_asn", True), *[(d, "x509_asn", {SERVER}) for d in PUBLIC],
             # In no source of the bundle: on Windows, where the bundle reads this very store, that is
             # a root in Disallowed. Stock trusts it through this store; corptls must not.
             (ROGUE, "x509_asn", {SERVER}),
             (OTHER, "x509_asn", {CLIENT})],  # for client authentication only
    "Disallowed": [],
}
DENIED = set()


def enum_certificates(name):
    if name in DENIED:
        raise PermissionError(5, "Access is denied")
    return list(STORES[name])


ssl.enum_certificates = enum_certificates


class Spy(ssl.SSLContext):
    """Records the certificates loaded as cadata through the context, as stock loads the stores."""

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        if cadata is not None:
            self.parsed += split(cadata)
        return super().load_verify_locations(cafile, capath, cadata)


def windows_context(purpose=ssl.Purpose.SERVER_AUTH, server=False, verify=True):
    ctx = Spy(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    ctx.parsed = []
    if server and verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
    sys.platform = "win32"  # stock load_default_certs decides at call time
    try:
        ctx.load_default_certs(purpose)
    finally:
        sys.platform = REAL_PLATFORM
    return ctx


def names(certs):
    label = {CORP: "corp", INTERMEDIATE: "intermediate", ROGUE: "rogue", OTHER: "other",
             **{d: f"public{n}" for n, d in enumerate(PUBLIC)}}
    return [label.get(c, "?") for c in certs]


def outcome(url, ctx):
    try:
        urllib.request.urlopen(url, context=ctx, timeout=15).read()
        return "ok"
    except Exception as exc:
        return str(getattr(exc, "reason", exc))


out = {}
sys.platform = "win32"
out["stores_on_windows"] = patch.windows_stores(ssl.SSLContext)
sys.platform = REAL_PLATFORM
out["stores_here"] = patch.windows_stores(ssl.SSLContext)

# Linux as it is: the patch leaves load_default_certs alone.
corptls.inject()
out["linux_patched"] = vars(ssl.SSLContext)["load_default_certs"] is not ORIGINAL
corptls.extract()

stock = windows_context()
stock_client = windows_context(ssl.Purpose.CLIENT_AUTH, server=True)
out["stock"] = names(stock.parsed)
out["stock_client"] = names(stock_client.parsed)
out["stock_good"], out["stock_rogue"] = outcome(GOOD, stock), outcome(ROGUE_URL, stock)

patch.windows_stores = lambda cls: tuple(cls._windows_cert_stores)  # what it returns on Windows
corptls.inject()
bundle = {r.der for r in corptls.roots()}  # collected now, not while sys.platform says win32
out["in_bundle"] = names(sorted(bundle & {CORP, INTERMEDIATE, ROGUE, OTHER, *PUBLIC}))
out["patched"] = ssl.SSLContext.load_default_certs.__module__
ctx = windows_context()
out["injected"] = names(ctx.parsed)
out["parsed_twice"] = names(set(ctx.parsed) & bundle)
held = set(ctx.get_ca_certs(binary_form=True)) | bundle  # the bundle: up front, or in the lazy directory
out["lost"] = names(set(stock.get_ca_certs(binary_form=True)) - held)
out["widened"] = patch.is_widened(ctx)
out["good"], out["rogue"] = outcome(GOOD, ctx), outcome(ROGUE_URL, ctx)
out["default_context"] = names(c for c in ssl.create_default_context().get_ca_certs(binary_form=True)
                               if c in {INTERMEDIATE, ROGUE, OTHER})
out["client"] = names(windows_context(ssl.Purpose.CLIENT_AUTH, server=True).parsed)
out["cert_none"] = names(windows_context(ssl.Purpose.CLIENT_AUTH, server=True, verify=False).parsed)
try:
    ssl.create_default_context().load_default_certs("serverAuth")
    out["bad_purpose"] = "accepted"
except TypeError:
    out["bad_purpose"] = "TypeError"
STORES["Disallowed"] = [(INTERMEDIATE, "x509_asn", True)]
out["disallowed"] = names(windows_context().parsed)
STORES["Disallowed"] = []
DENIED.add("CA")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    denied = windows_context()
out["denied"] = names(denied.parsed)
out["denied_warnings"] = [str(w.message) for w in caught]
DENIED.clear()

corptls.extract()
out["restored"] = vars(ssl.SSLContext)["load_default_certs"] is ORIGINAL
out["after"] = names(windows_context().parsed)
print(json.dumps(out))
'''


def test_load_default_certs_on_windows_parses_no_root_twice_and_honours_disallowed(
    scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI
) -> None:
    prelude = "".join(
        f"{name} = {str(value)!r}\n"
        for name, value in {
            "CORP_PEM": pki.corp_root_pem,
            "INTERMEDIATE_PEM": pki.corp_intermediate_pem,
            "ROGUE_PEM": pki.rogue_root_pem,
            "OTHER_PEM": pki.origin_root_pem,
            "GOOD": direct.good.url("localhost"),
            "ROGUE_URL": direct.rogue.url("localhost"),
        }.items()
    )
    done = scenario(prelude + WINDOWS_STORES, store=stores.corp)
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["stores_on_windows"] == ["CA", "ROOT"] and out["stores_here"] == []
    assert out["linux_patched"] is False  # on Linux load_default_certs stays stock, object and all
    # Stock Windows: the CA store, then the ROOT store (purpose-filtered), parsed in full.
    assert out["stock"] == ["intermediate", "corp", "public0", "public1", "public2", "rogue"]
    assert out["stock_client"] == ["intermediate", "corp", "other"]
    assert out["stock_good"] == "ok" and out["stock_rogue"] == "ok"  # its ROOT store holds the rogue root
    # The OS store (here /etc/ssl/certs) gave the bundle the corporate root, certifi the public ones.
    assert sorted(out["in_bundle"]) == ["corp", "public0", "public1", "public2"]
    assert out["patched"] == "corptls.clients.ssl"
    # Injected: the bundle stands for ROOT; from CA only what neither the bundle nor Disallowed holds.
    assert out["injected"] == ["intermediate"]
    assert out["parsed_twice"] == []
    assert out["lost"] == ["rogue"]  # what ROOT holds and the bundle lacks: on Windows, Disallowed's
    assert out["widened"] is True
    assert out["good"] == "ok" and UNTRUSTED in out["rogue"]
    assert out["default_context"] == ["intermediate"]  # create_default_context() goes through it
    assert out["disallowed"] == []  # an intermediate Windows distrusts is not loaded either
    assert out["client"] == ["intermediate", "corp", "other"]  # another purpose: stock's own loading
    assert out["cert_none"] == ["intermediate", "corp", "other"]  # CERT_NONE: stock exactly
    assert out["bad_purpose"] == "TypeError"
    assert out["denied"] == [] and out["denied_warnings"] == ["unable to enumerate Windows certificate store"]
    assert out["restored"] is True
    assert out["after"] == out["stock"]


# --------------------------------------------------------------------------- no stderr

# The program's globals URL, MISSING, CLOSE come first. No corptls report may raise, under
# -W error too: the request works and the program goes on.
NO_STDERR = r"""
import sys
closed = sys.stderr is None
if CLOSE:
    sys.stderr = None  # as under pythonw.exe
import json, urllib.request
import corptls
corptls.inject(extra_cas=[MISSING])  # a real problem: reported, never raised
urllib.request.urlopen(URL, timeout=15).read()
print(json.dumps({"closed": closed, "stderr": repr(sys.stderr), "injected": corptls.is_injected()}))
"""


@pytest.mark.parametrize("warnings_flag", [[], ["-W", "error"]], ids=["default", "-W error"])
@pytest.mark.parametrize("how", ["fd 2 closed", "sys.stderr = None", "garbage CORPTLS_EXTRA_CA_CERTS, fd 2 closed"])
def test_no_stderr_never_breaks_a_report(
    how: str, warnings_flag: list[str], stores: Stores, direct: DirectServers, pki: PKI, tmp_path: Path
) -> None:
    closed = "fd 2 closed" in how
    code = (
        f"URL = {direct.good.url('localhost')!r}\nMISSING = '/nonexistent/corp-ca.pem'\n"
        f"CLOSE = {not closed}\n" + NO_STDERR
    )
    env = {"CORPTLS_EXTRA_CA_CERTS": str(pki.garbage_pem())} if "garbage" in how else None
    try:
        done = venvs.run(
            [sys.executable, *warnings_flag, "-c", code],
            cache_dir=tmp_path,
            store=stores.corp,
            env=env,
            setup="exec 2>&-" if closed else "",
        )
    except StoreNamespaceError as exc:
        pytest.fail(str(exc), pytrace=False)
    assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
    assert json.loads(done.stdout) == {"closed": closed, "stderr": "None", "injected": True}


def test_shipped_hook_is_the_generated_one() -> None:
    data = PACKAGE.parent / "corptls.data" / "purelib"
    pth = (data / _autoload.PTH_NAME).read_bytes()
    assert pth == _autoload.pth_text(False).encode("ascii")  # ASCII: site reads a .pth in the locale's encoding
    assert (data / _autoload.START_NAME).read_bytes() == _autoload.START_TEXT.encode("ascii")
    assert _autoload.pth_text(True).isascii() and "except Exception: pass" in _autoload.pth_text(True)
