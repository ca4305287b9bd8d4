"""inject() / extract() as a whole: exact restoration, idempotence, threads, pinned contexts."""

from __future__ import annotations

from pathlib import Path

from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.outcomes import UNTRUSTED, assert_fails, reported
from tests.support.pki import PKI


def test_extract_restores_every_patched_object(scenario: Scenario, stores: Stores) -> None:
    changed = reported(scenario("extract_restores", store=stores.corp))["changed"]
    for name in ("SSLContext.set_default_verify_paths", "certifi.where", "requests.utils", "aiohttp", "botocore"):
        assert name in changed


def test_modules_imported_while_injected_are_stock_after_extract(scenario: Scenario, stores: Stores) -> None:
    done = scenario("imported_while_injected", store=stores.corp)
    assert done.returncode == 0, done.stdout + done.stderr


def test_inject_twice_is_harmless(scenario: Scenario, stores: Stores) -> None:
    done = scenario("inject_twice", store=stores.corp)
    assert done.returncode == 0, done.stdout + done.stderr


def test_verification_settings_are_untouched(scenario: Scenario, stores: Stores) -> None:
    done = scenario("settings_untouched", store=stores.corp)
    assert done.returncode == 0, done.stdout + done.stderr


def assert_pinned_not_widened(out: dict[str, object]) -> None:
    """pinned_context's report: the context kept its one root, and still refuses the corporate chain."""
    assert out["corp"] is False and out["cas"] == out["cas_after"] == 1, out
    assert_fails(str(out["pinned"]), UNTRUSTED)
    assert out["default"] == "ok", out


def test_pinned_contexts_are_not_widened(scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI) -> None:
    proc = scenario("pinned_context", pki.rogue_root_pem, direct.good.url("localhost"), store=stores.corp)
    assert_pinned_not_widened(reported(proc))


def test_sixteen_threads_creating_contexts_while_inject_runs(scenario: Scenario, stores: Stores) -> None:
    # On 3.9 set_default_verify_paths keeps the GIL while it parses ~145 roots: inject() runs in the
    # gaps sixteen such threads leave it, half a minute and more.
    out = reported(scenario("threads_during_inject", store=stores.corp, timeout=240))
    assert out["contexts"] >= 64 and out["widened"] >= 1, out


def test_inject_under_autoload_does_not_deadlock(scenario: Scenario, stores: Stores) -> None:
    # Autoload hands over to inject() from inside `import ssl`, which inject() itself may trigger.
    done = scenario(
        "-c",
        "import corptls; corptls.inject(); import corptls.auto; print(corptls.is_injected())",
        store=stores.corp,
        env={"CORPTLS_AUTOLOAD": "1"},
        timeout=60,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


def test_library_imported_under_autoload_is_restored_by_extract(scenario: Scenario, stores: Stores) -> None:
    out = reported(scenario("autoload_then_extract", store=stores.corp, env={"CORPTLS_AUTOLOAD": "1"}))
    assert out == {"during": True, "restored": True}, out


def test_a_later_inject_keeps_the_extra_cas(scenario: Scenario, stores: Stores, pki: PKI) -> None:
    assert reported(scenario("extra_cas_kept", pki.rogue_root_pem, store=stores.corp)) == {"extra": 1}


def test_context_pinned_to_the_ssl_cert_file_root_is_not_widened(
    scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI, tmp_path: Path
) -> None:
    # SSL_CERT_FILE names one private root; a program pins a context to its own copy of that root.
    own = tmp_path / "own-root.pem"
    own.write_bytes(pki.rogue_root_pem.read_bytes())
    proc = scenario(
        "pinned_context",
        own,
        direct.good.url("localhost"),
        store=stores.corp,
        env={"SSL_CERT_FILE": str(pki.rogue_root_pem)},
    )
    assert_pinned_not_widened(reported(proc))


def test_warnings_as_errors_never_reach_the_program(scenario: Scenario, stores: Stores, direct: DirectServers) -> None:
    # An empty SSL_CERT_FILE is a reported problem.
    done = scenario("warnings_as_errors", direct.good.url("localhost"), store=stores.corp, env={"SSL_CERT_FILE": ""})
    assert reported(done) == {"request": "ok"}
    assert "SSL_CERT_FILE is set but empty" in done.stderr
