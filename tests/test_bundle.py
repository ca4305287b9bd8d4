"""The trust bundle end to end: problems become warnings naming their source, the rest still works.

Every case runs in a fresh interpreter with a scrubbed environment (``scenario``); store cases
bind-mount a copy of /etc/ssl/certs in which the corporate root is a loose file that only
something reading the OS store can see, so stock clients fail (the controls prove it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.pki import CORP_ROOT_CN, ORIGIN_ROOT_CN, PKI
from tests.support.store import OS_STORE

GARBAGE_FILE = str(OS_STORE / "corptls-test-garbage.pem")
NON_CA_FILE = str(OS_STORE / "corptls-test-non-ca.pem")
IN_MEMORY = "using the roots in memory"

# Runs first in every scenario: warnings are recorded (all of them), `fetch` reports "ok" or the error.
PRELUDE = r"""
import json, os, sys, urllib.request, warnings
_recorder = warnings.catch_warnings(record=True)
_warned = _recorder.__enter__()
warnings.simplefilter("always")
import corptls
out = {}

def fetch(url):
    try:
        body = urllib.request.urlopen(url, timeout=10).read()
        return "ok" if json.loads(body) == {"ok": True} else f"unexpected body {body!r}"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

def corp_sources():
    return [list(r.sources) for r in corptls.roots() if CORP_CN in r.subject]
"""

EPILOGUE = r"""
out["warnings"] = [f"{w.category.__name__}: {w.message}" for w in _warned]
print(json.dumps(out))
"""


def run(scenario: Scenario, body: str, **kwargs: Any) -> dict[str, Any]:
    """Run PRELUDE + body + EPILOGUE; return `out` (with the recorded warnings)."""
    code = f"CORP_CN = {CORP_ROOT_CN!r}\n" + PRELUDE + body + EPILOGUE
    proc = scenario("-c", code, **kwargs)
    assert proc.returncode == 0, f"rc={proc.returncode}\nstdout={proc.stdout}\nstderr={proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    return json.loads(lines[-1])


def warnings_about(out: dict[str, Any], text: str) -> list[str]:
    return [w for w in out["warnings"] if text in w]


def is_verify_failure(outcome: str) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in outcome


# --- bad entries in the OS store ------------------------------------------------------------


def test_bad_store_entries_warn_per_file_and_corp_root_still_works(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    out = run(
        scenario,
        f"""
out["corp"] = corp_sources()
out["subjects"] = [r.subject for r in corptls.roots()]
corptls.inject()
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.bad,
    )
    garbage = warnings_about(out, GARBAGE_FILE)
    non_ca = warnings_about(out, NON_CA_FILE)
    assert len(garbage) == 1, out["warnings"]
    assert len(non_ca) == 1, out["warnings"]
    assert garbage[0].startswith(f"CorptlsWarning: corptls: os: {GARBAGE_FILE}: "), garbage
    assert non_ca[0].startswith(f"CorptlsWarning: corptls: os: {NON_CA_FILE}: "), non_ca
    assert "not-a-ca.corp.test" in non_ca[0] and "not a CA certificate" in non_ca[0], non_ca
    assert not any("not-a-ca.corp.test" in s for s in out["subjects"])
    assert out["corp"] == [["os"]]
    assert out["good"] == "ok"


def test_bad_store_control_without_inject_fails(scenario: Scenario, stores: Stores, direct: DirectServers) -> None:
    out = run(
        scenario,
        f"""
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.bad,
    )
    assert is_verify_failure(out["good"]), out["good"]
    assert out["warnings"] == []  # nothing is read before corptls is used


# --- CORPTLS_EXTRA_CA_CERTS and inject(extra_cas=...) ------------------------------------------


def test_missing_extra_ca_path_warns_and_the_rest_works(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    not_a_dir = str(pki.corp_root_pem / "ca.pem")  # a path *under a file*: ENOTDIR
    value = os.pathsep.join([missing, not_a_dir, str(pki.corp_root_pem)])
    out = run(
        scenario,
        f"""
out["corp"] = corp_sources()
corptls.inject()
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.plain,
        env={"CORPTLS_EXTRA_CA_CERTS": value},
    )
    for path in (missing, not_a_dir):
        found = warnings_about(out, f"CORPTLS_EXTRA_CA_CERTS: {path}: cannot read")
        assert len(found) == 1, (path, out["warnings"])
    assert out["corp"] == [["CORPTLS_EXTRA_CA_CERTS"]]
    assert out["good"] == "ok"


