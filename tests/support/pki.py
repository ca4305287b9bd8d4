"""Local test PKI built with `cryptography` (EC P-256 for speed).

Trust model:
  * corp root -> corp intermediate -> leaves   (the corporate interception CA)
  * rogue root -> leaves                       (trusted by nobody)
  * origin root -> origin leaf                 (only between proxy and upstream origin)
  * Zscaler root -> Zscaler intermediate -> leaves  (an interception product `corptls doctor` names)
  * lax root -> leaves                         (a corporate root whose basicConstraints is NOT
                                                critical: Python 3.13's VERIFY_X509_STRICT rejects it)
  * legacy root -> legacy intermediate -> leaves  (a root with exactly the old Zscaler root's
                                                strict defects: basicConstraints not critical, no
                                                keyUsage, no subjectKeyIdentifier; and name
                                                constraints, permitted DNS corp.test: its twin must
                                                keep them. Intermediate and leaves conform)
  * corp root -> lax intermediate -> leaves     (an intermediate whose basicConstraints is not
                                                critical: no twin repairs it, only the opt-in)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, overload

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Issuer = Literal["corp", "rogue", "origin", "zscaler", "lax", "legacy", "laxint"]

CORP_ROOT_CN = "CorpTLS Test Corporate Root CA"
CORP_INTERMEDIATE_CN = "CorpTLS Test Corporate Intermediate CA"
ROGUE_ROOT_CN = "CorpTLS Test Rogue Root CA"
ORIGIN_ROOT_CN = "CorpTLS Test Origin Root CA"
ZSCALER_ROOT_CN = "Zscaler Root CA (CorpTLS Test)"
ZSCALER_INTERMEDIATE_CN = "Zscaler Intermediate Root CA (CorpTLS Test)"
LAX_ROOT_CN = "CorpTLS Test Lax Corporate Root CA"
LEGACY_ROOT_CN = "CorpTLS Test Legacy Inspection Root CA"
LEGACY_INTERMEDIATE_CN = "CorpTLS Test Legacy Inspection Intermediate CA"
LAX_INTERMEDIATE_CN = "CorpTLS Test Lax Intermediate CA"
#: The one DNS subtree the legacy root permits.
LEGACY_PERMITTED = "corp.test"
#: Name the origin server's certificate is issued for (the proxy verifies against it).
ORIGIN_HOSTNAME = "origin.test"

_ONE_DAY = dt.timedelta(days=1)


@dataclass
class CA:
    """A certificate authority: its certificate and the key it signs with."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@overload
