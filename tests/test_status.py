"""What corptls did, for the person debugging: DEBUG records on the "corptls" logger, `corptls.status()`
and doctor's line for this interpreter. Scenarios run in the store namespace (the corporate root
a loose file in the OS store), with the test interpreter, whose editable install has the hook."""

from __future__ import annotations

import json

from tests.support.harness import Scenario, Stores
from tests.support.outcomes import reported


def test_debug_records_say_what_was_patched_where_roots_came_from_and_what_was_left_stock(
    scenario: Scenario, stores: Stores
) -> None:
    proc = scenario("debug_records", stores.corp.corp_root_file, store=stores.corp, env={"CORPTLS_QUIET": "1"})
    records = reported(proc)
    assert all(r.startswith("DEBUG ") for r in records), records
    text = "\n".join(records)
    for expected in (
        "DEBUG inject(): each of ssl, certifi,",
        "DEBUG patched ssl (corptls.clients.ssl)",
        "DEBUG patched certifi",
        "DEBUG patched requests (corptls.clients.requests)",
        "DEBUG left botocore.httpsession stock: its patch raised ZeroDivisionError",
        "DEBUG left a context's own CAs alone (cafile=None, capath=None, cadata): the program pinned them",
        "DEBUG left a context stock: verify_mode is CERT_NONE",
        "DEBUG collecting: the OS store, certifi's file",
        "DEBUG bundle file: ",
        "DEBUG extract(): ssl, certifi, requests get their originals back",
    ):
        assert expected in text, (expected, records)
    (counts,) = [r for r in records if r.startswith("DEBUG roots per source: ")]
    assert int(counts.split("os ")[1].split(",")[0]) > 50, counts  # the OS store, counted
    assert "patched botocore" not in text


def test_silent_by_default(scenario: Scenario, stores: Stores) -> None:
    proc = scenario("silent_by_default", store=stores.corp)
    assert proc.returncode == 0 and proc.stderr == "", proc
    assert json.loads(proc.stdout) == {"handlers": [], "injected": True}


def test_autoload_imports_no_logging_and_status_says_what_it_did(scenario: Scenario, stores: Stores) -> None:
    on = scenario("startup_status", store=stores.corp, env={"CORPTLS_AUTOLOAD": "1"})
    off = scenario("startup_status", store=stores.corp)
    assert on.returncode == off.returncode == 0 and on.stderr == off.stderr == "", (on, off)
    on_out, off_out = json.loads(on.stdout), json.loads(off.stdout)
    assert on_out["logging"] is False, "autoload and inject() must not import logging"
    status = on_out["status"]
    assert status["injected"] is status["autoloaded"] is True, status
    assert status["patches"] == ["ssl"] and status["state"] == "ready", status
    assert "/corptls/bundle-" in status["bundle"], status
    assert off_out["status"] == {
        "injected": False,
        "autoloaded": False,
        "patches": [],
        "bundle": None,
        "state": "unset",
        "reason": "",
    }


def test_status_follows_inject_and_extract(scenario: Scenario, stores: Stores) -> None:
    out = reported(scenario("status_sequence", store=stores.corp))
    assert out["typed"] is True
    before, during, after = out["seen"]
    assert before == [False, False, [], None, "unset"]
    assert during == [True, False, ["ssl", "certifi", "requests"], out["path"], "ready"]
    assert after == [False, False, [], None, "ready"]


def test_doctor_shows_this_interpreter(scenario: Scenario, stores: Stores) -> None:
    doctor = ("-m", "corptls", "doctor")
    on = scenario(*doctor, "--json", store=stores.corp, env={"CORPTLS_AUTOLOAD": "1"})
    assert json.loads(on.stdout)["interpreter"] == {
        "injected": True,
        "autoloaded": True,
        "patches": ["ssl"],
        "bundle": None,
        "state": "unset",
        "reason": "",
    }, on
    off = scenario(*doctor, store=stores.corp)
    assert "this interpreter: corptls not injected; patches: none; bundle in use: none" in off.stdout.splitlines(), off
    text = scenario(*doctor, store=stores.corp, env={"CORPTLS_AUTOLOAD": "1"})
    assert (
        "this interpreter: corptls injected by autoload; patches: ssl; bundle in use: not collected yet"
        in text.stdout.splitlines()
    ), text
    # The same interpreter injects, then runs doctor: the bundle in use is the one handed out.
    used = scenario(
        "-c",
        "import corptls, runpy, sys; corptls.inject(); print(corptls.bundle_path()); sys.argv = ['corptls', 'doctor']; "
        "runpy.run_module('corptls', run_name='__main__', alter_sys=True)",
        store=stores.corp,
    )
    path, *lines = used.stdout.splitlines()
    assert f"this interpreter: corptls injected; patches: ssl; bundle in use: {path}" in lines, used
