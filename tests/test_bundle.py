"""The trust bundle end to end: problems become warnings naming their source, the rest still works.

Every case runs in a fresh interpreter with a scrubbed environment (``scenario``); store cases
bind-mount a copy of /etc/ssl/certs in which the corporate root is a loose file that only
something reading the OS store can see, so stock clients fail (the controls prove it).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.outcomes import VERIFY_FAILED, assert_fails, reported
from tests.support.pki import CORP_ROOT_CN, ORIGIN_ROOT_CN, PKI
from tests.support.store import OS_STORE, READ_ONLY_CACHE

GARBAGE_FILE = str(OS_STORE / "corptls-test-garbage.pem")
NON_CA_FILE = str(OS_STORE / "corptls-test-non-ca.pem")
IN_MEMORY = "using the roots in memory"


def sources(out: dict[str, Any], cn: str) -> list[list[str]]:
    """The sources of each root in the report whose subject names `cn`."""
    return [r["sources"] for r in out["roots"] if cn in r["subject"]]


def urls(direct: DirectServers) -> tuple[str, str]:
    return direct.good.url("localhost"), direct.rogue.url("localhost")


def warnings_about(out: dict[str, Any], text: str) -> list[str]:
    return [w for w in out["warnings"] if text in w]


# --- bad entries in the OS store ------------------------------------------------------------


def test_bad_store_entries_warn_per_file_and_corp_root_still_works(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    out = reported(scenario("roots_then_inject", *urls(direct), store=stores.bad))
    garbage = warnings_about(out, GARBAGE_FILE)
    non_ca = warnings_about(out, NON_CA_FILE)
    assert len(garbage) == 1, out["warnings"]
    assert len(non_ca) == 1, out["warnings"]
    assert garbage[0].startswith(f"CorptlsWarning: corptls: os: {GARBAGE_FILE}: "), garbage
    assert non_ca[0].startswith(f"CorptlsWarning: corptls: os: {NON_CA_FILE}: "), non_ca
    assert "not-a-ca.corp.test" in non_ca[0] and "not a CA certificate" in non_ca[0], non_ca
    assert not any("not-a-ca.corp.test" in r["subject"] for r in out["roots"])
    assert sources(out, CORP_ROOT_CN) == [["os"]]
    assert out["good"] == "ok"


def test_bad_store_control_without_inject_fails(scenario: Scenario, stores: Stores, direct: DirectServers) -> None:
    out = reported(scenario("imported_unused", direct.good.url("localhost"), store=stores.bad))
    assert_fails(out["good"], VERIFY_FAILED)
    assert out["warnings"] == []  # nothing is read before corptls is used


# --- CORPTLS_EXTRA_CA_CERTS and inject(extra_cas=...) ------------------------------------------


def test_missing_extra_ca_path_warns_and_the_rest_works(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    not_a_dir = str(pki.corp_root_pem / "ca.pem")  # a path *under a file*: ENOTDIR
    value = os.pathsep.join([missing, not_a_dir, str(pki.corp_root_pem)])
    out = reported(
        scenario("roots_then_inject", *urls(direct), store=stores.plain, env={"CORPTLS_EXTRA_CA_CERTS": value})
    )
    for path in (missing, not_a_dir):
        found = warnings_about(out, f"CORPTLS_EXTRA_CA_CERTS: {path}: cannot read")
        assert len(found) == 1, (path, out["warnings"])
    assert sources(out, CORP_ROOT_CN) == [["CORPTLS_EXTRA_CA_CERTS"]]
    assert out["good"] == "ok"


@pytest.mark.parametrize("with_variable", [True, False], ids=["env", "control"])
def test_extra_ca_env_var_trusts_a_root_missing_from_the_os_store(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers, with_variable: bool
) -> None:
    env = {"CORPTLS_EXTRA_CA_CERTS": str(pki.corp_root_pem)} if with_variable else {}
    out = reported(scenario("roots_then_inject", *urls(direct), store=stores.plain, env=env))
    assert not warnings_about(out, "CORPTLS_EXTRA_CA_CERTS"), out["warnings"]
    if with_variable:
        assert sources(out, CORP_ROOT_CN) == [["CORPTLS_EXTRA_CA_CERTS"]]
        assert out["good"] == "ok"
    else:
        assert sources(out, CORP_ROOT_CN) == []
        assert_fails(out["good"], VERIFY_FAILED)


@pytest.mark.parametrize("with_extra", [True, False], ids=["extra_cas", "control"])
def test_inject_extra_cas_trusts_a_root_missing_from_the_os_store(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers, with_extra: bool
) -> None:
    extra = [str(pki.corp_root_pem)] if with_extra else []
    out = reported(scenario("inject_then_roots", *urls(direct), *extra, store=stores.plain))
    if with_extra:
        assert sources(out, CORP_ROOT_CN) == [["extra"]]
        assert out["good"] == "ok"
    else:
        assert sources(out, CORP_ROOT_CN) == []
        assert_fails(out["good"], VERIFY_FAILED)


# --- SSL_CERT_FILE -----------------------------------------------------------------------------


def test_empty_ssl_cert_file_warns_and_os_roots_still_work(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    out = reported(scenario("inject_then_roots", *urls(direct), store=stores.corp, env={"SSL_CERT_FILE": ""}))
    found = warnings_about(out, "corptls: SSL_CERT_FILE: ")
    assert len(found) == 1, out["warnings"]
    assert "SSL_CERT_FILE is set but empty" in found[0]
    assert sources(out, CORP_ROOT_CN) == [["os"]]
    assert out["good"] == "ok"


def test_ssl_cert_file_does_not_hide_the_os_store(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers
) -> None:
    env = {"SSL_CERT_FILE": str(pki.origin_root_pem)}
    out = reported(scenario("roots_then_inject", *urls(direct), store=stores.corp, env=env))
    assert sources(out, CORP_ROOT_CN) == [["os"]]
    assert sources(out, ORIGIN_ROOT_CN) == [["SSL_CERT_FILE"]]
    assert not warnings_about(out, "SSL_CERT_FILE"), out["warnings"]
    assert out["good"] == "ok"


def test_an_earlier_bundle_in_ssl_cert_file_is_not_read_back(scenario: Scenario, stores: Stores) -> None:
    """After `eval "$(corptls env)"` SSL_CERT_FILE names a bundle: a root that left the OS store
    must not live on through it."""
    first = reported(scenario("bundle_report", store=stores.corp))
    assert first["path"]
    out = reported(scenario("bundle_report", store=stores.plain, env={"SSL_CERT_FILE": first["path"]}))
    labelled = [r for r in out["roots"] if "SSL_CERT_FILE" in r["sources"]]
    assert sources(out, CORP_ROOT_CN) == [] and labelled == [], out


# --- roots() and the bundle file -------------------------------------------------------------


def test_roots_describe_each_anchor(scenario: Scenario, stores: Stores, pki: PKI) -> None:
    out = reported(scenario("bundle_report", store=stores.corp))
    roots = out["roots"]
    assert len(roots) > 50  # the distribution's roots are there too
    for r in roots:
        assert isinstance(r["subject"], str) and r["subject"], r
        assert re.fullmatch(r"[0-9a-f]{64}", r["sha256"]), r
        assert isinstance(r["not_after"], int), r
        assert r["sources"] and all(isinstance(s, str) for s in r["sources"]), r
    assert len({r["sha256"] for r in roots}) == len(roots)  # deduplicated
    cert = x509.load_pem_x509_certificate(pki.corp_root_pem.read_bytes())
    der = cert.public_bytes(Encoding.DER)
    [corp] = [r for r in roots if CORP_ROOT_CN in r["subject"]]
    assert corp["sha256"] == hashlib.sha256(der).hexdigest()
    assert corp["not_after"] == int(cert.not_valid_after_utc.timestamp())
    assert corp["sources"] == ["os"]


def test_bundle_file_is_private_and_content_addressed(
    scenario: Scenario, stores: Stores, pki: PKI, tmp_path: Path
) -> None:
    first = reported(scenario("bundle_report", store=stores.corp))
    second = reported(scenario("bundle_report", store=stores.corp))
    assert not warnings_about(first, "bundle file"), first["warnings"]
    path = Path(first["path"])
    assert second["path"] == first["path"]
    assert path.parent == tmp_path / "corptls"  # XDG_CACHE_HOME/corptls
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = path.read_bytes()
    assert b"\r" not in data
    assert path.name == f"bundle-{hashlib.sha256(data).hexdigest()[:32]}.pem"
    assert data.count(b"-----BEGIN CERTIFICATE-----\n") == len(first["roots"])
    corp_body = b"".join(pki.corp_root_pem.read_bytes().split(b"-----")[2].split())
    assert corp_body in b"".join(data.split())
    # Beside it, the hashed directory of the same content; no temporary file left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name, f"certs-{path.name[7:39]}"]


def test_a_relative_xdg_cache_home_is_ignored(scenario: Scenario, stores: Stores, tmp_path: Path) -> None:
    """The XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored (it would put the
    bundle wherever the program happens to run); HOME's .cache is used instead."""
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir(mode=0o700)
    out = reported(
        scenario("bundle_report", work, store=stores.corp, env={"XDG_CACHE_HOME": "relcache", "HOME": str(home)})
    )
    assert out["path"] == str(home / ".cache" / "corptls" / Path(out["path"]).name), out
    assert not (work / "relcache").exists()


