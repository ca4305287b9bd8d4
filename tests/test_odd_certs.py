"""Odd real certificates (tests/fixtures/odd/) placed in the OS store: corptls reads every one as
a root, and one certificate OpenSSL cannot read does not cost the others their trust."""

from __future__ import annotations

import hashlib
import json
import ssl
from pathlib import Path

import pytest

from tests.support.harness import DirectServers, Scenario
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


def run(scenario: Scenario, store: StoreLayout, body: str) -> dict:
    code = f"""
import json, urllib.request, warnings
warnings.simplefilter("always")
out = {{}}
def fetch(url):
    try:
        return "ok" if json.loads(urllib.request.urlopen(url, timeout=10).read()) == {{"ok": True}} else "body"
    except Exception as exc:
        return f"{{type(exc).__name__}}: {{exc}}"
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
{body}
out["warnings"] = [str(w.message) for w in caught]
print(json.dumps(out))
"""
    proc = scenario("-c", code, store=store, timeout=120)
    assert proc.returncode == 0, f"rc={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_odd_root_in_the_os_store_is_a_root(
    scenario: Scenario, odd_store: StoreLayout, direct: DirectServers
) -> None:
    out = run(
        scenario,
        odd_store,
        f"""
    import corptls
    out["roots"] = {{r.sha256: list(r.sources) for r in corptls.roots()}}
    corptls.inject()
    out["good"] = fetch({direct.good.url("localhost")!r})
    out["rogue"] = fetch({direct.rogue.url("localhost")!r})
""",
    )
    for path in CORPUS:
        sha = hashlib.sha256(der(path)).hexdigest()
        assert "os" in out["roots"].get(sha, []), (path.name, out["warnings"])
    # The one OpenSSL cannot read is left out, named in a warning; the rest keep working.
    refused = [w for w in out["warnings"] if "corptls-odd-broken-name.pem" in w]
    assert len(refused) == 1 and "OpenSSL cannot read its" in refused[0], out["warnings"]
    assert not [w for w in out["warnings"] if "OpenSSL refused the bundle" in w], out["warnings"]
    assert out["good"] == "ok", out
    assert "CERTIFICATE_VERIFY_FAILED" in out["rogue"], out


def test_control_without_corptls_fails(scenario: Scenario, odd_store: StoreLayout, direct: DirectServers) -> None:
    out = run(
        scenario,
        odd_store,
        f"""
    out["good"] = fetch({direct.good.url("localhost")!r})
""",
    )
    assert "CERTIFICATE_VERIFY_FAILED" in out["good"], out
    assert CORP_ROOT_CN  # the corporate root is in the store, as a loose file only corptls reads
