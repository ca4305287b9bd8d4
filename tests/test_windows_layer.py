"""Windows behaviour of the Python layer, proved on Linux where it can be.

- ``load_default_certs``: on Windows stock loads the CA and ROOT system stores itself; with
  corptls active, the bundle stands for ROOT (the Rust core reads it, less Disallowed), so no
  root is parsed twice, a Disallowed certificate is not trusted, and the CA store's
  intermediates still are. Linux has no ``ssl.enum_certificates``: the scenario stands in for Windows with
  store contents of its own and ``windows_stores``, the one platform decision of the patch.
  The Wine lane runs the same on real Windows CPython.
- No stderr (``pythonw.exe``; fd 2 closed at start-up): no corptls report may ever raise.

Shell output for PowerShell and cmd, shell detection, the atomic writes and path lists in doctor
are pure functions: ``test_units.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corptls import _autoload
from tests.support.harness import DirectServers, Scenario, Stores
from tests.support.outcomes import UNTRUSTED
from tests.support.pki import PKI
from tests.support.store import SCENARIOS

PACKAGE = Path(_autoload.__file__).resolve().parent

# --------------------------------------------------------------------------- load_default_certs on "Windows"


def test_load_default_certs_on_windows_parses_no_root_twice_and_honours_disallowed(
    scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI
) -> None:
    done = scenario(
        "windows_stores",
        pki.corp_root_pem,
        pki.corp_intermediate_pem,
        pki.rogue_root_pem,
        pki.origin_root_pem,
        direct.good.url("localhost"),
        direct.rogue.url("localhost"),
        store=stores.corp,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["stores_on_windows"] == ["CA", "ROOT"] and out["stores_here"] == []
    assert out["linux_patched"] is False  # on Linux load_default_certs stays stock, object and all
    # Stock Windows: the CA store, then the ROOT store (purpose-filtered), parsed in full.
    assert out["stock"] == ["intermediate", "corp", "public0", "public1", "public2", "rogue"]
    assert out["stock_client"] == ["intermediate", "corp", "other"]
    assert out["stock_good"] == "ok" and out["stock_rogue"] == "ok"  # its ROOT store holds the rogue root
    # The OS store (here /etc/ssl/certs) gave the bundle the corporate root, certifi the public ones.
    assert sorted(out["in_bundle"]) == ["corp", "public0", "public1", "public2"]
    assert out["patched"] == "corptls.clients.ssl"
    # Injected: the bundle stands for ROOT; from CA only what neither the bundle nor Disallowed holds.
    assert out["injected"] == ["intermediate"]
    assert out["parsed_twice"] == []
    assert out["lost"] == ["rogue"]  # what ROOT holds and the bundle lacks: on Windows, Disallowed's
    assert out["widened"] is True
    assert out["good"] == "ok" and UNTRUSTED in out["rogue"]
    assert out["default_context"] == ["intermediate"]  # create_default_context() goes through it
    assert out["disallowed"] == []  # an intermediate Windows distrusts is not loaded either
    assert out["client"] == ["intermediate", "corp", "other"]  # another purpose: stock's own loading
    assert out["cert_none"] == ["intermediate", "corp", "other"]  # CERT_NONE: stock exactly
    assert out["bad_purpose"] == "TypeError"
    assert out["denied"] == [] and out["denied_warnings"] == ["unable to enumerate Windows certificate store"]
    assert out["restored"] is True
    assert out["after"] == out["stock"]


# --------------------------------------------------------------------------- no stderr


# No corptls report may raise, under -W error too: the request works and the program goes on.
@pytest.mark.parametrize("warnings_flag", [[], ["-W", "error"]], ids=["default", "-W error"])
@pytest.mark.parametrize("how", ["fd 2 closed", "sys.stderr = None", "garbage CORPTLS_EXTRA_CA_CERTS, fd 2 closed"])
def test_no_stderr_never_breaks_a_report(
    how: str, warnings_flag: list[str], scenario: Scenario, stores: Stores, direct: DirectServers, pki: PKI
) -> None:
    closed = "fd 2 closed" in how
    program: list[str | Path] = [
        SCENARIOS / "no_stderr.py",
        direct.good.url("localhost"),
        "as-is" if closed else "none",
    ]
    env = {"CORPTLS_EXTRA_CA_CERTS": str(pki.garbage_pem())} if "garbage" in how else None
    done = scenario(
        *warnings_flag,
        *program,
        "/nonexistent/corp-ca.pem",
        store=stores.corp,
        env=env,
        setup="exec 2>&-" if closed else "",
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == "", done.stdout + done.stderr
    assert json.loads(done.stdout) == {"closed": closed, "stderr": "None", "request": "ok", "injected": True}


def test_shipped_hook_is_the_generated_one() -> None:
    data = PACKAGE.parent / "corptls.data" / "purelib"
    pth = (data / _autoload.PTH_NAME).read_bytes()
    assert pth == _autoload.pth_text(False).encode("ascii")  # ASCII: site reads a .pth in the locale's encoding
    assert (data / _autoload.START_NAME).read_bytes() == _autoload.START_TEXT.encode("ascii")
    assert _autoload.pth_text(True).isascii() and "except Exception: pass" in _autoload.pth_text(True)