def sign(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> x509.Certificate: ...
@overload
def sign(
    builder: x509.CertificateRevocationListBuilder, key: ec.EllipticCurvePrivateKey
) -> x509.CertificateRevocationList: ...
def sign(
    builder: x509.CertificateBuilder | x509.CertificateRevocationListBuilder, key: ec.EllipticCurvePrivateKey
) -> x509.Certificate | x509.CertificateRevocationList:
    """`builder` signed with `key` (ECDSA, SHA-256), its r and s each a full 32 bytes: Wine's
    crypt32 rejects a signature whose r or s is shorter (TRUST_E_CERT_SIGNATURE, about one
    signature in 128), where Windows and OpenSSL accept it. ECDSA signing is randomized, so
    signing again gives other r and s."""
    while True:
        signed = builder.sign(key, hashes.SHA256())
        r, s = decode_dss_signature(signed.signature)
        if min(r.bit_length(), s.bit_length()) > 248:
            return signed


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "CorpTLS Tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _san_entry(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def make_ca(
    cn: str,
    parent: CA | None = None,
    path_length: int | None = None,
    critical_constraints: bool = True,
    legacy: bool = False,
    serial: int | None = None,
) -> CA:
    """Self-signed root (parent=None) or intermediate with CA-appropriate, strict-mode-safe extensions
    (unless critical_constraints=False: basicConstraints not critical, as some corporate roots have;
    legacy: that, no keyUsage and no subjectKeyIdentifier, and name constraints); a random serial
    number unless `serial`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    issuer_name = parent.cert.subject if parent else _name(cn)
    signing_key = parent.key if parent else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(now - _ONE_DAY)
        .not_valid_after(now + 3650 * _ONE_DAY)
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=path_length), critical=critical_constraints and not legacy
        )
    )
    if legacy:
        builder = builder.add_extension(
            x509.NameConstraints(permitted_subtrees=[x509.DNSName(LEGACY_PERMITTED)], excluded_subtrees=None),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if parent:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()), critical=False
        )
    return CA(sign(builder, signing_key), key)


def make_leaf(
    ca: CA,
    hostname: str,
    san: Sequence[str],
    expired: bool = False,
    extensions: Sequence[x509.ExtensionType] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A server certificate for `hostname` (and the names in `san`) that `ca` signed, plus
    `extensions` (not critical), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    # Expired leaves are otherwise perfect, so only the validity period can make them fail.
    start, end = (now - 30 * _ONE_DAY, now - _ONE_DAY) if expired else (now - _ONE_DAY, now + 365 * _ONE_DAY)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_san_entry(s) for s in san]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return sign(builder, ca.key), key


class PKI:
    """All test CAs, written as PEM files under `directory`; leaves are minted lazily and cached."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._corp_root = make_ca(CORP_ROOT_CN)
        self._corp_int = make_ca(CORP_INTERMEDIATE_CN, parent=self._corp_root, path_length=0)
        self._rogue_root = make_ca(ROGUE_ROOT_CN)
        self._origin_root = make_ca(ORIGIN_ROOT_CN)
        self.corp_root_pem = self._write("corp-root.pem", pem(self._corp_root.cert))
        self.corp_intermediate_pem = self._write("corp-intermediate.pem", pem(self._corp_int.cert))
        self.rogue_root_pem = self._write("rogue-root.pem", pem(self._rogue_root.cert))
        self.origin_root_pem = self._write("origin-root.pem", pem(self._origin_root.cert))
        self._zscaler_root = make_ca(ZSCALER_ROOT_CN)
        self._zscaler_int = make_ca(ZSCALER_INTERMEDIATE_CN, parent=self._zscaler_root, path_length=0)
        self._lax_root = make_ca(LAX_ROOT_CN, critical_constraints=False)
        self.zscaler_root_pem = self._write("zscaler-root.pem", pem(self._zscaler_root.cert))
        self.zscaler_intermediate_pem = self._write("zscaler-intermediate.pem", pem(self._zscaler_int.cert))
        self.lax_root_pem = self._write("lax-root.pem", pem(self._lax_root.cert))
        self._legacy_root = make_ca(LEGACY_ROOT_CN, legacy=True)
        self._legacy_int = make_ca(LEGACY_INTERMEDIATE_CN, parent=self._legacy_root, path_length=0)
        self._lax_int = make_ca(LAX_INTERMEDIATE_CN, parent=self._corp_root, path_length=0, critical_constraints=False)
        self.legacy_root_pem = self._write("legacy-root.pem", pem(self._legacy_root.cert))
        self._leaves: dict[
            tuple[str, str, bool, tuple[str, ...], tuple[x509.ExtensionType, ...]], tuple[bytes, bytes]
        ] = {}
        self._lock = threading.Lock()  # the proxy mints leaves from many threads

    def _write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path

    def leaf(
        self,
        hostname: str,
        *,
        issuer: Issuer = "corp",
        expired: bool = False,
        san: list[str] | None = None,
        extensions: tuple[x509.ExtensionType, ...] = (),
    ) -> tuple[bytes, bytes]:
        """Return (cert_chain_pem, key_pem) for `hostname`, with `extensions` (not critical) besides
        the usual ones; chains through an intermediate include it."""
        names = tuple(san) if san is not None else (hostname,)
        cache_key = (hostname, issuer, expired, names, extensions)
        with self._lock:
            if cache_key not in self._leaves:
                intermediates = {
                    "corp": self._corp_int,
                    "zscaler": self._zscaler_int,
                    "legacy": self._legacy_int,
                    "laxint": self._lax_int,
                }
                ca = (
                    intermediates.get(issuer)
                    or {"rogue": self._rogue_root, "origin": self._origin_root, "lax": self._lax_root}[issuer]
                )
                cert, key = make_leaf(ca, hostname, names, expired, extensions)
                intermediate = intermediates.get(issuer)
                chain = pem(cert) + (pem(intermediate.cert) if intermediate else b"")
                self._leaves[cache_key] = (chain, key_pem(key))
            return self._leaves[cache_key]

    def leaf_files(self, hostname: str, **kwargs: object) -> tuple[Path, Path]:
        """Like `leaf` but written to files (ssl.load_cert_chain only accepts paths)."""
        chain, key = self.leaf(hostname, **kwargs)  # type: ignore[arg-type]
        tag = hashlib.sha256(chain).hexdigest()[:16]
        cert_path, key_path = self.dir / f"leaf-{tag}.pem", self.dir / f"leaf-{tag}.key"
        if not cert_path.exists():
            key_path.write_bytes(key)
            cert_path.write_bytes(chain)
        return cert_path, key_path

    def server_context(self, hostname: str, **kwargs: object) -> ssl.SSLContext:
        """Server-side SSLContext presenting the leaf described by `leaf(hostname, **kwargs)`."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # No TLS 1.3 session tickets: post-handshake records would make the proxy's select loop block.
        ctx.num_tickets = 0
        ctx.load_cert_chain(*self.leaf_files(hostname, **kwargs))
        return ctx

    def garbage_pem(self) -> Path:
        """A file that looks like a PEM certificate but holds invalid base64."""
        return self._write(
            "garbage.pem",
            b"-----BEGIN CERTIFICATE-----\n!!!this*is*not@base64###\n%%%%\n-----END CERTIFICATE-----\n",
        )

    def non_ca_pem(self) -> Path:
        """A valid certificate that is NOT a CA (a corp-issued leaf), so it must never act as a trust anchor."""
        chain, _ = self.leaf("not-a-ca.corp.test")
        first = chain.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
        return self._write("non-ca.pem", first)