# --- no safe cache directory: roots kept in memory ---------------------------------------------


@pytest.mark.parametrize("kind", ["world-writable", "read-only"])
def test_unsafe_cache_dir_keeps_roots_in_memory(
    scenario: Scenario, stores: Stores, direct: DirectServers, tmp_path: Path, kind: str
) -> None:
    (tmp_path / "corptls").mkdir(mode=0o700)  # XDG_CACHE_HOME/corptls
    if kind == "world-writable":
        os.chmod(tmp_path / "corptls", 0o777)
    setup = READ_ONLY_CACHE if kind == "read-only" else ""
    out = reported(scenario("inject_then_roots", *urls(direct), store=stores.corp, setup=setup))
    if kind == "read-only":
        reason = "Read-only file system"  # the mount really is read-only, even for root
    else:
        reason = f"cache directory {tmp_path / 'corptls'} is writable by other users"
    found = warnings_about(out, IN_MEMORY)
    assert len(found) == 1, out["warnings"]
    assert found[0].startswith("CorptlsWarning: corptls: cannot write the bundle file: ")
    assert reason in found[0], found
    assert out["path"] is None
    assert out["good"] == "ok"
    assert_fails(out["rogue"], VERIFY_FAILED)
    assert list((tmp_path / "corptls").iterdir()) == []


def test_certifi_roots_that_break_strict_mode_are_twinned() -> None:
    """Python 3.13+'s VERIFY_X509_STRICT: certifi's roots nearly all conform; those that do not
    (TWCA Global Root CA has no subjectKeyIdentifier) break only rules a twin repairs, and get one."""
    import certifi

    from corptls import _native

    repairable = {
        "Basic Constraints of CA cert not marked critical",
        "CA cert does not include key usage extension",
        "Missing Subject Key Identifier",
    }
    roots = [r for r in _native.collect(certifi=certifi.where()).roots if "certifi" in r.sources]
    assert len(roots) > 100
    breaking = [r for r in roots if r.strict_rules]
    assert len(breaking) < 5, [r.subject for r in breaking]
    assert all(set(r.strict_rules) <= repairable and r.twin for r in breaking), [
        (r.subject, r.strict_rules) for r in breaking
    ]
    assert not any(r.twin for r in roots if not r.strict_rules)
