"""inject() / extract() as a whole: exact restoration, idempotence, threads, pinned contexts."""

from __future__ import annotations

import textwrap

from tests.support.harness import DirectServers, Scenario, Stores

# Shared by the scenarios below: the corporate root as the store copy holds it.
PRELUDE = """
import ssl, sys
CORP = ssl.PEM_cert_to_DER_cert(open("/etc/ssl/certs/corptls-test-corporate-root.pem").read())
def has_corp(ctx):
    return CORP in ctx.get_ca_certs(binary_form=True)
"""


def pinned_fails(url: str) -> str:
    """Scenario lines, indented as the scenarios are (the first goes after the caller's indent):
    the context `pinned`, made for another CA, must still refuse the corporate chain."""
    return f"""pass
        try:
            urllib.request.urlopen({url!r}, context=pinned, timeout=10)
        except Exception as exc:
            assert "unable to get local issuer certificate" in str(exc), exc
        else:
            raise AssertionError("a context pinned to another CA was widened")
"""


def run(scenario: Scenario, stores: Stores, code: str, **env: str) -> str:
    done = scenario("-c", PRELUDE + textwrap.dedent(code), store=stores.corp, env=env or None)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_extract_restores_every_patched_object(scenario: Scenario, stores: Stores) -> None:
    out = run(
        scenario,
        stores,
        """
        import aiohttp.connector, botocore.httpsession, certifi, certifi.core, requests
        import corptls
        def snapshot():
            return {
                **{f"SSLContext.{n}": vars(ssl.SSLContext).get(n, "absent")
                   for n in ("set_default_verify_paths", "load_verify_locations", "wrap_socket", "wrap_bio")},
                "certifi.where": certifi.where, "certifi.contents": certifi.contents,
                "certifi.core.where": certifi.core.where,
                "requests.utils": requests.utils.DEFAULT_CA_BUNDLE_PATH,
                "requests.adapters": requests.adapters.DEFAULT_CA_BUNDLE_PATH,
                "aiohttp": aiohttp.connector._SSL_CONTEXT_VERIFIED,
                "botocore": botocore.httpsession.where,
            }
        before = snapshot()
        corptls.inject()
        during = snapshot()
        changed = [k for k in before if during[k] is not before[k] and during[k] != before[k]]
        assert corptls.is_injected()
        assert has_corp(aiohttp.connector._SSL_CONTEXT_VERIFIED)
        corptls.extract()
        after = snapshot()
        assert not corptls.is_injected()
        differs = [k for k in before if after[k] is not before[k] and after[k] != before[k]]
        assert not differs, differs
        # The import finder stays in sys.meta_path (removing it could upset another thread's
        # import), watching nothing.
        assert not corptls._hooks._watched
        assert not has_corp(ssl.create_default_context())
        print("changed", sorted(changed))
    """,
    )
    changed = out.split("changed", 1)[1]
    for name in ("SSLContext.set_default_verify_paths", "certifi.where", "requests.utils", "aiohttp", "botocore"):
        assert name in changed


def test_modules_imported_while_injected_are_stock_after_extract(scenario: Scenario, stores: Stores) -> None:
    run(
        scenario,
        stores,
        """
        import corptls
        corptls.inject()
        import aiohttp.connector, certifi, requests
        assert has_corp(aiohttp.connector._SSL_CONTEXT_VERIFIED)
        assert requests.utils.DEFAULT_CA_BUNDLE_PATH == corptls.bundle_path()
        corptls.extract()
        stock = certifi.where()
        assert stock.endswith("cacert.pem"), stock
        assert requests.utils.DEFAULT_CA_BUNDLE_PATH == requests.adapters.DEFAULT_CA_BUNDLE_PATH == stock
        assert not has_corp(aiohttp.connector._SSL_CONTEXT_VERIFIED)
    """,
    )


def test_inject_twice_is_harmless(scenario: Scenario, stores: Stores) -> None:
    run(
        scenario,
        stores,
        """
        import corptls
        corptls.inject()
        once = len(ssl.create_default_context().get_ca_certs())
        meta = list(sys.meta_path)
        corptls.inject()
        ctx = ssl.create_default_context()
        assert len(ctx.get_ca_certs()) == once and has_corp(ctx)
        assert sys.meta_path == meta
        corptls.extract()
        corptls.extract()
        assert not has_corp(ssl.create_default_context())
    """,
    )


def test_verification_settings_are_untouched(scenario: Scenario, stores: Stores) -> None:
    run(
        scenario,
        stores,
        """
        stock = ssl.create_default_context()
        settings = lambda c: (c.verify_mode, c.check_hostname, c.verify_flags, c.options, c.minimum_version)
        import corptls
        corptls.inject()
        injected = ssl.create_default_context()
        assert has_corp(injected)
        assert settings(injected) == settings(stock), (settings(injected), settings(stock))
        # No verification, no roots: a CERT_NONE context is left stock.
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.set_default_verify_paths()
        assert not has_corp(server)
    """,
    )


