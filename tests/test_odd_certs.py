"""Odd real certificates (tests/fixtures/odd/) placed in the OS store: corptls reads every one as
a root, and one certificate OpenSSL cannot read does not cost the others their trust."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from tests.support.harness import DirectServers, Scenario
from tests.support.outcomes import VERIFY_FAILED, assert_fails, reported
from tests.support.pki import CORP_ROOT_CN, PKI
from tests.support.store import StoreLayout, build_store

ODD = Path(__file__).parent / "fixtures" / "odd"
CORPUS = sorted(ODD.glob("*.pem"))
# The fixture CA with its CN's UTF8String made invalid UTF-8 ("Co" -> ff fe): OpenSSL refuses it,
# and with it, before the fix, the whole bundle (and so every root of the OS store).
CN = b"\x0c\x17CorpTLS Fixture Root CA"
BROKEN_CN = b"\x0c\x17\xff\xferpTLS Fixture Root CA"


def der(path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(path.read_text())


@pytest.fixture(scope="module")
def odd_store(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> StoreLayout:
    base = tmp_path_factory.mktemp("odd-store")
    fixture = der(Path(__file__).parent / "fixtures" / "ca.pem")
    assert fixture.count(CN) == 2  # issuer and subject
    broken = base / "broken-name.pem"
    broken.write_text(ssl.DER_cert_to_PEM_cert(fixture.replace(CN, BROKEN_CN)))
    extra = {f"corptls-odd-{p.name}": p for p in CORPUS} | {"corptls-odd-broken-name.pem": broken}
    return build_store(base / "store", corp_root_pem=pki.corp_root_pem, extra_files=extra)


def test_every_odd_root_in_the_os_store_is_a_root(
    scenario: Scenario, odd_store: StoreLayout, direct: DirectServers
) -> None:
    urls = direct.good.url("localhost"), direct.rogue.url("localhost")
    out = reported(scenario("roots_then_inject", *urls, store=odd_store, timeout=120))
    found = {r["sha256"]: r["sources"] for r in out["roots"]}
    for path in CORPUS:
        sha = hashlib.sha256(der(path)).hexdigest()
        assert "os" in found.get(sha, []), (path.name, out["warnings"])
    # The one OpenSSL cannot read is left out, named in a warning; the rest keep working.
    refused = [w for w in out["warnings"] if "corptls-odd-broken-name.pem" in w]
    assert len(refused) == 1 and "OpenSSL cannot read its" in refused[0], out["warnings"]
    assert not [w for w in out["warnings"] if "OpenSSL refused the bundle" in w], out["warnings"]
    assert out["good"] == "ok", out
    assert_fails(out["rogue"], VERIFY_FAILED)


def test_control_without_corptls_fails(scenario: Scenario, odd_store: StoreLayout, direct: DirectServers) -> None:
    out = reported(scenario("imported_unused", direct.good.url("localhost"), store=odd_store, timeout=120))
    assert_fails(out["good"], VERIFY_FAILED)
    assert CORP_ROOT_CN  # the corporate root is in the store, as a loose file only corptls reads
