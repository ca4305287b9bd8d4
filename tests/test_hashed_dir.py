"""Zero roots parsed per context: a widened context loads only corptls's hashed directory, which
OpenSSL reads one root file at a time, when a handshake needs it (README, "How it works")."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.harness import DirectServers, Stores
from tests.support.pki import CORP_ROOT_CN
from tests.support.store import run_command

SCENARIO = Path(__file__).parent / "scenarios" / "hashed_dir.py"
UNTRUSTED = "unable to get local issuer certificate"
EXPIRED, WRONG_NAME = "certificate has expired", "Hostname mismatch"


def run(mode: str, stores: Stores, direct: DirectServers, cache: Path, **env: str) -> dict:
    urls = [server.url("localhost") for server in direct.all()]
    proc = run_command([sys.executable, SCENARIO, mode, *urls], store=stores.corp, env=env, cache_dir=cache)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def assert_chains(outcomes: list[str]) -> None:
    good, rogue, expired, wrong_name = outcomes
    assert good == "ok", outcomes
    for failed, reason in ((rogue, UNTRUSTED), (expired, EXPIRED), (wrong_name, WRONG_NAME)):
        assert "CERTIFICATE_VERIFY_FAILED" in failed and reason in failed, outcomes


def test_a_widened_context_parses_no_root_up_front(stores: Stores, direct: DirectServers, tmp_path: Path) -> None:
    stock = run("stock", stores, direct, tmp_path)
    assert UNTRUSTED in stock["outcomes"][0] and stock["up_front"] > 100, stock  # the control
    out = run("kept", stores, direct, tmp_path)
    assert out["up_front"] == 0, out
    assert_chains(out["outcomes"])
    # One root read, the one the corporate chain needed: the rogue root is in no store.
    assert out["loaded"] == [CORP_ROOT_CN], out
    assert Path(out["capath"]).parent == tmp_path / "corptls" and out["files"] == out["roots"] > 100, out


def test_a_hashed_directory_deleted_under_a_process_is_written_again(
    stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    out = run("removed", stores, direct, tmp_path)
    assert out["up_front"] == 0 and out["dir_back"], out
    assert_chains(out["outcomes"])


def test_a_cache_path_openssl_would_split_loads_every_root_up_front(
    stores: Stores, direct: DirectServers, tmp_path: Path
) -> None:
    # OpenSSL splits a capath at ':': the pieces would be other directories, one of them relative.
    out = run("kept", stores, direct, tmp_path, CORPTLS_CACHE_DIR=str(tmp_path / "a:b"))
    assert out["capath"] is None and out["up_front"] > 100, out
    assert_chains(out["outcomes"])
