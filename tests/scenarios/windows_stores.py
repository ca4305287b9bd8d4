"""load_default_certs as on Windows, on Linux: stock and with corptls, against store contents of
its own (Linux has no ssl.enum_certificates) and `windows_stores`, the patch's one platform decision.

    windows_stores.py CORP_PEM INTERMEDIATE_PEM ROGUE_PEM OTHER_PEM GOOD_URL ROGUE_URL
"""

from __future__ import annotations

import json
import ssl
import sys
import warnings
from collections.abc import Iterable

import certifi
from kit import get

import corptls
from corptls.clients import ssl as patch

CORP_PEM, INTERMEDIATE_PEM, ROGUE_PEM, OTHER_PEM, GOOD, ROGUE_URL = sys.argv[1:]

REAL_PLATFORM = sys.platform
ORIGINAL = vars(ssl.SSLContext)["load_default_certs"]


def ders(path: str) -> list[bytes]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(path)
    return ctx.get_ca_certs(binary_form=True)


def split(cadata: bytes) -> list[bytes]:
    """The DER certificates of a concatenation, as stock hands the stores to load_verify_locations."""
    data, found, i = bytes(cadata), [], 0
    while i < len(data):
        assert data[i] == 0x30, data[i : i + 4]
        size = data[i + 1]
        head = 2
        if size & 0x80:
            head += size & 0x7F
            size = int.from_bytes(data[i + 2 : i + head], "big")
        found.append(data[i : i + head + size])
        i += head + size
    return found


(CORP,), (INTERMEDIATE,), (ROGUE,), (OTHER,) = (ders(p) for p in (CORP_PEM, INTERMEDIATE_PEM, ROGUE_PEM, OTHER_PEM))
PUBLIC = ders(certifi.where())[:3]
SERVER, CLIENT = ssl.Purpose.SERVER_AUTH.oid, ssl.Purpose.CLIENT_AUTH.oid
# What Windows' ssl.enum_certificates yields: (DER, encoding, trust: True or a set of EKU OIDs).
STORES = {
    "CA": [(INTERMEDIATE, "x509_asn", True), (b"\x30\x03\x02\x01\x00", "pkcs_7_asn", True)],
    "ROOT": [
        (CORP, "x509_asn", True),
        *[(d, "x509_asn", {SERVER}) for d in PUBLIC],
        # In no source of the bundle: on Windows, where the bundle reads this very store, that is
        # a root in Disallowed. Stock trusts it through this store; corptls must not.
        (ROGUE, "x509_asn", {SERVER}),
        (OTHER, "x509_asn", {CLIENT}),  # for client authentication only
    ],
    "Disallowed": [],
}
DENIED: set[str] = set()


def enum_certificates(name: str) -> list[tuple[bytes, str, object]]:
    if name in DENIED:
        raise PermissionError(5, "Access is denied")
    return list(STORES[name])


ssl.enum_certificates = enum_certificates


class Spy(ssl.SSLContext):
    """Records the certificates loaded as cadata through the context, as stock loads the stores."""

    parsed: list[bytes]

    def load_verify_locations(
        self, cafile: str | None = None, capath: str | None = None, cadata: bytes | None = None
    ) -> None:
        if cadata is not None:
            self.parsed += split(cadata)
        return super().load_verify_locations(cafile, capath, cadata)


def windows_context(purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH, server: bool = False, verify: bool = True) -> Spy:
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


def names(certs: Iterable[bytes]) -> list[str]:
    label = {
        CORP: "corp",
        INTERMEDIATE: "intermediate",
        ROGUE: "rogue",
        OTHER: "other",
        **{d: f"public{n}" for n, d in enumerate(PUBLIC)},
    }
    return [label.get(c, "?") for c in certs]


out: dict[str, object] = {}
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
out["stock_good"], out["stock_rogue"] = get(GOOD, stock), get(ROGUE_URL, stock)

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
out["good"], out["rogue"] = get(GOOD, ctx), get(ROGUE_URL, ctx)
out["default_context"] = names(
    c for c in ssl.create_default_context().get_ca_certs(binary_form=True) if c in {INTERMEDIATE, ROGUE, OTHER}
)
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
