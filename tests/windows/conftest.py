"""Fixtures of the Wine lane (tests/windows/wine_lane.py, run by scripts/test-windows).

The Linux side reuses tests/conftest.py's PKI, origin and intercepting proxy; the Windows
side is a real Windows CPython under Wine, with the corporate root in the Windows store only
(HKLM\\...\\SystemCertificates\\Root), never in certifi or any file the Windows Python reads.
Loading this file costs nothing in the Linux suite: its fixtures run only when requested.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.pki import PKI  # noqa: E402
from tests.windows.revocation import CrlServer  # noqa: E402
from tests.windows.winepy import (  # noqa: E402
    WindowsStore,
    WineError,
    WinePython,
    install_lane,
    wine_env,
)


def _required_file(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value or not Path(value).is_file():
        pytest.fail(f"{variable}={value!r} names no file: run the lane with `bash scripts/test-windows`", pytrace=False)
    return Path(value)


@pytest.fixture(scope="session")
def wine_server() -> Iterator[None]:
    """One persistent wineserver with Wine's services started on /dev/null (see scripts/wine/lib.sh:
    otherwise each call waits ~3 s for services holding its stdout pipe)."""
    quiet = dict(env=wine_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # A server left by an interrupted run (or a person debugging) would refuse -p: stop it first.
    subprocess.run(["wineserver", "-k"], timeout=60, **quiet)  # type: ignore[call-overload]
    subprocess.run(["wineserver", "-w"], timeout=60, **quiet)  # type: ignore[call-overload]
    subprocess.run(["wineserver", "-p"], check=True, timeout=60, **quiet)  # type: ignore[call-overload]
    subprocess.run(["wine", "cmd", "/c", "exit"], check=True, timeout=120, **quiet)  # type: ignore[call-overload]
    yield
    subprocess.run(["wineserver", "-k"], timeout=60, **quiet)  # type: ignore[call-overload]
    subprocess.run(["wineserver", "-w"], timeout=60, **quiet)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def wheel() -> Path:
    """The corptls cp39-abi3-win_amd64 wheel scripts/test-windows built."""
    return _required_file("CORPTLS_WINE_WHEEL")


@pytest.fixture(scope="session")
def rust_tests_exe() -> Path:
    """The Rust unit tests, built for x86_64-pc-windows-gnu by scripts/test-windows."""
    return _required_file("CORPTLS_WINE_TEST_EXE")


@pytest.fixture(scope="session")
def lane(wine_server: None, wheel: Path) -> WinePython:
    """A fresh Windows CPython (C:\\Program Files\\CorpTLS Lane\\Python 3.11) with the wheel installed."""
    try:
        return install_lane(wheel)
    except WineError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def winstore(lane: WinePython) -> Iterator[WindowsStore]:
    store = WindowsStore(lane)
    store.clean()  # test roots an interrupted earlier run left behind
    yield store
    store.clean()


@pytest.fixture(scope="session")
def corp_root_der(pki: PKI) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pki.corp_root_pem.read_text())


@pytest.fixture(scope="session")
def corp_root_in_store(winstore: WindowsStore, corp_root_der: bytes) -> Iterator[bytes]:
    """The corporate root in the local machine's Root store for the whole session."""
    try:
        winstore.add("Root", corp_root_der)
    except WineError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield corp_root_der
    winstore.remove("Root", corp_root_der)


@pytest.fixture
def corp_root_absent(winstore: WindowsStore, corp_root_in_store: bytes) -> Iterator[None]:
    """The corporate root taken out of the Root store for one test (and put back after)."""
    winstore.remove("Root", corp_root_in_store)
    assert not winstore.contains("Root", corp_root_in_store)
    yield
    winstore.add("Root", corp_root_in_store)


@pytest.fixture
def corp_root_disallowed(winstore: WindowsStore, corp_root_in_store: bytes) -> Iterator[None]:
    """The corporate root in Root *and* in Disallowed (IT revoked it) for one test."""
    winstore.add("Disallowed", corp_root_in_store)
    yield
    winstore.remove("Disallowed", corp_root_in_store)


@pytest.fixture(scope="session")
def crl_server(pki: PKI) -> Iterator[CrlServer]:
    server = CrlServer(pki).start()
    yield server
    server.stop()
