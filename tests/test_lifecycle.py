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


def run(scenario: Scenario, stores: Stores, code: str, **env: str) -> str:
    done = scenario(PRELUDE + textwrap.dedent(code), store=stores.corp, env=env or None)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_extract_restores_every_patched_object(scenario: Scenario, stores: Stores) -> None:
    out = run(scenario, stores, """
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
                "meta_path": list(sys.meta_path),
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
        assert not has_corp(ssl.create_default_context())
        print("changed", sorted(changed))
    """)
    changed = out.split("changed", 1)[1]
    for name in ("SSLContext.set_default_verify_paths", "certifi.where", "requests.utils", "aiohttp", "botocore"):
        assert name in changed


def test_modules_imported_while_injected_are_stock_after_extract(scenario: Scenario, stores: Stores) -> None:
    run(scenario, stores, """
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
    """)


def test_inject_twice_is_harmless(scenario: Scenario, stores: Stores) -> None:
    run(scenario, stores, """
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
    """)


def test_verification_settings_are_untouched(scenario: Scenario, stores: Stores) -> None:
    run(scenario, stores, """
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
    """)


def test_pinned_contexts_are_not_widened(scenario: Scenario, stores: Stores, direct: DirectServers,
                                         pki) -> None:
    rogue = pki.rogue_root_pem
    run(scenario, stores, f"""
        import urllib.request
        import corptls
        corptls.inject()
        pinned = ssl.create_default_context(cafile={str(rogue)!r})
        assert not has_corp(pinned) and len(pinned.get_ca_certs()) == 1
        try:
            urllib.request.urlopen({direct.good.url("localhost")!r}, context=pinned, timeout=10)
        except Exception as exc:
            assert "unable to get local issuer certificate" in str(exc), exc
        else:
            raise AssertionError("a context pinned to another CA was widened")
        assert len(pinned.get_ca_certs()) == 1
        urllib.request.urlopen({direct.good.url("localhost")!r}, timeout=10).read()
    """)


def test_sixteen_threads_creating_contexts_while_inject_runs(scenario: Scenario, stores: Stores) -> None:
    out = run(scenario, stores, """
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
        eager = frozenset(r.der for r in corptls.roots() if not r.in_lazy_dir)
        assert widened == {eager} and CORP in eager, "a context saw a half-made trust set"
        print(len(seen), sum(1 for s in seen if s != stock))
    """)
    total, widened = map(int, out.split())
    assert total >= 64 and widened >= 1
