"""Leaves with revocation information, and the CRL server they name, for Wine's chain engine.

Wine 8's CertGetCertificateChain rejects a leaf without revocation information
(CERT_E_REVOCATION_FAILURE, 0x800B010E) even when told to ignore an offline revocation
server. So the chains that `corptls.verify_chain` must *accept* carry a CRL
distribution point on 127.0.0.1, served by `CrlServer`: an empty CRL of the issuing CA.
Chains that must be rejected get one too, so only the fault under test can fail them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.support.pki import PKI, sign

_DAY = dt.timedelta(days=1)
CRL_PATH = "/corp-intermediate.crl"
ROGUE_CRL_PATH = "/rogue-root.crl"


class _Handler(BaseHTTPRequestHandler):
    server: "CrlServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        body = self.server.crls.get(self.path)
        with self.server.lock:
            self.server.requests[self.path] += 1
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class CrlServer(ThreadingHTTPServer):
    """Plain HTTP on 127.0.0.1: the (empty) CRLs of the corp intermediate and the rogue root."""

    daemon_threads = True

    def __init__(self, pki: PKI) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.crls = {CRL_PATH: empty_crl(pki._corp_int), ROGUE_CRL_PATH: empty_crl(pki._rogue_root)}

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def start(self) -> "CrlServer":
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def empty_crl(ca: Any) -> bytes:
    """A CRL of `ca` (tests.support.pki.CA) revoking nothing, valid for a week; DER."""
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - _DAY)
        .next_update(now + 7 * _DAY)
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    return sign(builder, ca.key).public_bytes(serialization.Encoding.DER)


def crl_distribution_point(crl_url: str) -> x509.CRLDistributionPoints:
    """The extension that names `crl_url` as a certificate's CRL."""
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None, crl_issuer=None
    )
    return x509.CRLDistributionPoints([point])


def revocable_chain(
    pki: PKI,
    crl_url: str,
    *,
    hostname: str = "localhost",
    san: tuple[str, ...] = ("localhost", "127.0.0.1"),
    issuer: Literal["corp", "rogue"] = "corp",
    expired: bool = False,
) -> list[bytes]:
    """The chain (DER, leaf first) of a leaf naming `crl_url` as its CRL distribution point.

    issuer "corp": leaf + corp intermediate (the root stays in the Windows store only);
    issuer "rogue": leaf + the rogue root itself (Wine accepts chains it cannot complete, so a
    reject test must present the untrusted root).
    """
    chain, _ = pki.leaf(
        hostname, issuer=issuer, expired=expired, san=list(san), extensions=(crl_distribution_point(crl_url),)
    )
    certs = x509.load_pem_x509_certificates(chain)
    if issuer == "rogue":
        certs += x509.load_pem_x509_certificates(pki.rogue_root_pem.read_bytes())
    return [cert.public_bytes(serialization.Encoding.DER) for cert in certs]