@pytest.mark.parametrize("with_variable", [True, False], ids=["env", "control"])
def test_extra_ca_env_var_trusts_a_root_missing_from_the_os_store(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers, with_variable: bool
) -> None:
    env = {"CORPTLS_EXTRA_CA_CERTS": str(pki.corp_root_pem)} if with_variable else {}
    out = run(
        scenario,
        f"""
out["corp"] = corp_sources()
corptls.inject()
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.plain,
        env=env,
    )
    assert not warnings_about(out, "CORPTLS_EXTRA_CA_CERTS"), out["warnings"]
    if with_variable:
        assert out["corp"] == [["CORPTLS_EXTRA_CA_CERTS"]]
        assert out["good"] == "ok"
    else:
        assert out["corp"] == []
        assert is_verify_failure(out["good"]), out["good"]


@pytest.mark.parametrize("with_extra", [True, False], ids=["extra_cas", "control"])
def test_inject_extra_cas_trusts_a_root_missing_from_the_os_store(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers, with_extra: bool
) -> None:
    extra = [str(pki.corp_root_pem)] if with_extra else []
    out = run(
        scenario,
        f"""
corptls.inject(extra_cas={extra!r})
out["corp"] = corp_sources()
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.plain,
    )
    if with_extra:
        assert out["corp"] == [["extra"]]
        assert out["good"] == "ok"
    else:
        assert out["corp"] == []
        assert is_verify_failure(out["good"]), out["good"]


# --- SSL_CERT_FILE -----------------------------------------------------------------------------


