"""Every client, for real, through the intercepting proxy, with the corporate root only in the OS store.

Per client: the control fails; after inject() the corporate chain verifies while the rogue,
expired and wrong-name chains still fail for their own reason; a client imported and used
before inject() works after it (but those of NOT_UPGRADED, see there); extract() brings the
failure back.
"""

from __future__ import annotations

import sys

import pytest

from tests.support.harness import Scenario, Stores, run_probe
from tests.support.outcomes import UNTRUSTED, assert_fails
from tests.support.proxy import InterceptingProxy

GOOD, ROGUE, EXPIRED, WRONG = "api.corp.test", "rogue.corp.test", "expired.corp.test", "wrongname.corp.test"
CLIENTS = [
    "urllib",
    "requests",
    "httpx",
    "httpx-async",
    "httpx2",
    "aiohttp",
    "openai",
    "openai-async",
    "litellm",
    "litellm-async-aiohttp",
    "litellm-async-httpx",
    "botocore",
]
# Built before inject(), these hold a context that loaded OpenSSL's default file (httpcore2's default
# on Linux, by name; urllib's handler since Python 3.12, which builds its context up front, through
# set_default_verify_paths before corptls was there to see it): after the fact its CA list cannot be
# told from a context pinned to a copy of that file, so it keeps what it loaded. Under autoload
# corptls is in place before any client exists.
NOT_UPGRADED = ("httpx2", "openai") + (("urllib",) if sys.version_info >= (3, 12) else ())
# What each chain must fail with, whatever the client wraps it in: any one of these reasons.
REASONS = {
    ROGUE: (UNTRUSTED,),
    EXPIRED: ("certificate has expired",),
    # OpenSSL's check, or urllib3's own match_hostname where a client turns OpenSSL's off (botocore).
    WRONG: ("Hostname mismatch", "doesn't match"),
}


def probe(scenario: Scenario, stores: Stores, env: dict, client: str, mode: str, *hosts: str) -> dict[str, str]:
    return run_probe(scenario, client, mode, *hosts, store=stores.corp, env=env).results[client]


@pytest.mark.parametrize("client", CLIENTS)
def test_control_fails_without_corptls(client, scenario, stores, proxy_env, proxy: InterceptingProxy):
    before = proxy.connects[GOOD]
    result = probe(scenario, stores, proxy_env, client, "stock", GOOD)
    assert_fails(result[GOOD], UNTRUSTED)
    assert proxy.connects[GOOD] > before, "the client did not go through the proxy"


@pytest.mark.parametrize("client", CLIENTS)
def test_inject_trusts_os_store_and_bad_chains_still_fail(client, scenario, stores, proxy_env):
    result = probe(scenario, stores, proxy_env, client, "inject", GOOD, ROGUE, EXPIRED, WRONG)
    assert result[GOOD] == "ok"
    for host, reasons in REASONS.items():
        assert_fails(result[host], *reasons)


@pytest.mark.parametrize("client", CLIENTS)
def test_client_built_before_inject(client, scenario, stores, proxy_env):
    result = probe(scenario, stores, proxy_env, client, "prebuilt", GOOD, ROGUE)
    assert_fails(result["before"], UNTRUSTED)
    assert_fails(result[ROGUE], *REASONS[ROGUE])
    if client not in NOT_UPGRADED:
        assert result[GOOD] == "ok"
        return
    assert_fails(result[GOOD], UNTRUSTED)
    autoloaded = probe(scenario, stores, {**proxy_env, "CORPTLS_AUTOLOAD": "1"}, client, "prebuilt", GOOD, ROGUE)
    assert autoloaded["before"] == autoloaded[GOOD] == "ok", autoloaded
    assert_fails(autoloaded[ROGUE], *REASONS[ROGUE])


@pytest.mark.parametrize("client", CLIENTS)
def test_extract_brings_the_failure_back(client, scenario, stores, proxy_env):
    result = probe(scenario, stores, proxy_env, client, "extract", GOOD)
    assert result["during"] == "ok"
    assert_fails(result[GOOD], UNTRUSTED)