def test_pinned_contexts_are_not_widened(scenario: Scenario, stores: Stores, direct: DirectServers, pki) -> None:
    rogue = pki.rogue_root_pem
    run(
        scenario,
        stores,
        f"""
        import urllib.request
        import corptls
        corptls.inject()
        pinned = ssl.create_default_context(cafile={str(rogue)!r})
        assert not has_corp(pinned) and len(pinned.get_ca_certs()) == 1
        {pinned_fails(direct.good.url("localhost"))}
        assert len(pinned.get_ca_certs()) == 1
        urllib.request.urlopen({direct.good.url("localhost")!r}, timeout=10).read()
    """,
    )


def test_sixteen_threads_creating_contexts_while_inject_runs(scenario: Scenario, stores: Stores) -> None:
    out = run(
        scenario,
        stores,
        """
        import threading
        import corptls
        stock = frozenset(ssl.create_default_context().get_ca_certs(binary_form=True))
        start, stop = threading.Barrier(17), threading.Event()
        seen, errors = [], []
        def work():
            start.wait()
            while not stop.is_set() or len(seen) < 64:
                try:
                    seen.append(frozenset(ssl.create_default_context().get_ca_certs(binary_form=True)))
                except BaseException as exc:
                    errors.append(repr(exc))
                    return
        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        start.wait()
        corptls.inject()
        stop.set()
        for t in threads:
            t.join()
        assert not errors, errors
        widened = {s for s in seen if s != stock}
        # Up front a widened context holds the roots OpenSSL's hashed default directory lacks.
        eager = frozenset(r.twin or r.der for r in corptls.roots() if not r.in_lazy_dir)
        assert widened == {eager} and CORP in eager, "a context saw a half-made trust set"
        print(len(seen), sum(1 for s in seen if s != stock))
    """,
    )
    total, widened = map(int, out.split())
    assert total >= 64 and widened >= 1


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
    # `import requests` imports ssl half-way through requests' own import: the requests patch
    # must wait for requests to finish, or extract() would have nothing to restore.
    out = scenario(
        "-c",
        """
import requests, corptls
during = requests.utils.DEFAULT_CA_BUNDLE_PATH == corptls.bundle_path()
corptls.extract()
import certifi
print(during, requests.utils.DEFAULT_CA_BUNDLE_PATH == requests.adapters.DEFAULT_CA_BUNDLE_PATH == certifi.where())
""",
        store=stores.corp,
        env={"CORPTLS_AUTOLOAD": "1"},
    )
    assert (out.returncode, out.stdout.split()) == (0, ["True", "True"]), out.stderr


def test_a_later_inject_keeps_the_extra_cas(scenario: Scenario, stores: Stores, pki) -> None:
    out = run(
        scenario,
        stores,
        f"""
        import corptls
        corptls.inject(extra_cas=[{str(pki.rogue_root_pem)!r}])
        import corptls.auto  # inject() again, without extra_cas
        print(sum("extra" in r.sources for r in corptls.roots()))
    """,
    )
    assert out.split() == ["1"]


def test_context_pinned_to_the_ssl_cert_file_root_is_not_widened(
    scenario: Scenario, stores: Stores, direct: DirectServers, pki, tmp_path
) -> None:
    # SSL_CERT_FILE names one private root; a program pins a context to its own copy of that root.
    own = tmp_path / "own-root.pem"
    own.write_bytes(pki.rogue_root_pem.read_bytes())
    run(
        scenario,
        stores,
        f"""
        import urllib.request
        import corptls
        corptls.inject()
        pinned = ssl.create_default_context(cafile={str(own)!r})
        {pinned_fails(direct.good.url("localhost"))}
    """,
        SSL_CERT_FILE=str(pki.rogue_root_pem),
    )


def test_warnings_as_errors_never_reach_the_program(scenario: Scenario, stores: Stores, direct: DirectServers) -> None:
    done = scenario(
        "-c",
        f"""
import ssl, sys, urllib.request, warnings
warnings.simplefilter("error")
import corptls
corptls.inject()
urllib.request.urlopen({direct.good.url("localhost")!r}, timeout=10).read()
print("ran")
""",
        store=stores.corp,
        env={"SSL_CERT_FILE": ""},
    )  # an empty SSL_CERT_FILE is a reported problem
    assert (done.returncode, done.stdout.strip()) == (0, "ran"), done.stderr
    assert "SSL_CERT_FILE is set but empty" in done.stderr