def test_empty_ssl_cert_file_warns_and_os_roots_still_work(
    scenario: Scenario, stores: Stores, direct: DirectServers
) -> None:
    out = run(
        scenario,
        f"""
corptls.inject()
out["corp"] = corp_sources()
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.corp,
        env={"SSL_CERT_FILE": ""},
    )
    found = warnings_about(out, "corptls: SSL_CERT_FILE: ")
    assert len(found) == 1, out["warnings"]
    assert "SSL_CERT_FILE is set but empty" in found[0]
    assert out["corp"] == [["os"]]
    assert out["good"] == "ok"


def test_ssl_cert_file_does_not_hide_the_os_store(
    scenario: Scenario, stores: Stores, pki: PKI, direct: DirectServers
) -> None:
    out = run(
        scenario,
        f"""
out["corp"] = corp_sources()
out["origin"] = [list(r.sources) for r in corptls.roots() if {ORIGIN_ROOT_CN!r} in r.subject]
corptls.inject()
out["good"] = fetch({direct.good.url("localhost")!r})
""",
        store=stores.corp,
        env={"SSL_CERT_FILE": str(pki.origin_root_pem)},
    )
    assert out["corp"] == [["os"]]
    assert out["origin"] == [["SSL_CERT_FILE"]]
    assert not warnings_about(out, "SSL_CERT_FILE"), out["warnings"]
    assert out["good"] == "ok"


def test_an_earlier_bundle_in_ssl_cert_file_is_not_read_back(scenario: Scenario, stores: Stores) -> None:
    """After `eval "$(corptls env)"` SSL_CERT_FILE names a bundle: a root that left the OS store
    must not live on through it."""
    first = run(scenario, 'out["path"] = corptls.bundle_path()', store=stores.corp)
    assert first["path"]
    out = run(
        scenario,
        """
out["corp"] = corp_sources()
out["labelled"] = sum("SSL_CERT_FILE" in r.sources for r in corptls.roots())
""",
        store=stores.plain,
        env={"SSL_CERT_FILE": first["path"]},
    )
    assert out["corp"] == [] and out["labelled"] == 0, out


# --- roots() and the bundle file -------------------------------------------------------------


def test_roots_describe_each_anchor(scenario: Scenario, stores: Stores, pki: PKI) -> None:
    out = run(
        scenario,
        """
out["roots"] = [dict(subject=r.subject, sha256=r.sha256, not_after=r.not_after, sources=list(r.sources))
                for r in corptls.roots()]
""",
        store=stores.corp,
    )
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
    body = """
out["path"] = corptls.bundle_path()
out["count"] = len(corptls.roots())
"""
    first = run(scenario, body, store=stores.corp)
    second = run(scenario, body, store=stores.corp)
    assert not warnings_about(first, "bundle file"), first["warnings"]
    path = Path(first["path"])
    assert second["path"] == first["path"]
    assert path.parent == tmp_path / "corptls"  # XDG_CACHE_HOME/corptls
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = path.read_bytes()
    assert b"\r" not in data
    assert path.name == f"bundle-{hashlib.sha256(data).hexdigest()[:32]}.pem"
    assert data.count(b"-----BEGIN CERTIFICATE-----\n") == first["count"]
    corp_body = b"".join(pki.corp_root_pem.read_bytes().split(b"-----")[2].split())
    assert corp_body in b"".join(data.split())
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_a_relative_xdg_cache_home_is_ignored(scenario: Scenario, stores: Stores, tmp_path: Path) -> None:
    """The XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored (it would put the
    bundle wherever the program happens to run); HOME's .cache is used instead."""
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir(mode=0o700)
    out = run(
        scenario,
        f"""
os.chdir({str(work)!r})
out["path"] = corptls.bundle_path()
""",
        store=stores.corp,
        env={"XDG_CACHE_HOME": "relcache", "HOME": str(home)},
    )
    assert out["path"] == str(home / ".cache" / "corptls" / Path(out["path"]).name), out
    assert not (work / "relcache").exists()


# --- no safe cache directory: roots kept in memory ---------------------------------------------

# A truly read-only directory even for root: a read-only bind mount, made inside the
# scenario's private mount namespace (store scenarios run in one), so the host never sees it.
READ_ONLY_CACHE = r"""
import errno, subprocess
d = os.path.join(os.environ["XDG_CACHE_HOME"], "corptls")
os.makedirs(d, mode=0o700)
subprocess.run(["mount", "--bind", d, d], check=True)
subprocess.run(["mount", "-o", "remount,bind,ro", d], check=True)
try:
    open(os.path.join(d, "probe"), "w")
    out["read_only"] = False
except OSError as exc:
    out["read_only"] = exc.errno == errno.EROFS
"""


@pytest.mark.parametrize("kind", ["world-writable", "read-only"])
def test_unsafe_cache_dir_keeps_roots_in_memory(
    scenario: Scenario, stores: Stores, direct: DirectServers, tmp_path: Path, kind: str
) -> None:
    setup = ""
    if kind == "world-writable":
        (tmp_path / "corptls").mkdir()
        os.chmod(tmp_path / "corptls", 0o777)
    else:
        setup = READ_ONLY_CACHE
    out = run(
        scenario,
        setup
        + f"""
corptls.inject()
out["path"] = corptls.bundle_path()
out["good"] = fetch({direct.good.url("localhost")!r})
out["rogue"] = fetch({direct.rogue.url("localhost")!r})
""",
        store=stores.corp,
    )
    if kind == "read-only":
        assert out["read_only"] is True, out  # the mount really is read-only, even for root
        reason = "Read-only file system"
    else:
        reason = f"cache directory {tmp_path / 'corptls'} is writable by other users"
    found = warnings_about(out, IN_MEMORY)
    assert len(found) == 1, out["warnings"]
    assert found[0].startswith("CorptlsWarning: corptls: cannot write the bundle file: ")
    assert reason in found[0], found
    assert out["path"] is None
    assert out["good"] == "ok"
    assert is_verify_failure(out["rogue"]), out["rogue"]
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
