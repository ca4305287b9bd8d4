"""Python 3.13+'s VERIFY_X509_STRICT with a real inspection root, through the intercepting proxy.

The legacy root has exactly the old Zscaler root's defects (basicConstraints not critical, no
keyUsage, no subjectKeyIdentifier) and name constraints; it is installed in the OS store as
update-ca-certificates would (hash link, appended to the bundle file), so OpenSSL's default
directory holds the original. Runs only on CPython >= 3.13 (scripts/test-abi3 runs it there;
tests/conftest.py leaves it out elsewhere).
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.harness import Scenario, run_probe
from tests.support.outcomes import UNTRUSTED, assert_fails, reported
from tests.support.pki import LEGACY_ROOT_CN, PKI
from tests.support.proxy import InterceptingProxy
from tests.support.store import OS_STORE, StoreLayout, build_store

GOOD, ROGUE = "legacy.corp.test", "rogue.corp.test"
EXPIRED, WRONG, OUTSIDE = "legacy-expired.corp.test", "legacy-wrongname.corp.test", "legacy.outside.test"
LAX_INTERMEDIATE = "laxint.corp.test"
CLIENTS = [
    "urllib",
    "requests",
    "httpx",
    "httpx-async",
    "aiohttp",
    "litellm",
    "litellm-async-aiohttp",
    "litellm-async-httpx",
]
NOT_CRITICAL = "Basic Constraints of CA cert not marked critical"
REASONS = {
    ROGUE: UNTRUSTED,
    EXPIRED: "certificate has expired",
    WRONG: "Hostname mismatch",
    OUTSIDE: "permitted subtree violation",  # the twin keeps the root's name constraints
}
LEGACY_FILE = "corptls-test-legacy-root.pem"
OS_BUNDLE = str(OS_STORE / "ca-certificates.crt")


@pytest.fixture(scope="module")
def installed(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> StoreLayout:
    """The corporate store, plus the legacy root as update-ca-certificates installs it."""
    layout = build_store(
        tmp_path_factory.mktemp("strict-store") / "store",
        corp_root_pem=pki.corp_root_pem,
        extra_files={LEGACY_FILE: pki.legacy_root_pem},
    )
    subject_hash = subprocess.run(
        ["openssl", "x509", "-noout", "-subject_hash", "-in", str(pki.legacy_root_pem)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    os.symlink(LEGACY_FILE, layout.path / f"{subject_hash}.0")
    with open(layout.path / "ca-certificates.crt", "ab") as bundle:
        bundle.write(pki.legacy_root_pem.read_bytes())
    return layout


def test_this_interpreter_is_strict() -> None:
    assert sys.version_info >= (3, 13)
    assert ssl.create_default_context().verify_flags & ssl.VERIFY_X509_STRICT


@pytest.mark.parametrize("client", CLIENTS)
def test_control_fails_with_the_strict_message(
    client, scenario, installed, proxy_env, proxy: InterceptingProxy
) -> None:
    """Stock, each client pointed at the OS bundle (which holds the root): strict mode refuses it."""
    before = proxy.connects[GOOD]
    env = {**proxy_env, "SSL_CERT_FILE": OS_BUNDLE, "REQUESTS_CA_BUNDLE": OS_BUNDLE}
    result = run_probe(scenario, client, "stock", GOOD, store=installed, env=env).results[client]
    assert_fails(result[GOOD], NOT_CRITICAL)
    assert proxy.connects[GOOD] > before, "the client did not go through the proxy"


@pytest.mark.parametrize("client", CLIENTS)
def test_inject_verifies_through_the_twin_and_bad_chains_still_fail(client, scenario, installed, proxy_env) -> None:
    hosts = (GOOD, ROGUE, EXPIRED, WRONG, OUTSIDE, LAX_INTERMEDIATE)
    run = run_probe(scenario, client, "inject", *hosts, store=installed, env=proxy_env)
    result = run.results[client]
    assert result[GOOD] == "ok", result
    for host, reason in REASONS.items():
        assert_fails(result[host], reason)
    # Strict stays on: an intermediate that breaks a rule still fails.
    assert_fails(result[LAX_INTERMEDIATE], NOT_CRITICAL)
    assert "X509_STRICT" not in run.stderr, run.stderr


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("how", ["env", "api"])
def test_the_opt_in_verifies_a_lax_intermediate(client, how, scenario, installed, proxy_env) -> None:
    env = {**proxy_env, "CORPTLS_X509_STRICT": "0"} if how == "env" else proxy_env
    mode = "inject" if how == "env" else "relaxed"
    hosts = (LAX_INTERMEDIATE, GOOD, ROGUE, EXPIRED, WRONG, OUTSIDE)
    run = run_probe(scenario, client, mode, *hosts, store=installed, env=env)
    result = run.results[client]
    assert result[LAX_INTERMEDIATE] == result[GOOD] == "ok", result
    for host, reason in REASONS.items():
        assert_fails(result[host], reason)
    [line] = [line for line in run.stderr.splitlines() if "VERIFY_X509_STRICT is off" in line]
    assert "chain, host name and expiry are still verified" in line, line


def test_contexts_hold_the_twin_never_the_original(
    scenario: Scenario, pki: PKI, installed: StoreLayout, proxy_env: dict
) -> None:
    """What OpenSSL does with two anchors of one subject and key: the first loaded wins, so a
    context must not hold the original (loaded first it fails the chain, whatever follows); the
    twin in memory also hides the original in the default directory (searched only for a subject
    the context holds nothing for). roots() reports the original, marked twinned."""
    proc = scenario(
        "twin_contexts", pki.legacy_root_pem, LEGACY_ROOT_CN, GOOD, store=installed, env=proxy_env, timeout=120
    )
    out = reported(proc)
    assert out["root"] == [
        True,
        True,
        [NOT_CRITICAL, "CA cert does not include key usage extension", "Missing Subject Key Identifier"],
    ], out
    assert out["bundle"] == [False, []], out
    assert out["widened"] == "ok" and out["loaded"], out
    assert NOT_CRITICAL in out["orders"]["original, twin"], out
    assert out["orders"]["twin, original"] == "ok", out


def test_other_tools_accept_the_bundle_file(
    scenario: Scenario, pki: PKI, installed: StoreLayout, proxy: InterceptingProxy, proxy_env: dict, tmp_path: Path
) -> None:
    """The bundle file carries the twin: `openssl verify` (with and without -x509_strict), curl,
    Node and a Python 3.13 child without corptls (what `corptls env` gives it) verify through it."""
    chain, _ = pki.leaf(GOOD, issuer="legacy")
    leaf, intermediate = (
        part + b"-----END CERTIFICATE-----\n" for part in chain.split(b"-----END CERTIFICATE-----\n")[:2]
    )
    (tmp_path / "leaf.pem").write_bytes(leaf)
    (tmp_path / "intermediate.pem").write_bytes(intermediate)
    files = (tmp_path / "intermediate.pem", tmp_path / "leaf.pem")
    proc = scenario("bundle_for_tools", *files, proxy.url, GOOD, store=installed, env=proxy_env, timeout=120)
    out = reported(proc)
    python = out.pop("python")
    assert python["corptls"] == "absent" and python["results"] == {"urllib": {GOOD: "ok"}}, python
    assert out == {
        "openssl": f"{tmp_path / 'leaf.pem'}: OK",
        "openssl-strict": f"{tmp_path / 'leaf.pem'}: OK",
        "curl": "200",
        "node": "ok 200",
    }, out


def test_an_explicit_x509_strict_wins_over_the_variable(
    scenario: Scenario, installed: StoreLayout, proxy_env: dict
) -> None:
    """inject(x509_strict=True) keeps the flag on whatever CORPTLS_X509_STRICT says (and warns of
    nothing); under the opt-in, a context corptls does not widen keeps it too."""
    env = {**proxy_env, "CORPTLS_X509_STRICT": "0"}
    proc = scenario("explicit_x509_strict", LAX_INTERMEDIATE, store=installed, env=env, timeout=60)
    out = reported(proc)
    before, after = proc.stderr.split("-- the opt-in, after all --")
    assert "VERIFY_X509_STRICT is off" not in before and after.count("VERIFY_X509_STRICT is off") == 1, proc.stderr
    assert NOT_CRITICAL in out["strict"], out
    assert (out["pinned"], out["widened"]) == (True, False), out
