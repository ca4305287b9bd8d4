"""corptls beside frameworks that monkey-patch or bring their own HTTP client: gevent, eventlet
and tornado, for real, against the direct test servers, the corporate root only in the OS store.

Each case runs in a fresh interpreter (``scenario``). The control (the framework without corptls)
fails to verify the corporate chain; with corptls, patched before or after ``inject()``, the
chain verifies, the rogue chain still fails, and nothing recurses (truststore's SSLContext
subclass hits RecursionError under gevent's and eventlet's patched ssl).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.outcomes import VERIFY_FAILED, assert_fails, reported

FRAMEWORKS = ("eventlet", "gevent", "tornado")


def run(scenario: Scenario, stores: Stores, direct: DirectServers, framework: str, order: str) -> dict[str, Any]:
    """tests/scenarios/frameworks.py: corptls injected before the framework's set-up, after, or never."""
    good, rogue = direct.good.url("localhost"), direct.rogue.url("localhost")
    return reported(scenario("frameworks", framework, order, good, rogue, store=stores.corp, timeout=120))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_control_fails_without_corptls(scenario: Scenario, stores: Stores, direct: DirectServers, framework: str):
    out = run(scenario, stores, direct, framework, "control")
    assert out["patched"] is True and out["corptls_loaded"] is False, out
    fetchers = [k for k, v in out.items() if isinstance(v, dict)]
    assert len(fetchers) >= 2, out
    for name in fetchers:
        for host in ("good", "rogue"):
            assert_fails(out[name][host], VERIFY_FAILED)


@pytest.mark.parametrize("order", ["inject-first", "inject-after"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_corptls_verifies_the_corporate_chain(
    scenario: Scenario, stores: Stores, direct: DirectServers, framework: str, order: str
):
    out = run(scenario, stores, direct, framework, order)
    assert out["patched"] is True and out["injected"] is True, out
    fetchers = [k for k, v in out.items() if isinstance(v, dict)]
    assert len(fetchers) >= 2, out
    for name in fetchers:
        assert out[name]["good"] == "ok", (name, out[name])
        assert_fails(out[name]["rogue"], VERIFY_FAILED)
        assert "RecursionError" not in json.dumps(out[name]), (name, out[name])
