"""Zero roots parsed per context: a widened context loads only corptls's hashed directory, which
OpenSSL reads one root file at a time, when a handshake needs it (README, "How it works")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.outcomes import UNTRUSTED, assert_verify_failed, reported
from tests.support.pki import CORP_ROOT_CN, PKI

EXPIRED, WRONG_NAME = "certificate has expired", "Hostname mismatch"


def run(scenario: Scenario, mode: str, stores: Stores, direct: DirectServers, *args: Path, **env: str) -> Any:
    """tests/scenarios/hashed_dir.py MODE (the per-test cache directory is tmp_path's)."""
    urls = [server.url("localhost") for server in direct.all()]
    return reported(scenario("hashed_dir", mode, *urls, *args, store=stores.corp, env=env))


def assert_chains(outcomes: list[str]) -> None:
    good, rogue, expired, wrong_name = outcomes
    assert good == "ok", outcomes
    for failed, reason in ((rogue, UNTRUSTED), (expired, EXPIRED), (wrong_name, WRONG_NAME)):
        assert_verify_failed(failed, reason)


def test_a_widened_context_parses_no_root_up_front(
    scenario: Scenario, stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    stock = run(scenario, "stock", stores, direct)
    assert UNTRUSTED in stock["outcomes"][0] and stock["up_front"] > 100, stock  # the control
    out = run(scenario, "kept", stores, direct)
    assert out["up_front"] == 0, out
    assert_chains(out["outcomes"])
    # One root read, the one the corporate chain needed: the rogue root is in no store.
    assert out["loaded"] == [CORP_ROOT_CN], out
    assert Path(out["capath"]).parent == tmp_path / "corptls" and out["files"] == out["roots"] > 100, out


def test_a_hashed_directory_deleted_under_a_process_is_written_again(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    out = run(scenario, "removed", stores, direct)
    assert out["up_front"] == 0 and out["dir_back"], out
    assert_chains(out["outcomes"])


def test_a_cache_path_openssl_would_split_loads_every_root_up_front(
    scenario: Scenario, stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    # OpenSSL splits a capath at ':': the pieces would be other directories, one of them relative.
    out = run(scenario, "kept", stores, direct, CORPTLS_CACHE_DIR=str(tmp_path / "a:b"))
    assert out["capath"] is None and out["up_front"] > 100, out
    assert_chains(out["outcomes"])


def test_a_hashed_directory_the_process_can_no_longer_read_gives_way_to_the_roots_in_memory(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    """A daemon that injects as root, then drops to nobody: the cache directory is out of reach."""
    out = run(scenario, "dropped", stores, direct)
    assert out["up_front"] == 0, out
    assert_chains(out["outcomes"])


def expired_cross_sign(pki: PKI, path: Path) -> Path:
    """The corporate root's name and key, issued by the rogue root, expired: what an intermediate
    store keeps long after a root's cross-signing ended (ISRG Root X1 by DST Root CA X3)."""
    root, issuer, now = pki._corp_root, pki._rogue_root, dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(root.cert.subject)
        .issuer_name(issuer.cert.subject)
        .public_key(root.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_a_certificate_held_up_front_does_not_hide_a_root_of_the_directory(
    scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI, tmp_path: Path
) -> None:
    """OpenSSL searches a hashed directory only for a subject it holds nothing for: the root named
    like a certificate the context holds up front is loaded up front too (then OpenSSL prefers the
    valid one of the two)."""
    cross_sign = expired_cross_sign(pki, tmp_path / "cross-sign.pem")
    out = run(scenario, "cafile", stores, direct, cross_sign)
    assert_chains(out["outcomes"])
    assert out["up_front"] == 2, out  # the cross-sign and the root it would hide
